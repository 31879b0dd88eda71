import { describe, expect, it } from 'vitest'
import { TransactionTable } from '../../../src/actors/broker/transaction-table.js'
import { withoutAborted } from '../../../src/actors/consumer/partition-fetcher.js'
import type { TransactionMetadata } from '../../../src/actors/transactions/transaction-log.js'
import {
  decodeTransactionRecord,
  encodeTransactionRecord,
} from '../../../src/actors/transactions/transaction-log.js'
import {
  checkProducer,
  endTransaction,
  fencingAbort,
  hasTimedOut,
  joinTransaction,
} from '../../../src/actors/transactions/transaction-transitions.js'
import {
  encodeMarkerBatch,
  readMarker,
  TRANSACTIONAL_BIT,
} from '../../../src/runtime/log/control-batch.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'
import { encodeRecordBatch } from '../../../src/runtime/log/record-batch-codec.js'

const data = (producerId: number, values: string[], transactional = true) =>
  encodeRecordBatch({
    records: values.map((value) => ({ key: null, value: Buffer.from(value) })),
    timestamp: 1,
    attributes: transactional ? TRANSACTIONAL_BIT : 0,
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
  })

const marker = (producerId: number, commit: boolean, producerEpoch = 0) =>
  encodeMarkerBatch({ producerId, producerEpoch, commit, coordinatorEpoch: 3 }, 1)

describe('transaction markers', () => {
  it('are control batches of the transaction’s producer holding Kafka’s marker record', () => {
    const batch = marker(7, true, 2)
    expect(readMarker(batch)).toEqual({
      producerId: 7,
      producerEpoch: 2,
      commit: true,
      coordinatorEpoch: 3,
    })
    expect(readMarker(marker(7, false))?.commit).toBe(false)
    expect(readMarker(data(7, ['a']))).toBeUndefined()
  })
})

describe('a leader’s transaction table and the log’s last stable offset', () => {
  it('refuses a transactional batch of a producer the coordinator has not added here', () => {
    const table = new TransactionTable()
    expect(() => table.checkWrite(1, 0)).toThrow('INVALID_TXN_STATE')
    table.add(1, 0)
    expect(() => table.checkWrite(1, 0)).not.toThrow()
    expect(() => table.checkWrite(1, 1)).toThrow('INVALID_TXN_STATE')
  })

  it('bounds the last stable offset by the oldest open transaction, and indexes aborts', () => {
    const log = new PartitionLog({ capacity: 1 << 16 })
    const table = new TransactionTable()
    const write = (batch: Uint8Array) => log.append(batch, { commit: true })
    write(data(9, ['plain'], false))
    table.recordWrite(1, 0, write(data(1, ['a1', 'a2'])))
    table.recordWrite(2, 0, write(data(2, ['b1'])))
    log.setFirstUnstableOffset(table.firstUnstableOffset())
    expect(log.highWatermark).toBe(4)
    expect(log.lastStableOffset).toBe(1)
    const abortAt = write(marker(1, false))
    const aborted = table.recordMarker(readMarker(marker(1, false))!, abortAt)
    expect(aborted).toEqual({ producerId: 1, firstOffset: 1, lastOffset: 4 })
    log.addAbortedTransaction(aborted!)
    log.setFirstUnstableOffset(table.firstUnstableOffset())
    expect(log.lastStableOffset).toBe(3)
    table.recordMarker(readMarker(marker(2, true))!, write(marker(2, true)))
    log.setFirstUnstableOffset(table.firstUnstableOffset())
    expect(log.lastStableOffset).toBe(6)
    expect(log.abortedTransactions(0, 6)).toEqual([aborted])

    const read = log.read(0, 1 << 20, { upTo: 'last-stable' })
    const kept = withoutAborted(read.batches, log.abortedTransactions(0, read.nextOffset))
    expect(kept.map((batch) => readMarker(batch)?.commit ?? 'data')).toEqual([
      'data',
      'data',
      false,
      true,
    ])

    // A new leader finds the same from the log alone.
    const rebuilt = TransactionTable.fromBatches(read.batches, 0)
    expect(rebuilt.aborted).toEqual([aborted])
    expect(rebuilt.table.firstUnstableOffset()).toBeUndefined()
  })

  it('drops aborted entries a truncation cut off', () => {
    const log = new PartitionLog({ capacity: 1 << 16 })
    log.append(data(1, ['a']), { commit: true })
    const at = log.append(marker(1, false), { commit: true })
    log.addAbortedTransaction({ producerId: 1, firstOffset: 0, lastOffset: at })
    log.truncateTo(at)
    expect(log.abortedTransactions(0, 10)).toEqual([])
  })
})

describe('the transaction coordinator’s decisions', () => {
  const empty: TransactionMetadata = {
    transactionalId: 't',
    producerId: 5,
    producerEpoch: 1,
    timeoutMs: 1_000,
    phase: 'Empty',
    partitions: [],
    groups: [],
    startedAt: 0,
  }

  it('fences an older epoch and a foreign producer id', () => {
    expect(() => checkProducer(empty, 't', 5, 0)).toThrow('PRODUCER_FENCED')
    expect(() => checkProducer(empty, 't', 6, 1)).toThrow('INVALID_PRODUCER_ID_MAPPING')
    expect(checkProducer(empty, 't', 5, 1)).toBe(empty)
  })

  it('opens, prepares and times out a transaction as Kafka’s coordinator does', () => {
    const ongoing = joinTransaction(empty, 100, [{ topic: 'a', partition: 0 }], ['g'])
    expect(ongoing).toMatchObject({ phase: 'Ongoing', startedAt: 100, groups: ['g'] })
    const more = joinTransaction(ongoing, 500, [{ topic: 'a', partition: 0 }], [])
    expect(more.partitions).toHaveLength(1)
    expect(more.startedAt).toBe(100)
    expect(hasTimedOut(more, 1_099)).toBe(false)
    expect(hasTimedOut(more, 1_100)).toBe(true)
    expect(endTransaction(more, true)).toMatchObject({ phase: 'PrepareCommit' })
    expect(() => endTransaction(empty, true)).toThrow('INVALID_TXN_STATE')
    expect(() => joinTransaction(fencingAbort(more), 0, [], [])).toThrow('CONCURRENT_TRANSACTIONS')
    expect(fencingAbort(more)).toMatchObject({ phase: 'PrepareAbort', producerEpoch: 2 })
  })

  it('reads back what it writes to the state topic', () => {
    const record = encodeTransactionRecord({
      ...empty,
      phase: 'Ongoing',
      partitions: [{ topic: 'a', partition: 3 }],
      groups: ['g'],
    })
    expect(decodeTransactionRecord(record.key, record.value)).toEqual({
      transactionalId: 't',
      metadata: {
        ...empty,
        phase: 'Ongoing',
        partitions: [{ topic: 'a', partition: 3 }],
        groups: ['g'],
      },
    })
  })
})
