import { createRequire } from 'node:module'
import * as zlib from 'node:zlib'
import fc from 'fast-check'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  InvalidArgumentError,
  KafkaProtocolError,
} from '../../../src/runtime/errors/samsa-error.js'
import { readInt32, writeInt16, writeInt32 } from '../../../src/runtime/log/big-endian.js'
import {
  BuiltinCompressionCodecs,
  type CompressedType,
  type CompressionCodec,
  CompressionCodecs,
  CompressionTypes,
  compressionName,
  compressRecords,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressRecords,
  decompressRecordsSync,
} from '../../../src/runtime/log/compression.js'
import {
  assembleRecordBatch,
  BATCH_ATTRIBUTES,
  BATCH_CRC,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_RECORD_COUNT,
  checkRecordBatch,
  compressRecordBatch,
  encodeRecordBatch,
  inflateRecordBatch,
  inflateRecordBatchWithCodecs,
  type RecordInput,
  readRecordBatchHeader,
  sealRecordBatch,
} from '../../../src/runtime/log/record-batch-codec.js'
import {
  decodeRecordBatch,
  forEachRecord,
  validateRecords,
} from '../../../src/runtime/log/record-reader.js'
import { propertySeed } from './seed.js'

const require = createRequire(import.meta.url)
const snappy = require('snappy') as {
  compressSync(input: Uint8Array): Buffer
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer
}
const lz4 = require('lz4-napi') as {
  compressFrameSync(
    input: Uint8Array,
    options?: { contentChecksum?: boolean; blockChecksums?: boolean },
  ): Buffer
  decompressFrameSync(input: Uint8Array): Buffer
}
const zstd = require('@toondepauw/node-zstd') as {
  Encoder: new (level: number) => { encodeSync(input: Uint8Array): Buffer }
  Decoder: new () => { decodeSync(input: Uint8Array): Buffer }
}

const CODECS: readonly CompressedType[] = [
  CompressionTypes.GZIP,
  CompressionTypes.Snappy,
  CompressionTypes.LZ4,
  CompressionTypes.ZSTD,
]
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]
const text = (value: string) => new TextEncoder().encode(value)

function kafkaErrorOf(error: unknown): string {
  if (!(error instanceof KafkaProtocolError)) {
    throw new Error(`expected a KafkaProtocolError, got ${String(error)}`, { cause: error })
  }
  return error.type
}

function expectKafkaError(action: () => unknown, type: string): KafkaProtocolError {
  try {
    action()
  } catch (error) {
    expect(kafkaErrorOf(error)).toBe(type)
    return error as KafkaProtocolError
  }
  throw new Error(`expected ${type}, nothing was thrown`)
}

async function expectKafkaRejection(
  action: () => Promise<unknown>,
  type: string,
): Promise<KafkaProtocolError> {
  try {
    await action()
  } catch (error) {
    expect(kafkaErrorOf(error)).toBe(type)
    return error as KafkaProtocolError
  }
  throw new Error(`expected ${type}, nothing was thrown`)
}

/** Byte equality without vitest's element-by-element diff, which takes seconds on 100 KB. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual).equals(Buffer.from(expected))) return
  let at = 0
  while (at < actual.length && actual[at] === expected[at]) at++
  throw new Error(
    `bytes differ at ${at} (lengths ${actual.length} and ${expected.length}): ${actual[at]} vs ${expected[at]}`,
  )
}

/** Runs `body`, naming the seed in whatever it throws so a failure can be replayed. */
async function withSeed(seed: number, body: () => Promise<void> | void): Promise<void> {
  try {
    await body()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`failed with SAMSA_SEED=${seed}: ${message}`, { cause: error })
  }
}

const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: null }),
  value: fc.option(
    fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc
        .tuple(fc.nat(1_000_000), fc.constantFrom('click', 'view', 'purchase'), fc.nat(20))
        .map(([user, kind, repeat]) =>
          text(JSON.stringify({ user, kind, padding: 'x'.repeat(repeat) })),
        ),
    ),
    { nil: null },
  ),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }),
    }),
    { maxLength: 2 },
  ),
  timestamp: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
})

