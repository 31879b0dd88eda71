import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  KafkaProtocolError,
} from '../../../src/runtime/errors/samsa-error.js'
import { writeInt32 } from '../../../src/runtime/log/big-endian.js'
import {
  BATCH_CRC,
  BATCH_LENGTH,
  BATCH_MAGIC,
  BATCH_RECORD_COUNT,
  checkRecordBatch,
  encodeRecordBatch,
  type RecordInput,
  readRecordBatchHeader,
} from '../../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch, forEachRecord } from '../../../src/runtime/log/record-reader.js'
import {
  VarintReader,
  varlongSize,
  writeVarint,
  writeVarlong,
} from '../../../src/runtime/log/varint.js'
import { propertySeed } from './seed.js'

const bytes = (text: string) => new TextEncoder().encode(text)

function expectKafkaError(action: () => unknown, type: string): void {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaProtocolError)
    expect((error as KafkaProtocolError).type).toBe(type)
    return
  }
  throw new Error(`expected ${type}, nothing was thrown`)
}

const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 12 }),
      value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
    }),
    { maxLength: 3 },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
})

describe('varints', () => {
  it('round-trip int32 and safe-integer varlongs, zigzag encoded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }),
        (int, signed) => {
          const buffer = new Uint8Array(16)
          const afterInt = writeVarint(buffer, 0, int)
          const reader = new VarintReader(buffer, 0, buffer.length)
          expect(reader.varint()).toBe(int)
          expect(reader.position).toBe(afterInt)
          const afterLong = writeVarlong(buffer, 0, signed)
          expect(afterLong).toBe(varlongSize(signed))
          const longReader = new VarintReader(buffer, 0, buffer.length)
          expect(longReader.varlong()).toBe(signed)
        },
      ),
      { seed: propertySeed() },
    )
  })

  it('encodes zigzag as Kafka does', () => {
    const buffer = new Uint8Array(8)
    expect(writeVarint(buffer, 0, -1)).toBe(1)
    expect(buffer[0]).toBe(1)
    expect(writeVarint(buffer, 0, 300)).toBe(2)
    expect([...buffer.subarray(0, 2)]).toEqual([0xd8, 0x04])
  })

  it('rejects a varint that runs past its end', () => {
    const reader = new VarintReader(new Uint8Array([0x80, 0x80]), 0, 2)
    expectKafkaError(() => reader.varint(), 'CORRUPT_MESSAGE')
  })
})

describe('record batch codec', () => {
  it('round-trips records with keys, values, nulls and headers', () => {
    fc.assert(
      fc.property(fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }), (records) => {
        const batch = encodeRecordBatch({ records, timestamp: 1 })
        const decoded = decodeRecordBatch(batch)
        expect(decoded.magic).toBe(2)
        expect(decoded.recordCount).toBe(records.length)
        expect(decoded.lastOffsetDelta).toBe(records.length - 1)
        expect(decoded.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp ?? 1)))
        expect(decoded.records).toHaveLength(records.length)
        decoded.records.forEach((record, index) => {
          const input = records[index] as RecordInput
          expect(record.offset).toBe(index)
          expect(record.timestamp).toBe(input.timestamp)
          expect(record.key === null ? null : [...record.key]).toEqual(
            input.key === null ? null : [...input.key],
          )
          expect(record.value === null ? null : [...record.value]).toEqual(
            input.value === null ? null : [...input.value],
          )
          expect(
            record.headers.map((h) => ({ key: h.key, value: h.value && [...h.value] })),
          ).toEqual(
            (input.headers ?? []).map((h) => ({ key: h.key, value: h.value && [...h.value] })),
          )
        })
      }),
      { seed: propertySeed() },
    )
  })

  it('visits records in place with the same offsets and lengths', () => {
    const batch = encodeRecordBatch({
      timestamp: 1000,
      records: [
        { key: null, value: bytes('a') },
        { key: bytes('k'), value: null, timestamp: 990 },
      ],
    })
    const seen: unknown[] = []
    forEachRecord(batch, (view) => {
      seen.push([view.offset, view.timestamp, view.keyLength, view.valueLength])
    })
    expect(seen).toEqual([
      [0, 1000, -1, 1],
      [1, 990, 1, -1],
    ])
    expect(readRecordBatchHeader(batch).maxTimestamp).toBe(1000)
  })

  it('writes the producer fields and defaults', () => {
    const batch = encodeRecordBatch({
      records: [{ key: null, value: null }],
      timestamp: 5,
      producerId: 2 ** 40,
      producerEpoch: 3,
      baseSequence: 7,
    })
    const header = readRecordBatchHeader(batch)
    expect(header).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: 2 ** 40,
      producerEpoch: 3,
      baseSequence: 7,
      batchLength: batch.length - 12,
    })
    expect(
      readRecordBatchHeader(
        encodeRecordBatch({ records: [{ key: null, value: null }], timestamp: 5 }),
      ).producerId,
    ).toBe(-1)
  })

  it('rejects an empty batch, both when encoding and when checking', () => {
    expect(() => encodeRecordBatch({ records: [], timestamp: 0 })).toThrow(InvalidArgumentError)
    const batch = encodeRecordBatch({ records: [{ key: null, value: null }], timestamp: 0 })
    writeInt32(batch, BATCH_RECORD_COUNT, 0)
    expectKafkaError(() => checkRecordBatch(batch, false), 'CORRUPT_MESSAGE')
  })

  it('rejects bad magic, bad length, a CRC mismatch and lying record framing', () => {
    const good = () =>
      encodeRecordBatch({ records: [{ key: bytes('k'), value: bytes('value') }], timestamp: 0 })
    const badMagic = good()
    badMagic[BATCH_MAGIC] = 1
    expectKafkaError(() => checkRecordBatch(badMagic, true), 'CORRUPT_MESSAGE')
    const badLength = good()
    writeInt32(badLength, BATCH_LENGTH, badLength.length)
    expectKafkaError(() => checkRecordBatch(badLength, true), 'CORRUPT_MESSAGE')
    const badCrc = good()
    badCrc[badCrc.length - 1] = (badCrc.at(-1) as number) ^ 0xff
    expectKafkaError(() => checkRecordBatch(badCrc, true), 'CORRUPT_MESSAGE')
    const badCrcField = good()
    writeInt32(badCrcField, BATCH_CRC, 12345)
    expectKafkaError(() => decodeRecordBatch(badCrcField), 'CORRUPT_MESSAGE')
    const twoRecordsClaimed = good()
    writeInt32(twoRecordsClaimed, BATCH_RECORD_COUNT, 2)
    expectKafkaError(
      () => decodeRecordBatch(twoRecordsClaimed, { verifyCrc: false }),
      'CORRUPT_MESSAGE',
    )
    expectKafkaError(() => checkRecordBatch(new Uint8Array(20), false), 'CORRUPT_MESSAGE')
  })

  it('refuses compressed batches', () => {
    expect(() =>
      encodeRecordBatch({ records: [{ key: null, value: null }], timestamp: 0, attributes: 1 }),
    ).toThrow(InvalidArgumentError)
  })
})
