import type { BuiltinCodec } from './builtin-codec.js'
import { corruptCompressed, decompressing, decompressingAsync, tooLarge } from './codec-errors.js'
import { CompressionTypes } from './compression-types.js'
import { FrameReader } from './frames.js'
import { zstdPackage } from './native-packages.js'

/*
 * Zstandard frames (RFC 8878), at level 3 (the library's and Kafka's default).
 *
 *   frame => magic UINT32LE 0xFD2FB528, frame header descriptor, [window descriptor],
 *            [dictionary id], [frame content size], blocks, [content checksum UINT32LE]
 *     descriptor: bits 7-6 content-size flag, 5 single segment, 3 reserved (0),
 *                 2 content checksum, 1-0 dictionary-id flag
 *   block => header UINT24LE (bit 0 last block, bits 2-1 type, bits 23-3 size), then
 *            raw: size bytes | RLE: 1 byte repeated size times | compressed: size bytes
 *   skippable frame => magic UINT32LE 0x184D2A50..5F, size UINT32LE, that many bytes
 *
 * The decoder itself has no output limit, so the frames are walked first for a bound: a raw
 * or RLE block yields exactly its size, a compressed block at most the 128 KiB block maximum.
 * A writer fills its blocks, so the bound overshoots a real batch by under one block.
 */

const ZSTD = CompressionTypes.ZSTD
const LEVEL = 3
const FRAME_MAGIC = 0xfd2fb528
const BLOCK_MAX = 128 * 1024
const DICTIONARY_ID_SIZES = [0, 1, 2, 4] as const
const CONTENT_SIZE_SIZES = [0, 2, 4, 8] as const

function corrupt(message: string) {
  return corruptCompressed(ZSTD, message)
}

/** Walks every frame's blocks and throws unless the output stays within `maxBytes`. */
function checkBound(bytes: Uint8Array, maxBytes: number): void {
  let bound = 0
  let position = 0
  const reader = new FrameReader(bytes, corrupt)
  while (position < bytes.length) {
    const [magic, frameAt] = reader.magicAt(position)
    position = frameAt
    if (position === bytes.length) break
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`)
    reader.need(position + 5, 'a frame header')
    const descriptor = bytes[position + 4] as number
    if ((descriptor & 0x08) !== 0) throw corrupt('a reserved frame header bit is set')
    const singleSegment = (descriptor & 0x20) !== 0
    const contentSizeSize = CONTENT_SIZE_SIZES[descriptor >> 6] as number
    position +=
      5 +
      (singleSegment ? 0 : 1) +
      (DICTIONARY_ID_SIZES[descriptor & 0x03] as number) +
      (contentSizeSize === 0 && singleSegment ? 1 : contentSizeSize)
    reader.need(position, 'a frame header')
    for (;;) {
      reader.need(position + 3, 'a block header')
      const header =
        (bytes[position] as number) |
        ((bytes[position + 1] as number) << 8) |
        ((bytes[position + 2] as number) << 16)
      position += 3
      const type = (header >> 1) & 0x03
      const size = header >>> 3
      if (size > BLOCK_MAX) throw corrupt(`a block of ${size} bytes exceeds ${BLOCK_MAX}`)
      if (type === 3) throw corrupt('a block has the reserved type 3')
      bound += type === 2 ? BLOCK_MAX : size
      if (bound > maxBytes) throw tooLarge(ZSTD, maxBytes)
      position += type === 1 ? 1 : size
      reader.need(position, 'a block')
      if ((header & 1) === 1) break
    }
    if ((descriptor & 0x04) !== 0) position += 4
    reader.need(position, 'a content checksum')
  }
}

function checkedOutput(output: Uint8Array, maxBytes: number): Uint8Array {
  if (output.length > maxBytes) throw tooLarge(ZSTD, maxBytes)
  return output
}

type Encoder = InstanceType<ReturnType<typeof zstdPackage>['Encoder']>
type Decoder = InstanceType<ReturnType<typeof zstdPackage>['Decoder']>
let encoder: Encoder | undefined
let decoder: Decoder | undefined

function zstdEncoder(): Encoder {
  encoder ??= new (zstdPackage().Encoder)(LEVEL)
  return encoder
}

function zstdDecoder(): Decoder {
  decoder ??= new (zstdPackage().Decoder)()
  return decoder
}

export const zstdCodec: BuiltinCodec = {
  compress(records) {
    return zstdEncoder().encode(records)
  },

  decompress(bytes, maxBytes) {
    return decompressingAsync(ZSTD, async () => {
      checkBound(bytes, maxBytes)
      return checkedOutput(await zstdDecoder().decode(bytes), maxBytes)
    })
  },

  decompressSync(bytes, maxBytes) {
    return decompressing(ZSTD, () => {
      checkBound(bytes, maxBytes)
      return checkedOutput(zstdDecoder().decodeSync(bytes), maxBytes)
    })
  },
}