/** Finds the first record of `decoded` that differs from its input, or returns -1. */
function firstMismatch(
  inputs: readonly RecordInput[],
  decoded: ReturnType<typeof decodeRecordBatch>,
): number {
  const same = (a: Uint8Array | null, b: Uint8Array | null | undefined) =>
    a === null || b === null || b === undefined
      ? a === (b ?? null)
      : Buffer.from(a).equals(Buffer.from(b))
  if (decoded.records.length !== inputs.length)
    return Math.min(decoded.records.length, inputs.length)
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as RecordInput
    const record = decoded.records[i]!
    const headers = input.headers ?? []
    if (
      record.offset !== i ||
      record.timestamp !== input.timestamp ||
      !same(record.key, input.key) ||
      !same(record.value, input.value) ||
      record.headers.length !== headers.length ||
      record.headers.some((h, j) => h.key !== headers[j]!.key || !same(h.value, headers[j]!.value))
    ) {
      return i
    }
  }
  return -1
}

afterEach(() => {
  Object.assign(CompressionCodecs, BuiltinCompressionCodecs)
  vi.restoreAllMocks()
})

describe('compressed record batches', () => {
  for (const type of CODECS) {
    it(`round-trip 10,000 records with keys and headers through ${compressionName(type)}`, async () => {
      const seed = propertySeed()
      await withSeed(seed, async () => {
        const records = fc.sample(recordArbitrary, { seed, numRuns: 10_000 })
        const plain = encodeRecordBatch({ records, timestamp: 1, producerId: 7, baseSequence: 3 })
        const compressed = await compressRecordBatch(plain, type)
        checkRecordBatch(compressed, true)

        const header = readRecordBatchHeader(compressed)
        const plainHeader = readRecordBatchHeader(plain)
        expect(header.attributes & 0x07).toBe(type)
        expect(header.recordCount).toBe(10_000)
        expect(header.batchLength).toBe(compressed.length - 12)
        expect(header.crc).not.toBe(plainHeader.crc)
        const { attributes, batchLength, crc, ...rest } = header
        const { attributes: a0, batchLength: l0, crc: c0, ...plainRest } = plainHeader
        expect(rest).toEqual(plainRest)
        expect(compressed.length).toBeLessThan(plain.length)

        // The inflated batch is the encoded one, byte for byte, but for the CRC (still the
        // compressed batch's).
        const inflated = inflateRecordBatch(compressed)
        expect(inflated.length).toBe(plain.length)
        expectSameBytes(inflated.subarray(0, BATCH_CRC), plain.subarray(0, BATCH_CRC))
        expectSameBytes(inflated.subarray(BATCH_ATTRIBUTES), plain.subarray(BATCH_ATTRIBUTES))
        expect(readInt32(inflated, BATCH_CRC)).toBe(readInt32(compressed, BATCH_CRC))
        validateRecords(compressed)

        const decoded = decodeRecordBatch(compressed)
        expect(decoded.attributes & 0x07).toBe(type)
        expect(firstMismatch(records, decoded)).toBe(-1)

        const viaRegistry = await inflateRecordBatchWithCodecs(compressed)
        expectSameBytes(viaRegistry, inflated)
      })
    })
  }

  it('round-trip any records through every codec (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...CODECS),
        async (records, type) => {
          const plain = encodeRecordBatch({ records, timestamp: 5 })
          const compressed = await compressRecordBatch(plain, type)
          checkRecordBatch(compressed, true)
          validateRecords(compressed)
          expect(firstMismatch(records, decodeRecordBatch(compressed))).toBe(-1)
        },
      ),
      { seed: propertySeed(), numRuns: 200 },
    )
  })

  it('leave None alone and refuse to compress twice', async () => {
    const plain = encodeRecordBatch({ records: [{ key: null, value: text('v') }], timestamp: 0 })
    expect(await compressRecordBatch(plain, CompressionTypes.None)).toBe(plain)
    expect(inflateRecordBatch(plain)).toBe(plain)
    const gzipped = await compressRecordBatch(plain, CompressionTypes.GZIP)
    await expect(compressRecordBatch(gzipped, CompressionTypes.LZ4)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
    await expect(compressRecordBatch(plain, 5 as CompressedType)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
  })

  it('make forEachRecord ask for an inflated batch, whose views then hold the records', async () => {
    const plain = encodeRecordBatch({
      records: [{ key: text('k'), value: text('v') }],
      timestamp: 0,
    })
    const compressed = await compressRecordBatch(plain, CompressionTypes.ZSTD)
    expect(() => forEachRecord(compressed, () => {})).toThrow(InvalidArgumentError)
    const seen: string[] = []
    forEachRecord(inflateRecordBatch(compressed), (view) => {
      seen.push(
        Buffer.from(view.bytes.subarray(view.keyStart, view.keyStart + view.keyLength)).toString(),
      )
    })
    expect(seen).toEqual(['k'])
  })
})

