import { readInt32, writeInt32 } from '../big-endian.js'
import type { BuiltinCodec } from './builtin-codec.js'
import { corruptCompressed, decompressing, decompressingAsync, tooLarge } from './codec-errors.js'
import { CompressionTypes } from './compression-types.js'
import { snappyPackage } from './native-packages.js'

/*
 * Snappy as Kafka stores it: xerial's framing (snappy-java's SnappyOutputStream), which Kafka's
 * Java client writes and every Kafka reader accepts:
 *
 *   header => 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, version INT32 (1), compatible INT32 (1)
 *   then chunks => length INT32, then one raw Snappy block of that many bytes
 *
 * A reader also accepts a bare raw Snappy block (what some clients, KafkaJS's usual
 * kafkajs-snappy among them, write), and a header repeated between chunks (concatenated
 * streams, which snappy-java reads). Every raw block starts with its uncompressed length as
 * an unsigned varint, so the total is known, and checked against the bound, before anything
 * is decompressed.
 */

const SNAPPY = CompressionTypes.Snappy
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const
const XERIAL_HEADER_SIZE = 16
const XERIAL_VERSION = 1
const XERIAL_COMPATIBLE_VERSION = 1
/** What snappy-java uses, so readers that allocate a chunk at a time see chunks they expect. */
const XERIAL_CHUNK_SIZE = 32 * 1024

function hasXerialMagic(bytes: Uint8Array, at: number): boolean {
  if (bytes.length - at < XERIAL_MAGIC.length) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) {
    if (bytes[at + i] !== XERIAL_MAGIC[i]) return false
  }
  return true
}

/** Lays compressed chunks out behind a xerial header. */
function xerialFrame(chunks: readonly Uint8Array[]): Uint8Array {
  let size = XERIAL_HEADER_SIZE
  for (const chunk of chunks) size += 4 + chunk.length
  const out = new Uint8Array(size)
  out.set(XERIAL_MAGIC, 0)
  writeInt32(out, 8, XERIAL_VERSION)
  writeInt32(out, 12, XERIAL_COMPATIBLE_VERSION)
  let position = XERIAL_HEADER_SIZE
  for (const chunk of chunks) {
    writeInt32(out, position, chunk.length)
    out.set(chunk, position + 4)
    position += 4 + chunk.length
  }
  return out
}

function splitIntoChunks(records: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let start = 0; start < records.length; start += XERIAL_CHUNK_SIZE) {
    chunks.push(records.subarray(start, start + XERIAL_CHUNK_SIZE))
  }
  if (chunks.length === 0) chunks.push(records)
  return chunks
}

/** A raw Snappy block's uncompressed length: its leading unsigned varint (at most 32 bits). */
function rawLength(block: Uint8Array): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i] as number
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) break
      return value
    }
    scale *= 0x80
  }
  throw corruptCompressed(SNAPPY, 'a block does not start with a valid uncompressed length')
}

interface SnappyLayout {
  /** The raw Snappy blocks, in order. */
  readonly blocks: Uint8Array[]
  /** Each block's uncompressed length. */
  readonly lengths: number[]
  readonly total: number
}

/** Finds the raw blocks (xerial-framed or one bare block) and checks their total size. */
function layout(bytes: Uint8Array, maxBytes: number): SnappyLayout {
  const blocks: Uint8Array[] = []
  if (!hasXerialMagic(bytes, 0)) {
    blocks.push(bytes)
  } else {
    let position = 0
    while (position < bytes.length) {
      if (hasXerialMagic(bytes, position)) {
        position += XERIAL_HEADER_SIZE
        if (position > bytes.length) throw corruptCompressed(SNAPPY, 'a xerial header is cut short')
        continue
      }
      if (bytes.length - position < 4)
        throw corruptCompressed(SNAPPY, 'a chunk length is cut short')
      const length = readInt32(bytes, position)
      const start = position + 4
      if (length <= 0 || start + length > bytes.length) {
        throw corruptCompressed(
          SNAPPY,
          `a chunk claims ${length} bytes, ${bytes.length - start} remain`,
        )
      }
      blocks.push(bytes.subarray(start, start + length))
      position = start + length
    }
  }
  const lengths: number[] = []
  let total = 0
  for (const block of blocks) {
    const length = rawLength(block)
    total += length
    if (total > maxBytes) throw tooLarge(SNAPPY, maxBytes)
    lengths.push(length)
  }
  return { blocks, lengths, total }
}

function joinBlocks(plan: SnappyLayout, decoded: readonly (string | Buffer)[]): Uint8Array {
  if (decoded.length === 1) return checkedBlock(decoded[0], plan.lengths[0] as number)
  const out = new Uint8Array(plan.total)
  let position = 0
  for (let i = 0; i < decoded.length; i++) {
    const block = checkedBlock(decoded[i], plan.lengths[i] as number)
    out.set(block, position)
    position += block.length
  }
  return out
}

function checkedBlock(block: string | Buffer | undefined, expected: number): Uint8Array {
  if (!(block instanceof Uint8Array) || block.length !== expected) {
    throw corruptCompressed(SNAPPY, `a block does not decompress to its stated ${expected} bytes`)
  }
  return block
}

const AS_BUFFER = { asBuffer: true } as const

export const snappyCodec: BuiltinCodec = {
  async compress(records) {
    const snappy = snappyPackage()
    return xerialFrame(await Promise.all(splitIntoChunks(records).map((c) => snappy.compress(c))))
  },

  decompress(bytes, maxBytes) {
    return decompressingAsync(SNAPPY, async () => {
      const plan = layout(bytes, maxBytes)
      const snappy = snappyPackage()
      return joinBlocks(
        plan,
        await Promise.all(plan.blocks.map((b) => snappy.uncompress(b, AS_BUFFER))),
      )
    })
  },

  decompressSync(bytes, maxBytes) {
    return decompressing(SNAPPY, () => {
      const plan = layout(bytes, maxBytes)
      const snappy = snappyPackage()
      return joinBlocks(
        plan,
        plan.blocks.map((b) => snappy.uncompressSync(b, AS_BUFFER)),
      )
    })
  },
}
