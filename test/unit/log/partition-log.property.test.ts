import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'
import { PartitionLogReader } from '../../../src/runtime/log/partition-log-reader.js'
import { encodeRecordBatch } from '../../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../../src/runtime/log/record-reader.js'
import { type ModelRead, PartitionLogModel } from './partition-log-model.js'
import { propertySeed } from './seed.js'

type Operation =
  | { kind: 'append'; records: { value: number[]; timestampDelta: number }[] }
  | { kind: 'setHighWatermark'; fraction: number }
  | {
      kind: 'read'
      fraction: number
      overshoot: number
      maxBytes: number
      /** When set, maxBytes is exactly the size of this many batches: the edge of the rule. */
      exactBatches: number | null
      toLogEnd: boolean
      zeroCopy: boolean
    }
  | { kind: 'tick'; ms: number }
  | { kind: 'truncate'; fraction: number; overshoot: number }
  | { kind: 'reset'; shift: number }
  | { kind: 'setLeaderEpoch'; epoch: number }
  | { kind: 'offsetForTimestamp'; timestampDelta: number }

const fraction = fc.double({ min: 0, max: 1, noNaN: true })
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      records: fc.array(
        fc.record({
          value: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 90 }),
          timestampDelta: fc.integer({ min: -50, max: 50 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('setHighWatermark' as const), fraction }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      fraction,
      overshoot: fc.integer({ min: -2, max: 2 }),
      maxBytes: fc.integer({ min: 0, max: 600 }),
      exactBatches: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
      toLogEnd: fc.boolean(),
      zeroCopy: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      ms: fc.integer({ min: 0, max: 200 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      fraction,
      overshoot: fc.integer({ min: -1, max: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reset' as const),
      shift: fc.integer({ min: -5, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('setLeaderEpoch' as const),
      epoch: fc.integer({ min: 0, max: 9 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('offsetForTimestamp' as const),
      timestampDelta: fc.integer({ min: -300, max: 60 }),
    }),
  },
)

const configuration = fc.record({
  capacityLog2: fc.integer({ min: 9, max: 11 }),
  indexCapacity: fc.constantFrom(4, 8, 64),
  retentionFraction: fc.constantFrom(1, 1, 0.5),
  retentionMs: fc.constantFrom(Number.POSITIVE_INFINITY, 100, 400),
  startOffset: fc.constantFrom(0, 2 ** 32 - 10, 2 ** 31 - 3, 2 ** 53 - 2 ** 20),
})

function pick(from: number, to: number, share: number): number {
  return from + Math.floor(share * (to - from))
}

function expectSameRead(
  actual: () => ReturnType<PartitionLogReader['read']>,
  expected: ModelRead,
): void {
  if ('outOfRange' in expected) {
    expect(actual).toThrow(KafkaProtocolError)
    try {
      actual()
    } catch (error) {
      expect((error as KafkaProtocolError).type).toBe('OFFSET_OUT_OF_RANGE')
    }
    return
  }
  const result = actual()
  expect(result.batches.map((b) => decodeRecordBatch(b).baseOffset)).toEqual(
    expected.batches.map((b) => b.baseOffset),
  )
  result.batches.forEach((bytes, i) => {
    const batch = decodeRecordBatch(bytes)
    const model = expected.batches[i]!
    expect(batch.partitionLeaderEpoch).toBe(model.epoch)
    expect(
      batch.records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        value: [...(r.value ?? [])],
      })),
    ).toEqual(model.records)
  })
  const last = expected.batches.at(-1)
  if (last !== undefined) expect(result.nextOffset).toBe(last.nextOffset)
}

describe('PartitionLog against an in-memory model', () => {
  it('agrees on appends, reads, retention, truncation and resets', () => {
    fc.assert(
      fc.property(
        configuration,
        fc.array(operation, { minLength: 1, maxLength: 120 }),
        (config, operations) => {
          const capacity = 2 ** config.capacityLog2
          const retentionBytes = Math.floor(capacity * config.retentionFraction)
          let clock = 1_000_000
          const log = new PartitionLog({
            capacity,
            indexCapacity: config.indexCapacity,
            retentionBytes,
            retentionMs: config.retentionMs,
            startOffset: config.startOffset,
            now: () => clock,
          })
          const reader = PartitionLogReader.open(log.handle())
          const model = new PartitionLogModel(
            capacity,
            config.indexCapacity,
            retentionBytes,
            config.retentionMs,
            config.startOffset,
          )
          for (const op of operations) {
            switch (op.kind) {
              case 'append': {
                const timestamps = op.records.map((r) => clock + r.timestampDelta)
                const batch = encodeRecordBatch({
                  timestamp: clock,
                  records: op.records.map((r, i) => ({
                    key: null,
                    value: Uint8Array.from(r.value),
                    timestamp: timestamps[i],
                  })),
                })
                const values = op.records.map((r) => r.value)
                expect(log.append(batch)).toBe(
                  model.append(batch.length, timestamps, values, clock),
                )
                break
              }
              case 'setHighWatermark': {
                const offset = pick(model.logStart, model.logEnd, op.fraction)
                log.setHighWatermark(offset)
                model.highWatermark = offset
                break
              }
              case 'read': {
                const from = pick(model.logStart, model.logEnd, op.fraction) + op.overshoot
                if (from < 0) break
                const maxBytes =
                  op.exactBatches === null
                    ? op.maxBytes
                    : model.bytesOfBatches(from, op.exactBatches)
                const options = {
                  upTo: op.toLogEnd ? ('log-end' as const) : ('high-watermark' as const),
                  zeroCopy: op.zeroCopy,
                }
                expectSameRead(
                  () => reader.read(from, maxBytes, options),
                  model.read(from, maxBytes, op.toLogEnd),
                )
                break
              }
              case 'tick':
                clock += op.ms
                log.enforceRetention()
                model.enforceRetention(clock)
                break
              case 'truncate': {
                const offset = Math.max(
                  0,
                  pick(model.logStart, model.logEnd, op.fraction) + op.overshoot,
                )
                log.truncateTo(offset)
                model.truncateTo(offset)
                break
              }
              case 'reset': {
                const offset = Math.max(0, model.logEnd + op.shift)
                log.reset(offset)
                model.reset(offset)
                break
              }
              case 'setLeaderEpoch':
                log.setLeaderEpoch(op.epoch)
                model.epoch = op.epoch
                break
              case 'offsetForTimestamp':
                expect(reader.offsetForTimestamp(clock + op.timestampDelta)).toBe(
                  model.offsetForTimestamp(clock + op.timestampDelta),
                )
                break
            }
            expect([reader.logStartOffset, reader.logEndOffset, reader.highWatermark]).toEqual([
              model.logStart,
              model.logEnd,
              model.highWatermark,
            ])
          }
        },
      ),
      { seed: propertySeed(), numRuns: 300 },
    )
  })
})