describe('assembleRecordBatch', () => {
  it('builds a sealed batch from header fields and a compressed section', async () => {
    const plain = encodeRecordBatch({
      records: [
        { key: null, value: text('a') },
        { key: null, value: text('b') },
      ],
      timestamp: 10,
      attributes: 0x10,
    })
    const header = readRecordBatchHeader(plain)
    const section = await compressRecords(CompressionTypes.LZ4, plain.subarray(BATCH_HEADER_SIZE))
    const batch = assembleRecordBatch(
      { ...header, baseOffset: 40, partitionLeaderEpoch: 3, attributes: 0x10 | 0x02 },
      section,
      CompressionTypes.LZ4,
    )
    checkRecordBatch(batch, true)
    const stored = readRecordBatchHeader(batch)
    expect(stored.attributes).toBe(0x10 | CompressionTypes.LZ4)
    expect(stored.baseOffset).toBe(40)
    expect(stored.partitionLeaderEpoch).toBe(3)
    expect(
      decodeRecordBatch(batch).records.map((r) => [r.offset, Buffer.from(r.value!).toString()]),
    ).toEqual([
      [40, 'a'],
      [41, 'b'],
    ])
    const unsealed = assembleRecordBatch(
      header,
      plain.subarray(BATCH_HEADER_SIZE),
      CompressionTypes.None,
    )
    expectSameBytes(unsealed, plain)
    expect(() => assembleRecordBatch({ ...header, recordCount: 0 }, section, 3)).toThrow(
      InvalidArgumentError,
    )
    expect(() => assembleRecordBatch(header, new Uint8Array(0), 3)).toThrow(InvalidArgumentError)
    expect(() => assembleRecordBatch(header, section, 6 as CompressedType)).toThrow(
      InvalidArgumentError,
    )
  })
})

