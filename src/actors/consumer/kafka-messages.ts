import { readInt16, readInt32, readInt64 } from '../../runtime/log/big-endian.js'
import { COMPRESSION_CODEC_MASK } from '../../runtime/log/compression.js'
import { CONTROL_BIT, TRANSACTIONAL_BIT } from '../../runtime/log/control-batch.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_BASE_SEQUENCE,
  BATCH_BASE_TIMESTAMP,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_MAGIC,
  BATCH_MAX_TIMESTAMP,
  BATCH_PARTITION_LEADER_EPOCH,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
  inflateRecordBatchWithCodecs,
} from '../../runtime/log/record-batch-codec.js'
import {
  fieldBytes,
  forEachRecord,
  type RecordView,
  readHeaders,
} from '../../runtime/log/record-reader.js'
import type { FetchedPartition } from './partition-fetcher.js'

/** Header values as KafkaJS gives them: a key written more than once has an array of values. */
export interface IHeaders {
  [key: string]: Buffer | (Buffer | null)[] | null | undefined
}

/** What KafkaJS's record batch decoder attaches to each record as `batchContext`. */
export interface BatchContext {
  readonly firstOffset: string
  readonly firstTimestamp: string
  readonly partitionLeaderEpoch: number
  readonly inTransaction: boolean
  readonly isControlBatch: boolean
  readonly lastOffsetDelta: number
  readonly producerId: string
  readonly producerEpoch: number
  readonly firstSequence: number
  readonly maxTimestamp: string
  readonly timestampType: number
  readonly magicByte: number
}

/** A consumed record, shaped as KafkaJS 2.2.4 hands it to `eachMessage` and `eachBatch`. */
export interface KafkaMessage {
  readonly magicByte: number
  readonly attributes: number
  readonly timestamp: string
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: IHeaders
  readonly isControlRecord: boolean
  readonly batchContext: BatchContext
}

const TIMESTAMP_TYPE_BIT = 0x08

function batchContextOf(batch: Uint8Array): BatchContext {
  const attributes = readInt16(batch, BATCH_ATTRIBUTES)
  return {
    firstOffset: String(readInt64(batch, BATCH_BASE_OFFSET)),
    firstTimestamp: String(readInt64(batch, BATCH_BASE_TIMESTAMP)),
    partitionLeaderEpoch: readInt32(batch, BATCH_PARTITION_LEADER_EPOCH),
    inTransaction: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControlBatch: (attributes & CONTROL_BIT) !== 0,
    lastOffsetDelta: readInt32(batch, BATCH_LAST_OFFSET_DELTA),
    producerId: String(readInt64(batch, BATCH_PRODUCER_ID)),
    producerEpoch: readInt16(batch, BATCH_PRODUCER_EPOCH),
    firstSequence: readInt32(batch, BATCH_BASE_SEQUENCE),
    maxTimestamp: String(readInt64(batch, BATCH_MAX_TIMESTAMP)),
    timestampType: (attributes & TIMESTAMP_TYPE_BIT) === 0 ? 0 : 1,
    magicByte: batch[BATCH_MAGIC] as number,
  }
}

/** A Buffer over `length` bytes of `bytes` at `start`, or null for Kafka's length -1. */
function bufferAt(bytes: Uint8Array, start: number, length: number): Buffer | null {
  if (length < 0) return null
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, length)
}

function headersOf(view: RecordView): IHeaders {
  const headers: IHeaders = {}
  if (view.headerCount === 0) return headers
  for (const { key, value } of readHeaders(view)) {
    const bytes = value === null ? null : bufferAt(value, 0, value.length)
    const earlier = Object.hasOwn(headers, key) ? headers[key] : undefined
    const combined =
      earlier === undefined ? bytes : [...(Array.isArray(earlier) ? earlier : [earlier]), bytes]
    // defineProperty, so that a header named "__proto__" stays a header.
    Object.defineProperty(headers, key, {
      value: combined,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return headers
}

/**
 * The records of a fetch from `fetchOffset` on, as KafkaJS messages. Control batches (which
 * carry transaction markers, not data) are skipped, as KafkaJS skips them. Keys, values and
 * header values are Buffers over the fetch's own copy of the bytes, never over the ring, so
 * they stay valid whatever the log does afterwards. The framing is checked as it is walked
 * (the bytes come from another thread's memory): a lie throws CORRUPT_MESSAGE.
 */
export async function decodeMessages(fetched: FetchedPartition): Promise<KafkaMessage[]> {
  const messages: KafkaMessage[] = []
  const { fetchOffset } = fetched
  for (const stored of fetched.batches) {
    const batchContext = batchContextOf(stored)
    if (batchContext.isControlBatch) continue
    // A compressed batch is inflated with the codecs registered on this thread, as KafkaJS's
    // consumer decompresses with its CompressionCodecs.
    const batch =
      (readInt16(stored, BATCH_ATTRIBUTES) & COMPRESSION_CODEC_MASK) === 0
        ? stored
        : await inflateRecordBatchWithCodecs(stored)
    const logAppendTime = batchContext.timestampType === 1 ? batchContext.maxTimestamp : undefined
    // One Buffer over the batch, whose subarrays are the keys and values; and the records of
    // one batch mostly share a timestamp, whose string is made once.
    const bytes = Buffer.from(batch.buffer, batch.byteOffset, batch.length)
    let timestampNumber = Number.NaN
    let timestampText = ''
    forEachRecord(batch, (view) => {
      if (view.offset < fetchOffset) return
      if (view.timestamp !== timestampNumber) {
        timestampNumber = view.timestamp
        timestampText = String(view.timestamp)
      }
      messages.push({
        magicByte: batchContext.magicByte,
        attributes: 0,
        timestamp: logAppendTime ?? timestampText,
        offset: String(view.offset),
        key: fieldBytes(bytes, view.keyStart, view.keyLength),
        value: fieldBytes(bytes, view.valueStart, view.valueLength),
        headers: headersOf(view),
        isControlRecord: false,
        batchContext,
      })
    })
  }
  return messages
}
