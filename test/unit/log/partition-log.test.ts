import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  KafkaProtocolError,
} from '../../../src/runtime/errors/samsa-error.js'
import { writeInt32 } from '../../../src/runtime/log/big-endian.js'
import { APPEND_SIGNAL_BYTES } from '../../../src/runtime/log/log-layout.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'
import { PartitionLogReader } from '../../../src/runtime/log/partition-log-reader.js'
import {
  BATCH_LENGTH,
  BATCH_MAGIC,
  encodeRecordBatch,
} from '../../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../../src/runtime/log/record-reader.js'

const value = (n: number) => Uint8Array.from([n & 0xff, (n >> 8) & 0xff])
const batchOf = (count: number, timestamp = 0, size = 2) =>
  encodeRecordBatch({
    timestamp,
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: new Uint8Array(size).fill(i),
    })),
  })

function kafkaErrorType(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    if (error instanceof KafkaProtocolError) return error.type
    throw error
  }
  return 'nothing thrown'
}

describe('PartitionLog', () => {
  it('appends and reads across offset 2^32 without wrapping', () => {
    const start = 2 ** 32 - 10
    const log = new PartitionLog({ capacity: 4096, startOffset: start })
    const offsets: number[] = []
    for (let i = 0; i < 8; i++) {
      const batch = encodeRecordBatch({
        timestamp: 0,
        records: [
          { key: null, value: value(i) },
          { key: null, value: null },
        ],
      })
      offsets.push(log.append(batch))
    }
    log.setHighWatermark(log.logEndOffset)
    expect(offsets).toEqual(Array.from({ length: 8 }, (_, i) => start + 2 * i))
    expect(log.logEndOffset).toBe(2 ** 32 + 6)
    const result = log.read(2 ** 32 + 1, 1 << 20)
    const decoded = result.batches.map((b) => decodeRecordBatch(b))
    expect(decoded[0]?.baseOffset).toBe(2 ** 32)
    expect(decoded.flatMap((b) => b.records.map((r) => r.offset))).toEqual([
      2 ** 32,
      2 ** 32 + 1,
      2 ** 32 + 2,
      2 ** 32 + 3,
      2 ** 32 + 4,
      2 ** 32 + 5,
    ])
    expect(result.nextOffset).toBe(2 ** 32 + 6)
  })

  it('patches base offset and leader epoch but keeps the CRC valid and the input untouched', () => {
    const log = new PartitionLog({ capacity: 1024, leaderEpoch: 3 })
    const batch = batchOf(2)
    const before = [...batch]
    log.append(batchOf(1))
    log.append(batch)
    expect([...batch]).toEqual(before)
    log.setHighWatermark(log.logEndOffset)
    const stored = decodeRecordBatch(log.read(1, 0).batches[0]!, { verifyCrc: true })
    expect(stored.baseOffset).toBe(1)
    expect(stored.partitionLeaderEpoch).toBe(3)
  })

  it('returns one whole batch even when it is bigger than maxBytes, and nothing past the high watermark', () => {
    const log = new PartitionLog({ capacity: 4096 })
    log.append(batchOf(3, 0, 100))
    log.append(batchOf(3))
    expect(log.read(0, 1 << 20).batches).toHaveLength(0)
    log.setHighWatermark(3)
    expect(log.read(0, 10).batches).toHaveLength(1)
    expect(log.read(0, 1 << 20).batches).toHaveLength(1)
    expect(log.read(0, 1 << 20, { upTo: 'log-end' }).batches).toHaveLength(2)
  })

  it('gives copies that survive the ring being overwritten', () => {
    const log = new PartitionLog({ capacity: 256 })
    log.append(batchOf(1, 0, 40))
    log.setHighWatermark(1)
    const copy = log.read(0, 1000)
    const view = log.read(0, 1000, { zeroCopy: true })
    for (let i = 0; i < 6; i++) log.append(batchOf(1, 0, 40))
    expect(log.logStartOffset).toBeGreaterThan(0)
    expect(decodeRecordBatch(copy.batches[0]!).baseOffset).toBe(0)
    expect(log.isIntact(copy)).toBe(false)
    expect(log.isIntact(view)).toBe(false)
    expect(kafkaErrorType(() => log.read(0, 1000))).toBe('OFFSET_OUT_OF_RANGE')
  })

  it('stops a read where the ring ends, even when a batch ends exactly there', () => {
    let size = 0
    while (batchOf(1, 0, size).length !== 128) size++
    const log = new PartitionLog({ capacity: 256 })
    for (let i = 0; i < 3; i++) log.append(batchOf(1, 0, size))
    const firstLap = log.read(1, 1 << 20, { upTo: 'log-end' })
    expect(firstLap.batches.map((b) => decodeRecordBatch(b).baseOffset)).toEqual([1])
    expect(firstLap.nextOffset).toBe(2)
    expect(
      decodeRecordBatch(log.read(2, 1 << 20, { upTo: 'log-end' }).batches[0]!).baseOffset,
    ).toBe(2)
  })

  it('rejects a batch larger than the ring and stays usable', () => {
    const log = new PartitionLog({ capacity: 256 })
    expect(kafkaErrorType(() => log.append(batchOf(1, 0, 300)))).toBe('RECORD_LIST_TOO_LARGE')
    expect(log.append(batchOf(1))).toBe(0)
  })

  it('rejects malformed batches (magic, length, CRC when asked to check it) and stays usable', () => {
    const log = new PartitionLog({ capacity: 1024, verifyCrc: true })
    const badMagic = batchOf(1)
    badMagic[BATCH_MAGIC] = 0
    const badLength = batchOf(1)
    writeInt32(badLength, BATCH_LENGTH, 3)
    const badCrc = batchOf(1)
    badCrc[badCrc.length - 1] = (badCrc.at(-1) as number) ^ 1
    for (const bad of [badMagic, badLength, badCrc]) {
      expect(kafkaErrorType(() => log.append(bad))).toBe('CORRUPT_MESSAGE')
    }
    expect(log.logEndOffset).toBe(0)
    expect(log.append(batchOf(2))).toBe(0)
    expect(log.append(batchOf(1))).toBe(2)
  })

  it('rejects negative or fractional offsets as programming errors', () => {
    const log = new PartitionLog({ capacity: 1024 })
    expect(() => log.read(-1, 10)).toThrow(InvalidArgumentError)
    expect(() => log.read(1.5, 10)).toThrow(InvalidArgumentError)
    expect(() => log.truncateTo(-3)).toThrow(InvalidArgumentError)
    expect(() => log.setHighWatermark(1)).toThrow(InvalidArgumentError)
    expect(() => new PartitionLog({ capacity: 1000 })).toThrow(InvalidArgumentError)
  })

  it('answers KAFKA_STORAGE_ERROR once closed, NOT_LEADER_OR_FOLLOWER while fenced', () => {
    const log = new PartitionLog({ capacity: 1024 })
    log.append(batchOf(1))
    log.fence()
    expect(kafkaErrorType(() => log.append(batchOf(1)))).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(kafkaErrorType(() => log.read(0, 10))).toBe('NOT_LEADER_OR_FOLLOWER')
    log.activate()
    expect(log.append(batchOf(1))).toBe(1)
    log.close()
    expect(kafkaErrorType(() => log.read(0, 10))).toBe('KAFKA_STORAGE_ERROR')
    expect(kafkaErrorType(() => log.append(batchOf(1)))).toBe('KAFKA_STORAGE_ERROR')
    expect(kafkaErrorType(() => log.activate())).toBe('KAFKA_STORAGE_ERROR')
  })

  it('reopens from a handle and rejects a handle that is not one', () => {
    const log = new PartitionLog({ capacity: 1024, startOffset: 7 })
    const reader = PartitionLogReader.open(structuredClone(log.handle()))
    log.append(batchOf(2))
    expect(reader.logEndOffset).toBe(9)
    expect(() => PartitionLogReader.open({ header: new SharedArrayBuffer(8) })).toThrow(
      InvalidArgumentError,
    )
    expect(() => PartitionLogReader.open(null)).toThrow(InvalidArgumentError)
    const { appendSignal: _, ...withoutSignal } = log.handle()
    expect(() => PartitionLogReader.open(withoutSignal)).toThrow(/appendSignal/)
  })

  it("carries its writer's append signal, shared by the writer's logs, kept by a taker-over", () => {
    const signal = new SharedArrayBuffer(APPEND_SIGNAL_BYTES)
    const first = new PartitionLog({ capacity: 1024, appendSignal: signal })
    const second = new PartitionLog({ capacity: 1024, appendSignal: signal })
    expect(PartitionLogReader.open(first.handle()).appendSignal.words.buffer).toBe(signal)
    expect(second.handle().appendSignal).toBe(signal)
    // A restarted broker takes the log over with a signal of its own.
    const restarted = new SharedArrayBuffer(APPEND_SIGNAL_BYTES)
    const taken = new PartitionLog({ capacity: 1024, appendSignal: restarted }, first.handle())
    expect(taken.handle().appendSignal).toBe(restarted)
    expect(new PartitionLog({ capacity: 1024 }).handle().appendSignal).not.toBe(signal)
  })

  it('finds offsets by timestamp and evicts by time with the injected clock', () => {
    let now = 10_000
    const log = new PartitionLog({ capacity: 4096, retentionMs: 1000, now: () => now })
    log.append(batchOf(2, 9_000))
    log.append(batchOf(2, 9_500))
    log.append(batchOf(2, 9_900))
    log.setHighWatermark(log.logEndOffset)
    expect(log.offsetForTimestamp(9_400)).toBe(2)
    expect(log.offsetForTimestamp(9_900)).toBe(4)
    expect(log.offsetForTimestamp(9_901)).toBeNull()
    now = 10_600
    log.enforceRetention()
    expect(log.logStartOffset).toBe(4)
  })

  it('truncates a suffix whole batches at a time, and resets', () => {
    const log = new PartitionLog({ capacity: 4096 })
    log.append(batchOf(3))
    log.append(batchOf(3))
    log.setHighWatermark(6)
    log.truncateTo(4)
    expect([log.logEndOffset, log.highWatermark]).toEqual([3, 3])
    expect(log.append(batchOf(1))).toBe(3)
    log.reset(100)
    expect([log.logStartOffset, log.logEndOffset]).toEqual([100, 100])
    expect(log.append(batchOf(1))).toBe(100)
  })

  it('wakes a waiting reader on append and times out when nothing comes', async () => {
    const log = new PartitionLog({ capacity: 1024 })
    expect(await log.waitForData(0, 20)).toBe(false)
    const waiting = log.waitForData(0, 5_000, { upTo: 'log-end' })
    log.append(batchOf(1))
    expect(await waiting).toBe(true)
    const closing = log.waitForData(5, 5_000)
    log.close()
    expect(await closing).toBe(true)
  })
})

