import { InvalidArgumentError, KafkaProtocolError } from '../../errors/samsa-error.js'
import type { BuiltinCodec } from './builtin-codec.js'
import { BUILTIN_CODECS } from './builtin-codecs.js'
import { corruptCompressed, tooLarge } from './codec-errors.js'
import {
  type CompressedType,
  CompressionTypes,
  compressionName,
  isCompressionType,
} from './compression-types.js'

/*
 * The codec registry, in KafkaJS's shape: `CompressionCodecs[type]` is a factory returning
 * `{ compress(encoder), decompress(buffer) }`. samsa registers all four codecs by default; a
 * user may replace an entry (with kafkajs-snappy, say), and `compressRecords` and
 * `decompressRecords` then use that codec. The registry is per thread: a broker thread never
 * sees a user's registration and decompresses with `decompressRecordsSync`, the built-ins.
 */

/** A codec as KafkaJS's `CompressionCodecs` holds it. */
export interface CompressionCodec {
  compress(encoder: { readonly buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

export type CompressionCodecFactory = () => CompressionCodec

/**
 * The most bytes a records section may decompress to unless a caller says otherwise: far above
 * any batch a producer writes (Kafka's default `max.request.size` is 1 MiB), far below what
 * would hurt the process.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

/** The largest bound a caller may ask for: a decompressed batch's length must fit an int32. */
export const MAX_DECOMPRESSED_BYTES_LIMIT = 0x7fffffff - 64

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}

function kafkaJsFace(codec: BuiltinCodec): CompressionCodecFactory {
  const face: CompressionCodec = {
    async compress(encoder) {
      return asBuffer(await codec.compress(encoder.buffer))
    },
    async decompress(buffer) {
      return asBuffer(await codec.decompress(buffer, DEFAULT_MAX_DECOMPRESSED_BYTES))
    },
  }
  return () => face
}

/** The factories samsa registers by default, to put one back after replacing it. */
export const BuiltinCompressionCodecs: Readonly<Record<CompressedType, CompressionCodecFactory>> =
  Object.freeze({
    [CompressionTypes.GZIP]: kafkaJsFace(BUILTIN_CODECS[CompressionTypes.GZIP]),
    [CompressionTypes.Snappy]: kafkaJsFace(BUILTIN_CODECS[CompressionTypes.Snappy]),
    [CompressionTypes.LZ4]: kafkaJsFace(BUILTIN_CODECS[CompressionTypes.LZ4]),
    [CompressionTypes.ZSTD]: kafkaJsFace(BUILTIN_CODECS[CompressionTypes.ZSTD]),
  })

/**
 * KafkaJS's `CompressionCodecs`: assign an entry to use your own codec on this thread, set it
 * to undefined to refuse that codec (UNSUPPORTED_COMPRESSION_TYPE, as KafkaJS's
 * not-implemented error).
 */
export const CompressionCodecs: { [type: number]: CompressionCodecFactory | undefined } = {
  ...BuiltinCompressionCodecs,
}

function checkMaxBytes(maxBytes: number): void {
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_DECOMPRESSED_BYTES_LIMIT) {
    throw new InvalidArgumentError(
      `maxBytes must be an integer from 1 to ${MAX_DECOMPRESSED_BYTES_LIMIT}, got ${maxBytes}`,
    )
  }
}

/** The registered codec for `type` (1–4), or UNSUPPORTED_COMPRESSION_TYPE when there is none. */
function registered(type: CompressedType): CompressionCodec {
  const factory = CompressionCodecs[type]
  if (factory === undefined) {
    throw new KafkaProtocolError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `compression type ${type} (${compressionName(type)}) is not implemented: register a codec in CompressionCodecs`,
    )
  }
  return factory()
}

function isBuiltin(type: CompressedType): boolean {
  return CompressionCodecs[type] === BuiltinCompressionCodecs[type]
}

/**
 * Compresses a records section with the codec registered for `type`. None returns `records`
 * itself. A type outside 0–4 is a caller's mistake (InvalidArgumentError); a type whose entry
 * is unset throws UNSUPPORTED_COMPRESSION_TYPE.
 */
export async function compressRecords(type: number, records: Uint8Array): Promise<Uint8Array> {
  if (!isCompressionType(type)) {
    throw new InvalidArgumentError(`compression type must be 0 to 4, got ${type}`)
  }
  if (type === CompressionTypes.None) return records
  if (isBuiltin(type)) return BUILTIN_CODECS[type].compress(records)
  const compressed: unknown = await registered(type).compress({ buffer: asBuffer(records) })
  if (!(compressed instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `the ${compressionName(type)} codec's compress resolved to ${typeof compressed}, not a Buffer`,
    )
  }
  return compressed
}

/** The codec named by attribute bits `type`, or CORRUPT_MESSAGE for 5–7. */
function compressedType(type: number): CompressedType | 0 {
  if (isCompressionType(type)) return type
  if (Number.isInteger(type) && type >= 5 && type <= 7) {
    throw new KafkaProtocolError('CORRUPT_MESSAGE', `unknown compression codec ${type}`)
  }
  throw new InvalidArgumentError(`compression type must be 0 to 7, got ${type}`)
}

/**
 * Decompresses a records section with the codec registered for `type` (a user's codec when one
 * is registered). None returns `bytes` itself; 5–7 and bytes that do not decompress throw
 * CORRUPT_MESSAGE naming the codec, as does output past `maxBytes` (the built-in codecs refuse
 * it before allocating; a user's codec is only checked afterwards).
 */
export async function decompressRecords(
  type: number,
  bytes: Uint8Array,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<Uint8Array> {
  const codecType = compressedType(type)
  checkMaxBytes(maxBytes)
  if (codecType === CompressionTypes.None) return bytes
  if (isBuiltin(codecType)) return BUILTIN_CODECS[codecType].decompress(bytes, maxBytes)
  const codec = registered(codecType)
  let output: unknown
  try {
    output = await codec.decompress(asBuffer(bytes))
  } catch (error) {
    if (error instanceof KafkaProtocolError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw corruptCompressed(codecType, `the records do not decompress (${reason})`, error)
  }
  if (!(output instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `the ${compressionName(codecType)} codec's decompress resolved to ${typeof output}, not a Buffer`,
    )
  }
  if (output.length > maxBytes) throw tooLarge(codecType, maxBytes)
  return output
}

/**
 * Decompresses a records section with samsa's built-in codecs, whatever the registry holds:
 * for broker threads, which never see a user's registration, and for synchronous readers.
 * None returns `bytes` itself; 5–7, corrupt bytes and output past `maxBytes` throw
 * CORRUPT_MESSAGE naming the codec. The codec's native package loads on first use.
 */
export function decompressRecordsSync(
  type: number,
  bytes: Uint8Array,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Uint8Array {
  const codecType = compressedType(type)
  checkMaxBytes(maxBytes)
  if (codecType === CompressionTypes.None) return bytes
  return BUILTIN_CODECS[codecType].decompressSync(bytes, maxBytes)
}