describe('raw format readers', () => {
  const records = text(
    Array.from({ length: 5000 }, (_, i) => `{"user":${i % 113},"event":"view"}`).join('\n'),
  )

  it('gzip: zlib reads what samsa writes', async () => {
    const gzipped = await compressRecords(CompressionTypes.GZIP, records)
    expect([gzipped[0], gzipped[1]]).toEqual([0x1f, 0x8b])
    expectSameBytes(zlib.gunzipSync(gzipped), records)
    const concatenated = Buffer.concat([
      zlib.gzipSync(records.subarray(0, 100)),
      zlib.gzipSync(records.subarray(100)),
    ])
    expectSameBytes(decompressRecordsSync(CompressionTypes.GZIP, concatenated), records)
  })

  it('snappy: samsa writes xerial framing in 32 KiB chunks and reads it, raw blocks and concatenated streams', async () => {
    const framed = await compressRecords(CompressionTypes.Snappy, records)
    expect([...framed.subarray(0, 8)]).toEqual(XERIAL_MAGIC)
    expect([readInt32(framed, 8), readInt32(framed, 12)]).toEqual([1, 1])
    // Undo the framing by hand: every chunk is a raw snappy block of at most 32 KiB.
    const chunks: Buffer[] = []
    for (let at = 16; at < framed.length; ) {
      const length = readInt32(framed, at)
      const chunk = snappy.uncompressSync(framed.subarray(at + 4, at + 4 + length), {
        asBuffer: true,
      })
      expect(chunk.length).toBeLessThanOrEqual(32 * 1024)
      chunks.push(chunk)
      at += 4 + length
    }
    expect(chunks.length).toBe(Math.ceil(records.length / (32 * 1024)))
    expectSameBytes(Buffer.concat(chunks), records)

    const raw = snappy.compressSync(records)
    expectSameBytes(decompressRecordsSync(CompressionTypes.Snappy, raw), records)
    expectSameBytes(await decompressRecords(CompressionTypes.Snappy, raw), records)
    const half = records.length >> 1
    const twoStreams = Buffer.concat([
      await compressRecords(CompressionTypes.Snappy, records.subarray(0, half)),
      await compressRecords(CompressionTypes.Snappy, records.subarray(half)),
    ])
    expectSameBytes(decompressRecordsSync(CompressionTypes.Snappy, twoStreams), records)
  })

  it('lz4: samsa writes one standard frame and reads frames with checksums, several frames and skippable frames', async () => {
    const framed = await compressRecords(CompressionTypes.LZ4, records)
    expect([...framed.subarray(0, 4)]).toEqual([0x04, 0x22, 0x4d, 0x18])
    expect(framed[4]! >> 6).toBe(1)
    expectSameBytes(lz4.decompressFrameSync(framed), records)

    const checked = lz4.compressFrameSync(Buffer.from(records), {
      contentChecksum: true,
      blockChecksums: true,
    })
    expectSameBytes(decompressRecordsSync(CompressionTypes.LZ4, checked), records)
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3])
    const several = Buffer.concat([
      lz4.compressFrameSync(Buffer.from(records.subarray(0, 1000))),
      skippable,
      lz4.compressFrameSync(Buffer.from(records.subarray(1000))),
    ])
    expectSameBytes(decompressRecordsSync(CompressionTypes.LZ4, several), records)
    expectSameBytes(await decompressRecords(CompressionTypes.LZ4, several), records)
  })

  it('zstd: samsa writes standard frames and reads several frames and skippable frames', async () => {
    const framed = await compressRecords(CompressionTypes.ZSTD, records)
    expect([...framed.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd])
    expectSameBytes(new zstd.Decoder().decodeSync(framed), records)
    const nodeZstd = (zlib as { zstdDecompressSync?: (input: Uint8Array) => Buffer })
      .zstdDecompressSync
    if (nodeZstd !== undefined) expectSameBytes(nodeZstd(framed), records)

    const encoder = new zstd.Encoder(19)
    const several = Buffer.concat([
      encoder.encodeSync(records.subarray(0, 777)),
      Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]),
      encoder.encodeSync(records.subarray(777)),
    ])
    expectSameBytes(decompressRecordsSync(CompressionTypes.ZSTD, several), records)
  })
})

