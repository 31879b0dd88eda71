import type { BuiltinCodec } from './builtin-codec.js'
import type { CompressedType } from './compression-types.js'
import { gzipCodec } from './gzip.js'
import { lz4Codec } from './lz4.js'
import { snappyCodec } from './snappy.js'
import { zstdCodec } from './zstd.js'

/** samsa's own codecs: what broker threads use, and what `CompressionCodecs` starts with. */
export const BUILTIN_CODECS: Readonly<Record<CompressedType, BuiltinCodec>> = {
  1: gzipCodec,
  2: snappyCodec,
  3: lz4Codec,
  4: zstdCodec,
}
