import { describe, expect, it } from 'vitest'
import { batchIdentity, ProducerStateTable } from '../../../src/actors/broker/producer-state.js'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'
import { encodeRecordBatch } from '../../../src/runtime/log/record-batch-codec.js'

const identity = (baseSequence: number, count = 2, producerEpoch = 0, producerId = 7) => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastSequence: baseSequence + count - 1,
})

const typeOf = (action: () => unknown) => {
  try {
    action()
    return 'none'
  } catch (error) {
    return error instanceof KafkaProtocolError ? error.type : String(error)
  }
}

describe('ProducerStateTable', () => {
  it('appends in sequence and answers a retried batch with its original offset', () => {
    const table = new ProducerStateTable()
    expect(table.check(identity(0))).toEqual({ kind: 'append' })
    table.recordAppended(identity(0), 100)
    table.recordAppended(identity(2), 102)
    expect(table.check(identity(0))).toEqual({ kind: 'duplicate', baseOffset: 100 })
    expect(table.check(identity(2))).toEqual({ kind: 'duplicate', baseOffset: 102 })
    expect(table.check(identity(4))).toEqual({ kind: 'append' })
  })

  it('answers a retry of any of the last five batches with its offset, and no older one', () => {
    const table = new ProducerStateTable()
    for (let batch = 0; batch < 6; batch++) table.recordAppended(identity(batch * 2), batch * 10)
    for (let batch = 1; batch < 6; batch++) {
      expect(table.check(identity(batch * 2))).toEqual({
        kind: 'duplicate',
        baseOffset: batch * 10,
      })
    }
    expect(typeOf(() => table.check(identity(0)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
  })

  it("starts a new epoch at sequence 0, forgetting the old epoch's batches", () => {
    const table = new ProducerStateTable()
    table.recordAppended(identity(0), 0)
    table.recordAppended(identity(2), 2)
    expect(typeOf(() => table.check(identity(4, 2, 1)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
    expect(table.check(identity(0, 2, 1))).toEqual({ kind: 'append' })
    table.recordAppended(identity(0, 2, 1), 4)
    expect(table.check(identity(0, 2, 1))).toEqual({ kind: 'duplicate', baseOffset: 4 })
    expect(table.check(identity(2, 2, 1))).toEqual({ kind: 'append' })
    expect(typeOf(() => table.check(identity(2, 2, 0)))).toBe('INVALID_PRODUCER_EPOCH')
  })

  it('refuses a gap, and fences an older epoch', () => {
    const table = new ProducerStateTable()
    table.recordAppended(identity(0, 2, 1), 0)
    expect(typeOf(() => table.check(identity(5, 2, 1)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
    expect(typeOf(() => table.check(identity(2, 2, 0)))).toBe('INVALID_PRODUCER_EPOCH')
    expect(table.check(identity(0, 2, 2))).toEqual({ kind: 'append' })
  })

  it('rebuilds from the batch headers of a log', () => {
    const batch = encodeRecordBatch({
      records: [
        { key: null, value: null },
        { key: null, value: null },
      ],
      timestamp: 0,
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
    })
    expect(batchIdentity(batch)).toEqual(identity(0))
    const table = ProducerStateTable.fromBatches([batch])
    expect(table.check(identity(0))).toEqual({ kind: 'duplicate', baseOffset: 0 })
    expect(
      batchIdentity(encodeRecordBatch({ records: [{ key: null, value: null }], timestamp: 0 })),
    ).toBeUndefined()
  })
})