describe('corrupt compressed batches', () => {
  it('refuse unknown codec bits 5 to 7 with CORRUPT_MESSAGE', async () => {
    const plain = encodeRecordBatch({ records: [{ key: null, value: text('v') }], timestamp: 0 })
    for (const codec of [5, 6, 7]) {
      const batch = plain.slice()
      writeInt16(batch, BATCH_ATTRIBUTES, codec)
      sealRecordBatch(batch)
      const error = expectKafkaError(() => checkRecordBatch(batch, true), 'CORRUPT_MESSAGE')
      expect(error.message).toContain(`unknown compression codec ${codec}`)
      expectKafkaError(() => inflateRecordBatch(batch), 'CORRUPT_MESSAGE')
      expectKafkaError(() => decodeRecordBatch(batch), 'CORRUPT_MESSAGE')
      expectKafkaError(() => validateRecords(batch), 'CORRUPT_MESSAGE')
      expectKafkaError(() => decompressRecordsSync(codec, new Uint8Array(4)), 'CORRUPT_MESSAGE')
      await expectKafkaRejection(
        () => decompressRecords(codec, new Uint8Array(4)),
        'CORRUPT_MESSAGE',
      )
    }
  })

  it('still lets a small compressed batch pass the length check', async () => {
    const records = Array.from({ length: 500 }, () => ({ key: null, value: null }))
    const compressed = await compressRecordBatch(encodeRecordBatch({ records, timestamp: 0 }), 4)
    expect(compressed.length - BATCH_HEADER_SIZE).toBeLessThan(500 * 7)
    checkRecordBatch(compressed, true)
  })

  for (const type of CODECS) {
    const name = compressionName(type)

    it(`${name}: truncated or overwritten bytes give CORRUPT_MESSAGE naming the codec`, async () => {
      const records = Array.from({ length: 300 }, (_, i) => ({
        key: text(`key-${i}`),
        value: text(`value ${i} `.repeat(20)),
      }))
      const compressed = await compressRecordBatch(
        encodeRecordBatch({ records, timestamp: 0 }),
        type,
      )
      const section = compressed.subarray(BATCH_HEADER_SIZE)
      const cut = section.subarray(0, section.length >> 1)
      const garbage = new Uint8Array(section.length).fill(0xa5)
      for (const bytes of [cut, garbage, new Uint8Array(0)]) {
        const error = expectKafkaError(() => decompressRecordsSync(type, bytes), 'CORRUPT_MESSAGE')
        expect(error.message).toContain(name)
        await expectKafkaRejection(() => decompressRecords(type, bytes), 'CORRUPT_MESSAGE')
      }
      const truncatedBatch = assembleRecordBatch(readRecordBatchHeader(compressed), cut, type)
      checkRecordBatch(truncatedBatch, true)
      expectKafkaError(() => validateRecords(truncatedBatch), 'CORRUPT_MESSAGE')
      expectKafkaError(() => decodeRecordBatch(truncatedBatch), 'CORRUPT_MESSAGE')
    })

    it(`${name}: random damage to the compressed bytes never escapes as anything but CORRUPT_MESSAGE`, async () => {
      const records = Array.from({ length: 200 }, (_, i) => ({
        key: text(`k${i}`),
        value: text(`payload-${i % 17}-`.repeat(8)),
        headers: [{ key: 'h', value: text(String(i)) }],
      }))
      const compressed = await compressRecordBatch(
        encodeRecordBatch({ records, timestamp: 0 }),
        type,
      )
      const header = readRecordBatchHeader(compressed)
      const section = compressed.subarray(BATCH_HEADER_SIZE)
      await fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(section.length - 1), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          (damage) => {
            const damaged = section.slice()
            for (const [at, xor] of damage) damaged[at] = damaged[at]! ^ xor
            const batch = assembleRecordBatch(header, damaged, type)
            try {
              validateRecords(batch)
            } catch (error) {
              expect(kafkaErrorOf(error)).toBe('CORRUPT_MESSAGE')
            }
            const stored = compressed.slice()
            stored.set(damaged, BATCH_HEADER_SIZE)
            expectKafkaError(() => checkRecordBatch(stored, true), 'CORRUPT_MESSAGE')
          },
        ),
        { seed: propertySeed(), numRuns: 150 },
      )
    })
  }

  it('validateRecords catches a record count, framing or offset lie inside the compression', async () => {
    const records = [
      { key: text('a'), value: text('1'), headers: [{ key: 'h', value: text('x') }] },
      { key: text('b'), value: text('2') },
    ]
    const plain = encodeRecordBatch({ records, timestamp: 0 })
    const good = await compressRecordBatch(plain, CompressionTypes.Snappy)
    validateRecords(good)

    const moreClaimed = good.slice()
    writeInt32(moreClaimed, BATCH_RECORD_COUNT, 3)
    writeInt32(moreClaimed, BATCH_LAST_OFFSET_DELTA, 2)
    sealRecordBatch(moreClaimed)
    checkRecordBatch(moreClaimed, true)
    expectKafkaError(() => validateRecords(moreClaimed), 'CORRUPT_MESSAGE')

    const fewerClaimed = good.slice()
    writeInt32(fewerClaimed, BATCH_RECORD_COUNT, 1)
    sealRecordBatch(fewerClaimed)
    checkRecordBatch(fewerClaimed, true)
    expectKafkaError(() => validateRecords(fewerClaimed), 'CORRUPT_MESSAGE')

    const header = readRecordBatchHeader(plain)
    const lying = async (patch: (section: Uint8Array) => void) => {
      const section = plain.slice(BATCH_HEADER_SIZE)
      patch(section)
      const batch = assembleRecordBatch(
        header,
        await compressRecords(CompressionTypes.Snappy, section),
        CompressionTypes.Snappy,
      )
      checkRecordBatch(batch, true)
      return batch
    }
    // Record 0 (13 bytes): length, attributes, timestampDelta, offsetDelta, keyLength, 'a',
    // valueLength, '1', header count, header key length, 'h', header value length, 'x'.
    // Varints are zigzag: 12 is 24, 1 is 2.
    expect(plain[BATCH_HEADER_SIZE]).toBe(24)
    expect(plain[BATCH_HEADER_SIZE + 11]).toBe(2)
    const headerOverrun = await lying((s) => {
      s[11] = 4
    })
    expectKafkaError(() => validateRecords(headerOverrun), 'CORRUPT_MESSAGE')
    // forEachRecord alone does not see a header overrun: validateRecords' own walk does.
    forEachRecord(inflateRecordBatch(headerOverrun), () => {})
    const secondRecordAt = 13
    expect(plain[BATCH_HEADER_SIZE + secondRecordAt + 3]).toBe(2)
    const repeatedOffset = await lying((s) => {
      s[secondRecordAt + 3] = 0
    })
    expectKafkaError(() => validateRecords(repeatedOffset), 'CORRUPT_MESSAGE')
    const recordOverrun = await lying((s) => {
      s[0] = 40
    })
    expectKafkaError(() => validateRecords(recordOverrun), 'CORRUPT_MESSAGE')
  })
})

