import { InvalidArgumentError } from '../errors/samsa-error.js'
import { readInt16, readInt32, readInt64, writeInt16, writeInt32 } from './big-endian.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
  encodeRecordBatch,
} from './record-batch-codec.js'
import { decodeRecordBatch } from './record-reader.js'

/*
 * Kafka's transaction markers. A marker is a control batch (attributes: transactional and
 * control bits) of the transaction's producer id and epoch, holding one control record:
 *   key   => version INT16 (0), type INT16 (0 abort, 1 commit)
 *   value => version INT16 (0), coordinatorEpoch INT32
 */

/** RecordBatch attributes bit 4: the batch belongs to a transaction. */
export const TRANSACTIONAL_BIT = 0x10
/** RecordBatch attributes bit 5: the batch holds control records, not data. */
export const CONTROL_BIT = 0x20

const ABORT = 0
const COMMIT = 1
const MARKER_KEY_BYTES = 4
const MARKER_VALUE_BYTES = 6

export interface TransactionMarker {
  readonly producerId: number
  readonly producerEpoch: number
  readonly commit: boolean
  readonly coordinatorEpoch: number
}

export function isTransactionalBatch(batch: Uint8Array): boolean {
  return (readInt16(batch, BATCH_ATTRIBUTES) & TRANSACTIONAL_BIT) !== 0
}

export function isControlBatch(batch: Uint8Array): boolean {
  return (readInt16(batch, BATCH_ATTRIBUTES) & CONTROL_BIT) !== 0
}

export function encodeMarkerBatch(marker: TransactionMarker, timestamp: number): Uint8Array {
  const key = new Uint8Array(MARKER_KEY_BYTES)
  writeInt16(key, 0, 0)
  writeInt16(key, 2, marker.commit ? COMMIT : ABORT)
  const value = new Uint8Array(MARKER_VALUE_BYTES)
  writeInt16(value, 0, 0)
  writeInt32(value, 2, marker.coordinatorEpoch)
  return encodeRecordBatch({
    records: [{ key, value }],
    timestamp,
    attributes: TRANSACTIONAL_BIT | CONTROL_BIT,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
  })
}

/**
 * The marker a control batch carries; undefined for any other batch, and for a control record
 * of a kind other than a transaction marker (Kafka has others, which consumers skip too).
 */
export function readMarker(batch: Uint8Array): TransactionMarker | undefined {
  if (!isControlBatch(batch) || !isTransactionalBatch(batch)) return undefined
  const [record] = decodeRecordBatch(batch, { verifyCrc: false }).records
  const key = record?.key
  if (key === undefined || key === null || key.length < MARKER_KEY_BYTES) {
    throw new InvalidArgumentError('a control batch must hold a control record with its key')
  }
  const type = readInt16(key, 2)
  if (type !== ABORT && type !== COMMIT) return undefined
  const value = record?.value
  return {
    producerId: readInt64(batch, BATCH_PRODUCER_ID),
    producerEpoch: readInt16(batch, BATCH_PRODUCER_EPOCH),
    commit: type === COMMIT,
    coordinatorEpoch:
      value === undefined || value === null || value.length < MARKER_VALUE_BYTES
        ? -1
        : readInt32(value, 2),
  }
}
