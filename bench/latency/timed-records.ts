import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import type { RecordView } from '../../src/runtime/log/record-reader.js'

/*
 * What the latency benchmark writes: each record's value carries its sequence number in the
 * partition (also its offset) and the moment it was scheduled to be produced, so the consumer
 * can check the record and time it:
 *
 *   [0, 4)              sequence, uint32 little-endian
 *   [4, 12)             scheduled time, float64 little-endian, ms of `monotonicMs`
 *   [12, size - 4)      filling, FILL
 *   [size - 4, size)    sequence again
 *
 * The batch CRC covers all of it; the consumer checks the CRC and every byte above.
 */

const SEQUENCE_BYTES = 4
const TIME_AT = 4
const FILL_AT = 12
const FILL = 0xa5
export const MIN_TIMED_RECORD_BYTES = FILL_AT + SEQUENCE_BYTES

/**
 * Milliseconds (fractional, sub-ns resolution) on the process's monotonic clock. Unlike
 * `performance.now()`, whose origin is each thread's own start, `process.hrtime()` reads one
 * clock with one origin for every thread of the process, so a time taken on the producer's
 * thread and one taken on the consumer's thread subtract exactly.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime()
  return seconds * 1e3 + nanoseconds / 1e6
}

/** One RecordBatch v2 of the records [first, first + count), each stamped with its time. */
export function encodeTimedBatch(
  first: number,
  count: number,
  recordSize: number,
  scheduledAt: (sequence: number) => number,
): Uint8Array {
  // One buffer for all the values: a buffer per record made the producer's thread collect
  // garbage, and that lateness would be counted against the cluster.
  const values = new Uint8Array(count * recordSize)
  const view = new DataView(values.buffer)
  const records = []
  for (let index = 0; index < count; index++) {
    const sequence = first + index
    const at = index * recordSize
    values.fill(FILL, at + FILL_AT, at + recordSize - SEQUENCE_BYTES)
    view.setUint32(at, sequence, true)
    view.setFloat64(at + TIME_AT, scheduledAt(sequence), true)
    view.setUint32(at + recordSize - SEQUENCE_BYTES, sequence, true)
    records.push({ key: null, value: values.subarray(at, at + recordSize) })
  }
  return encodeRecordBatch({ records, timestamp: Date.now() })
}

/**
 * The scheduled time a record carries, or undefined when its value is not what the producer
 * wrote for `sequence` (wrong size, sequence or filling).
 */
export function scheduledTimeOf(
  record: RecordView,
  sequence: number,
  recordSize: number,
): number | undefined {
  if (record.valueLength !== recordSize) return undefined
  const bytes = record.bytes
  const start = record.valueStart
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, recordSize)
  if (view.getUint32(0, true) !== sequence) return undefined
  if (view.getUint32(recordSize - SEQUENCE_BYTES, true) !== sequence) return undefined
  for (let at = start + FILL_AT; at < start + recordSize - SEQUENCE_BYTES; at++) {
    if (bytes[at] !== FILL) return undefined
  }
  return view.getFloat64(TIME_AT, true)
}

/**
 * The value of one record as the public-API latency producer sends it (one Buffer per
 * message, as a service makes them): the same layout as the engine path's records.
 */
export function timedValue(sequence: number, scheduledAt: number, recordSize: number): Buffer {
  const value = Buffer.allocUnsafe(recordSize)
  value.writeUInt32LE(sequence, 0)
  value.writeDoubleLE(scheduledAt, TIME_AT)
  value.fill(FILL, FILL_AT, recordSize - SEQUENCE_BYTES)
  value.writeUInt32LE(sequence, recordSize - SEQUENCE_BYTES)
  return value
}

/**
 * The scheduled time a consumed value carries, or undefined when it is not what `timedValue`
 * wrote for `sequence` (wrong size, sequence or filling).
 */
export function scheduledTimeOfValue(
  value: Buffer | null,
  sequence: number,
  recordSize: number,
): number | undefined {
  if (value === null || value.length !== recordSize) return undefined
  if (value.readUInt32LE(0) !== sequence) return undefined
  if (value.readUInt32LE(recordSize - SEQUENCE_BYTES) !== sequence) return undefined
  for (let at = FILL_AT; at < recordSize - SEQUENCE_BYTES; at++) {
    if (value[at] !== FILL) return undefined
  }
  return value.readDoubleLE(TIME_AT)
}

/** Records a schedule sends: at most what a uint32 sequence numbers. */
const MAX_SCHEDULED_RECORDS = 2 ** 32 - 1

/**
 * The records of a fixed schedule: `warmUpRecords` sent first and not timed, then `timed`
 * ones. Throws when the schedule holds none to time, or too many, or records too small to
 * carry their time.
 */
export function scheduleOf(options: {
  readonly rate: number
  readonly seconds: number
  readonly warmUpSeconds: number
  readonly recordSize: number
}): { readonly warmUpRecords: number; readonly timed: number; readonly records: number } {
  const warmUpRecords = Math.round(options.rate * options.warmUpSeconds)
  const timed = Math.round(options.rate * options.seconds)
  const records = warmUpRecords + timed
  if (timed < 1 || records > MAX_SCHEDULED_RECORDS) {
    throw new Error(
      `rate × seconds must give 1 to ${MAX_SCHEDULED_RECORDS} records, got ${records}`,
    )
  }
  if (options.recordSize < MIN_TIMED_RECORD_BYTES) {
    throw new Error(`records must be at least ${MIN_TIMED_RECORD_BYTES} bytes`)
  }
  return { warmUpRecords, timed, records }
}