describe('the codec registry', () => {
  it('registers all four built-in codecs by default', () => {
    for (const type of CODECS) {
      expect(CompressionCodecs[type]).toBe(BuiltinCompressionCodecs[type])
      expect(typeof CompressionCodecs[type]?.().compress).toBe('function')
    }
  })

  it('built-in entries have KafkaJS shape: compress({ buffer }) and decompress(buffer)', async () => {
    for (const type of CODECS) {
      const codec = CompressionCodecs[type]!()
      const compressed = await codec.compress({ buffer: Buffer.from('hello hello hello') })
      expect(Buffer.isBuffer(compressed)).toBe(true)
      expect((await codec.decompress(compressed)).toString()).toBe('hello hello hello')
    }
  })

  it("uses a user's codec for compressRecords, decompressRecords and inflateRecordBatchWithCodecs, never on the broker path", async () => {
    const calls: string[] = []
    const reversing: CompressionCodec = {
      async compress(encoder) {
        calls.push('compress')
        return Buffer.concat([Buffer.from('REV'), Buffer.from(encoder.buffer).reverse()])
      },
      async decompress(buffer) {
        calls.push('decompress')
        if (buffer.subarray(0, 3).toString() !== 'REV') throw new Error('not mine')
        return Buffer.from(buffer.subarray(3)).reverse()
      },
    }
    CompressionCodecs[CompressionTypes.Snappy] = () => reversing

    const records = text('some records')
    const compressed = await compressRecords(CompressionTypes.Snappy, records)
    expect(Buffer.from(compressed).toString()).toBe('REVsdrocer emos')
    expect(
      Buffer.from(await decompressRecords(CompressionTypes.Snappy, compressed)).toString(),
    ).toBe('some records')
    // The built-in snappy (what brokers use) does not read the user's format.
    expectKafkaError(
      () => decompressRecordsSync(CompressionTypes.Snappy, compressed),
      'CORRUPT_MESSAGE',
    )
    await expectKafkaRejection(
      () => decompressRecords(CompressionTypes.Snappy, text('garbage')),
      'CORRUPT_MESSAGE',
    )

    const plain = encodeRecordBatch({ records: [{ key: null, value: text('v') }], timestamp: 0 })
    const batch = await compressRecordBatch(plain, CompressionTypes.Snappy)
    expect(Buffer.from(batch.subarray(BATCH_HEADER_SIZE, BATCH_HEADER_SIZE + 3)).toString()).toBe(
      'REV',
    )
    checkRecordBatch(batch, true)
    const inflated = await inflateRecordBatchWithCodecs(batch)
    expectSameBytes(inflated.subarray(BATCH_HEADER_SIZE), plain.subarray(BATCH_HEADER_SIZE))
    expect(calls).toEqual(['compress', 'decompress', 'decompress', 'compress', 'decompress'])

    CompressionCodecs[CompressionTypes.Snappy] = BuiltinCompressionCodecs[CompressionTypes.Snappy]
    const framed = await compressRecords(CompressionTypes.Snappy, records)
    expect([...framed.subarray(0, 8)]).toEqual(XERIAL_MAGIC)
    expect(calls).toHaveLength(5)
  })

  it('refuses a codec whose entry is unset with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    CompressionCodecs[CompressionTypes.LZ4] = undefined
    await expectKafkaRejection(
      () => compressRecords(CompressionTypes.LZ4, text('x')),
      'UNSUPPORTED_COMPRESSION_TYPE',
    )
    await expectKafkaRejection(
      () => decompressRecords(CompressionTypes.LZ4, text('x')),
      'UNSUPPORTED_COMPRESSION_TYPE',
    )
    const plain = encodeRecordBatch({ records: [{ key: null, value: text('v') }], timestamp: 0 })
    await expectKafkaRejection(
      () => compressRecordBatch(plain, CompressionTypes.LZ4),
      'UNSUPPORTED_COMPRESSION_TYPE',
    )
    await expect(compressRecords(9, text('x'))).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(await compressRecords(CompressionTypes.None, text('x'))).toEqual(text('x'))
  })

  it("bounds a user codec's output after the fact", async () => {
    CompressionCodecs[CompressionTypes.GZIP] = () => ({
      compress: async (encoder) => encoder.buffer,
      decompress: async () => Buffer.alloc(2048),
    })
    await expectKafkaRejection(
      () => decompressRecords(CompressionTypes.GZIP, text('x'), 1024),
      'CORRUPT_MESSAGE',
    )
  })
})

