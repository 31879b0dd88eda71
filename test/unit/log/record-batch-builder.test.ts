import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  RecordBatchBuilder,
  type RecordBytes,
  type RecordHeaders,
  stampIdentity,
} from '../../../src/runtime/log/record-batch-builder.js'
import {
  checkRecordBatch,
  encodeRecordBatch,
  type RecordHeader,
} from '../../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../../src/runtime/log/record-reader.js'
import { propertySeed } from './seed.js'

const bytesOf = (value: RecordBytes): Uint8Array | null =>
  typeof value === 'string' ? Buffer.from(value, 'utf8') : value

/** The headers a KafkaJS headers object stands for, in the order the builder writes them. */
function flatHeaders(headers: RecordHeaders | undefined): RecordHeader[] {
  if (headers === undefined) return []
  return Object.keys(headers).flatMap((key) => {
    const entry = headers[key] ?? null
    const values = Array.isArray(entry) ? (entry as readonly RecordBytes[]) : [entry as RecordBytes]
    return values.map((value) => ({ key, value: bytesOf(value) }))
  })
}

const recordBytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
)
const headersArbitrary = fc.option(
  fc.dictionary(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
    fc.oneof(
      recordBytes,
      fc.array(
        recordBytes.filter((value) => value !== null),
        { maxLength: 3 },
      ),
      fc.constant(undefined),
    ),
    { maxKeys: 4 },
  ),
  { nil: undefined },
)
const messageArbitrary = fc.record({
  key: recordBytes,
  value: recordBytes,
  headers: headersArbitrary,
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
})

describe('RecordBatchBuilder', () => {
  it('writes the same batch as the object encoder, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(messageArbitrary, { minLength: 1, maxLength: 30 }), (messages) => {
        const builder = new RecordBatchBuilder(Number.MAX_SAFE_INTEGER)
        for (const { key, value, headers, timestamp } of messages) {
          expect(builder.tryAdd(key, value, headers as RecordHeaders, timestamp)).toBe(true)
        }
        const built = builder.finish().slice()
        const identity = { producerId: 7, producerEpoch: 2, baseSequence: 40 }
        stampIdentity(built, identity)
        const encoded = encodeRecordBatch({
          records: messages.map(({ key, value, headers, timestamp }) => ({
            key: bytesOf(key),
            value: bytesOf(value),
            headers: flatHeaders(headers as RecordHeaders),
            timestamp,
          })),
          timestamp: 0,
          ...identity,
        })
        expect(Buffer.from(built).equals(Buffer.from(encoded))).toBe(true)
        expect(() => checkRecordBatch(built, true)).not.toThrow()
      }),
      { seed: propertySeed() },
    )
  })

  it('refuses a record past its limit unless the batch is empty, and starts over on reset', () => {
    const builder = new RecordBatchBuilder(300)
    const value = Buffer.alloc(100, 1)
    expect(builder.tryAdd(null, value, undefined, 5)).toBe(true)
    expect(builder.tryAdd(null, value, undefined, 6)).toBe(true)
    const before = builder.byteLength
    expect(builder.tryAdd(null, value, undefined, 7)).toBe(false)
    expect(builder.byteLength).toBe(before)
    expect(builder.recordCount).toBe(2)
    const batch = builder.finish().slice()
    stampIdentity(batch)
    expect(decodeRecordBatch(batch).records.map((record) => record.timestamp)).toEqual([5, 6])
    builder.reset()
    // Alone in its batch, a record goes in whatever its size; the buffer grows for it.
    expect(builder.tryAdd('k', Buffer.alloc(5000, 2), { h: ['a', 'b'] }, 9)).toBe(true)
    const big = builder.finish().slice()
    stampIdentity(big)
    const [record] = decodeRecordBatch(big).records
    expect(record?.value?.length).toBe(5000)
    expect(record?.headers.map((header) => header.key)).toEqual(['h', 'h'])
  })

  it('writes a header with an undefined value as a null one, as KafkaJS does', () => {
    const builder = new RecordBatchBuilder()
    builder.tryAdd(null, 'v', { missing: undefined, kept: 'x' }, 1)
    const batch = builder.finish().slice()
    stampIdentity(batch)
    expect(decodeRecordBatch(batch).records[0]?.headers).toEqual([
      { key: 'missing', value: null },
      { key: 'kept', value: Buffer.from('x') },
    ])
  })
})
