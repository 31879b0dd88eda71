import type { BuiltinCodec } from './builtin-codec.js'
import { corruptCompressed, decompressing, decompressingAsync, tooLarge } from './codec-errors.js'
import { CompressionTypes } from './compression-types.js'
import { FrameReader } from './frames.js'
import { readUint32LE } from './little-endian.js'
import { lz4Package } from './native-packages.js'

/*
 * LZ4 in the frame format (lz4's lz4_Frame_format.md), which Kafka uses for magic 2 (magic 0
 * and 1 batches had a miscomputed header checksum; samsa never reads those). Written with
 * independent blocks and no checksums (Kafka's batch CRC-32C covers the compressed bytes).
 *
 *   frame => magic UINT32LE 0x184D2204, FLG, BD, [content size UINT64LE], [dict id UINT32LE],
 *            header checksum, then blocks, then [content checksum UINT32LE]
 *     FLG: bits 7-6 version (01), 5 block independence, 4 block checksum, 3 content size,
 *          2 content checksum, 1 reserved (0), 0 dictionary id
 *     BD:  bits 6-4 block maximum size (4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB)
 *   block => size UINT32LE (high bit: stored uncompressed; 0: end of frame), data,
 *            [block checksum UINT32LE]
 *   skippable frame => magic UINT32LE 0x184D2A50..5F, size UINT32LE, that many bytes
 *
 * Before decompressing, the frames are walked block by block for a bound on the output: a
 * stored block yields its size, a compressed one at most min(block maximum, 256 × its size)
 * (an LZ4 sequence expands at most about 255-fold). The decoder stops after one frame, so
 * each frame is decoded on its own and the results joined.
 */

const LZ4 = CompressionTypes.LZ4
const FRAME_MAGIC = 0x184d2204
const MAX_EXPANSION = 256

interface Lz4Layout {
  readonly frames: Uint8Array[]
}

function corrupt(message: string) {
  return corruptCompressed(LZ4, message)
}

/** The frames of `bytes` (skippable frames left out), after checking the output bound. */
function layout(bytes: Uint8Array, maxBytes: number): Lz4Layout {
  const frames: Uint8Array[] = []
  let bound = 0
  let position = 0
  const reader = new FrameReader(bytes, corrupt)
  while (position < bytes.length) {
    const [magic, frameAt] = reader.magicAt(position)
    position = frameAt
    if (position === bytes.length) break
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`)
    const frameStart = position
    reader.need(position + 7, 'a frame header')
    const flg = bytes[position + 4] as number
    const bd = bytes[position + 5] as number
    if (flg >> 6 !== 1) throw corrupt(`unsupported frame version ${flg >> 6}`)
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw corrupt('reserved frame header bits are set')
    const blockSizeCode = (bd >> 4) & 0x07
    if (blockSizeCode < 4) throw corrupt(`bad block maximum size code ${blockSizeCode}`)
    const blockMax = 2 ** (8 + 2 * blockSizeCode)
    const blockChecksums = (flg & 0x10) !== 0
    position += 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1
    reader.need(position, 'a frame header')
    for (;;) {
      reader.need(position + 4, 'a block size')
      const word = readUint32LE(bytes, position)
      position += 4
      if (word === 0) break
      const size = word & 0x7fffffff
      if (size > blockMax) throw corrupt(`a block of ${size} bytes exceeds the frame's ${blockMax}`)
      bound += word >>> 31 === 1 ? size : Math.min(blockMax, size * MAX_EXPANSION)
      if (bound > maxBytes) throw tooLarge(LZ4, maxBytes)
      position += size + (blockChecksums ? 4 : 0)
      reader.need(position, 'a block')
    }
    if ((flg & 0x04) !== 0) position += 4
    reader.need(position, 'a content checksum')
    frames.push(bytes.subarray(frameStart, position))
  }
  return { frames }
}

function join(parts: readonly Uint8Array[], maxBytes: number): Uint8Array {
  let total = 0
  for (const part of parts) total += part.length
  if (total > maxBytes) throw tooLarge(LZ4, maxBytes)
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(total)
  let position = 0
  for (const part of parts) {
    out.set(part, position)
    position += part.length
  }
  return out
}

export const lz4Codec: BuiltinCodec = {
  compress(records) {
    return lz4Package().compressFrame(records)
  },

  decompress(bytes, maxBytes) {
    return decompressingAsync(LZ4, async () => {
      const { frames } = layout(bytes, maxBytes)
      const lz4 = lz4Package()
      return join(await Promise.all(frames.map((frame) => lz4.decompressFrame(frame))), maxBytes)
    })
  },

  decompressSync(bytes, maxBytes) {
    return decompressing(LZ4, () => {
      const { frames } = layout(bytes, maxBytes)
      const lz4 = lz4Package()
      return join(
        frames.map((frame) => lz4.decompressFrameSync(frame)),
        maxBytes,
      )
    })
  },
}