describe('decompression bombs', () => {
  const BOMB_BYTES = 80 * 1024 * 1024
  const bombs = new Map<CompressedType, Uint8Array>()

  beforeAll(async () => {
    const zeros = new Uint8Array(BOMB_BYTES)
    for (const type of CODECS) {
      bombs.set(type, await compressRecords(type, zeros))
    }
    expect(BOMB_BYTES).toBeGreaterThan(DEFAULT_MAX_DECOMPRESSED_BYTES)
  }, 30_000)

  for (const type of CODECS) {
    const name = compressionName(type)
    it(`${name}: refuses 80 MiB of zeros from ${name} under the default bound, decodes it when allowed`, async () => {
      const bomb = bombs.get(type)!
      expect(bomb.length).toBeLessThan(BOMB_BYTES / 15)
      const error = expectKafkaError(() => decompressRecordsSync(type, bomb), 'CORRUPT_MESSAGE')
      expect(error.message).toContain(`${name}: the records decompress to more than`)
      await expectKafkaRejection(() => decompressRecords(type, bomb), 'CORRUPT_MESSAGE')
      await expectKafkaRejection(() => decompressRecords(type, bomb, 1 << 20), 'CORRUPT_MESSAGE')
      const allowed = decompressRecordsSync(type, bomb, BOMB_BYTES)
      expect(allowed.length).toBe(BOMB_BYTES)
    }, 30_000)
  }

  it('refuses a compressed batch whose records inflate past maxBytes', async () => {
    const value = new Uint8Array(100_000)
    const compressed = await compressRecordBatch(
      encodeRecordBatch({ records: [{ key: null, value }], timestamp: 0 }),
      CompressionTypes.ZSTD,
    )
    expectKafkaError(() => inflateRecordBatch(compressed, { maxBytes: 50_000 }), 'CORRUPT_MESSAGE')
    expectKafkaError(() => validateRecords(compressed, { maxBytes: 50_000 }), 'CORRUPT_MESSAGE')
    await expectKafkaRejection(
      () => inflateRecordBatchWithCodecs(compressed, { maxBytes: 50_000 }),
      'CORRUPT_MESSAGE',
    )
    validateRecords(compressed, { maxBytes: 200_000 })
  })

  it('refuses lying size claims before the native decoder runs', () => {
    // The native decoders have no output limit of their own: samsa's frame walk must stop these
    // before any of them is called (the spies see the same module objects samsa loaded).
    const snappyDecode = vi.spyOn(snappy, 'uncompressSync')
    const lz4Decode = vi.spyOn(lz4, 'decompressFrameSync')
    const zstdDecode = vi.spyOn(zstd.Decoder.prototype, 'decodeSync')

    // A raw snappy block that claims 4 GiB - 1, and a xerial stream of 80 MiB.
    const snappyLie = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])
    expectKafkaError(
      () => decompressRecordsSync(CompressionTypes.Snappy, snappyLie),
      'CORRUPT_MESSAGE',
    )
    expectKafkaError(
      () => decompressRecordsSync(CompressionTypes.Snappy, bombs.get(CompressionTypes.Snappy)!),
      'CORRUPT_MESSAGE',
    )
    expectKafkaError(
      () => decompressRecordsSync(CompressionTypes.LZ4, bombs.get(CompressionTypes.LZ4)!),
      'CORRUPT_MESSAGE',
    )
    // A zstd frame of 600 RLE blocks of 128 KiB each (75 MiB) in 2.4 KB.
    const blocks = 600
    const frame = new Uint8Array(6 + blocks * 4)
    frame.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x40])
    for (let i = 0; i < blocks; i++) {
      const header = ((128 * 1024) << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0)
      frame.set([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x61], 6 + i * 4)
    }
    expectKafkaError(() => decompressRecordsSync(CompressionTypes.ZSTD, frame), 'CORRUPT_MESSAGE')
    expectKafkaError(
      () => decompressRecordsSync(CompressionTypes.ZSTD, bombs.get(CompressionTypes.ZSTD)!),
      'CORRUPT_MESSAGE',
    )
    expect(snappyDecode).not.toHaveBeenCalled()
    expect(lz4Decode).not.toHaveBeenCalled()
    expect(zstdDecode).not.toHaveBeenCalled()

    // The frame is a real one: allowed 76 MiB, zstd decodes it.
    const decoded = decompressRecordsSync(CompressionTypes.ZSTD, frame, 76 * 1024 * 1024)
    expect(decoded.length).toBe(blocks * 128 * 1024)
    expect(decoded[12345]).toBe(0x61)
    expect(zstdDecode).toHaveBeenCalledTimes(1)
  })

  it('rejects a bound outside 1 .. 2^31', () => {
    expect(() => decompressRecordsSync(1, new Uint8Array(1), 0)).toThrow(InvalidArgumentError)
    expect(() => decompressRecordsSync(1, new Uint8Array(1), 2 ** 32)).toThrow(InvalidArgumentError)
  })
})