describe('taking over a log from a writer that is gone', () => {
  it('continues where the old writer stood: offsets, high watermark, eviction, timestamps', () => {
    const first = new PartitionLog({ capacity: 1024 })
    first.append(batchOf(3))
    first.append(batchOf(2))
    first.setHighWatermark(4)
    const second = new PartitionLog({ capacity: 1024 }, first.handle())
    expect([second.logStartOffset, second.logEndOffset, second.highWatermark]).toEqual([0, 5, 4])
    expect(second.append(batchOf(1))).toBe(5)
    for (let round = 0; round < 40; round++) second.append(batchOf(2))
    expect(second.logStartOffset).toBeGreaterThan(0)
    second.setHighWatermark(second.logEndOffset)
    let offset: number = second.logStartOffset
    let records = 0
    while (offset < second.highWatermark) {
      const read = second.read(offset, 1 << 20)
      for (const batch of read.batches) records += decodeRecordBatch(batch).records.length
      offset = read.nextOffset
    }
    expect(records).toBe(second.logEndOffset - second.logStartOffset)
  })
})

describe('append with commit', () => {
  it('moves the high watermark to the new log end in the same step', () => {
    const log = new PartitionLog({ capacity: 1024 })
    log.append(batchOf(2))
    expect(log.highWatermark).toBe(0)
    log.append(batchOf(3), { commit: true })
    expect([log.logEndOffset, log.highWatermark]).toEqual([5, 5])
  })
})

describe('appending replicated batches', () => {
  it('keeps the offsets and epoch the leader gave, and refuses a gap', () => {
    const leader = new PartitionLog({ capacity: 4096, leaderEpoch: 7 })
    const follower = new PartitionLog({ capacity: 4096 })
    leader.append(batchOf(2))
    leader.append(batchOf(3))
    const copied = leader.read(0, 1 << 20, { upTo: 'log-end' }).batches
    for (const batch of copied) follower.appendReplica(batch)
    expect(follower.logEndOffset).toBe(5)
    follower.setHighWatermark(5)
    const stored = follower.read(2, 1 << 20).batches.map((batch) => decodeRecordBatch(batch))
    expect(stored.map((batch) => [batch.baseOffset, batch.partitionLeaderEpoch])).toEqual([[2, 7]])
    expect(() => follower.appendReplica(copied[0] as Uint8Array)).toThrow(
      'must start at the log end 5',
    )
  })
})
