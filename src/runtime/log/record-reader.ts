import { InvalidArgumentError } from '../errors/samsa-error.js'
import { readInt16, readInt32, readInt64 } from './big-endian.js'
import { COMPRESSION_CODEC_MASK, CompressionTypes, compressionName } from './compression.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_RECORD_COUNT,
  checkRecordBatch,
  corrupt,
  type DecodedRecord,
  type DecodedRecordBatch,
  type InflateOptions,
  inflateRecordBatch,
  type RecordHeader,
  readRecordBatchHeader,
} from './record-batch-codec.js'
import { VarintReader } from './varint.js'

/* Reading the records of a batch: views over its bytes, each record decoded or checked. */

const textDecoder = new TextDecoder('utf-8', { fatal: true })

/** A key's or value's bytes within `bytes` (of the same kind), or null for Kafka's length -1. */
export function fieldBytes<Bytes extends Uint8Array>(
  bytes: Bytes,
  start: number,
  length: number,
): Bytes | null {
  return length < 0 ? null : (bytes.subarray(start, start + length) as Bytes)
}

/**
 * One record, as `forEachRecord` shows it: positions into `bytes` instead of copies, and the
 * same object each time (copy out what you keep).
 */
export class RecordView {
  bytes: Uint8Array = new Uint8Array(0)
  offset = 0
  timestamp = 0
  /** Where the key starts in `bytes`; `keyLength` is -1 for a null key. */
  keyStart = 0
  keyLength = -1
  valueStart = 0
  valueLength = -1
  headerCount = 0
  /** Where the first header starts in `bytes`. */
  headersStart = 0
  /** Where this record ends in `bytes`. */
  end = 0
}

/**
 * Visits every record of one uncompressed batch without allocating per record. Checks the
 * framing (each record's length, the record count, the batch's end) and throws
 * CORRUPT_MESSAGE on a lie. A compressed batch is refused (InvalidArgumentError): pass it
 * through `inflateRecordBatch` first, and take keys and values from `view.bytes`, which is
 * the inflated copy, not the stored batch.
 */
export function forEachRecord(batch: Uint8Array, visit: (record: RecordView) => void): void {
  const end = batch.length
  if (end < BATCH_HEADER_SIZE)
    throw corrupt(`a record batch is at least ${BATCH_HEADER_SIZE} bytes`)
  const compression = readInt16(batch, BATCH_ATTRIBUTES) & COMPRESSION_CODEC_MASK
  if (compression !== CompressionTypes.None) {
    throw new InvalidArgumentError(
      `forEachRecord walks uncompressed batches; this one is ${compressionName(compression)}: inflateRecordBatch it first`,
    )
  }
  const baseOffset = readInt64(batch, BATCH_BASE_OFFSET)
  const baseTimestamp = readInt64(batch, BATCH_BASE_TIMESTAMP)
  const count = readInt32(batch, BATCH_RECORD_COUNT)
  const reader = new VarintReader(batch, BATCH_HEADER_SIZE, end)
  const view = new RecordView()
  view.bytes = batch
  for (let index = 0; index < count; index++) {
    const length = reader.varint()
    const recordEnd = reader.position + length
    if (length < 6 || recordEnd > end) throw corrupt(`record ${index} has a bad length ${length}`)
    reader.position++
    view.timestamp = baseTimestamp + reader.varlong()
    view.offset = baseOffset + reader.varint()
    const keyLength = reader.varint()
    view.keyStart = reader.position
    view.keyLength = keyLength
    if (keyLength > 0) reader.position += keyLength
    const valueLength = reader.varint()
    view.valueStart = reader.position
    view.valueLength = valueLength
    if (valueLength > 0) reader.position += valueLength
    view.headerCount = reader.varint()
    view.headersStart = reader.position
    if (keyLength < -1 || valueLength < -1 || view.headerCount < 0 || reader.position > recordEnd) {
      throw corrupt(`record ${index} overruns its length`)
    }
    reader.position = recordEnd
    view.end = recordEnd
    visit(view)
  }
  if (reader.position !== end) {
    throw corrupt(`the batch has ${end - reader.position} bytes after its last record`)
  }
}

function readNullableBytes(reader: VarintReader, end: number): Uint8Array | null {
  const length = reader.varint()
  if (length === -1) return null
  const start = reader.position
  if (length < -1 || start + length > end) throw corrupt('a header overruns its record')
  reader.position = start + length
  return reader.bytes.subarray(start, start + length)
}

/** The headers of the record `view` shows. */
export function readHeaders(view: RecordView): RecordHeader[] {
  const recordEnd = view.end
  const reader = new VarintReader(view.bytes, view.headersStart, recordEnd)
  const headers: RecordHeader[] = []
  for (let h = 0; h < view.headerCount; h++) {
    const key = readNullableBytes(reader, recordEnd)
    if (key === null) throw corrupt('a header key is null')
    headers.push({ key: textDecoder.decode(key), value: readNullableBytes(reader, recordEnd) })
  }
  return headers
}

/**
 * Decodes a batch into objects: the convenient path, one allocation per record. A compressed
 * batch is checked as stored (CRC included), then inflated with the built-in codecs. Keys and
 * values are views into `batch`, or into its inflated copy; the header fields are the stored
 * batch's (compression bits, length and CRC included).
 */
export function decodeRecordBatch(
  batch: Uint8Array,
  options: { verifyCrc?: boolean } & InflateOptions = {},
): DecodedRecordBatch {
  checkRecordBatch(batch, options.verifyCrc ?? true)
  const records: DecodedRecord[] = []
  forEachRecord(inflateRecordBatch(batch, options), (view) => {
    const bytes = view.bytes
    records.push({
      offset: view.offset,
      timestamp: view.timestamp,
      key: fieldBytes(bytes, view.keyStart, view.keyLength),
      value: fieldBytes(bytes, view.valueStart, view.valueLength),
      headers: view.headerCount === 0 ? [] : readHeaders(view),
    })
  })
  return { ...readRecordBatchHeader(batch), records }
}

/**
 * Checks every record of a batch, inflating it first when it is compressed (built-in codecs,
 * within `maxBytes`): the header (as `checkRecordBatch` without the CRC, which is the
 * caller's to verify), each record's length, its key, value and header framing to the byte,
 * the record count, offset deltas that rise strictly (from 0 or more) and stay within
 * lastOffsetDelta, and nothing after the last record. Header keys are not decoded as UTF-8.
 * Throws CORRUPT_MESSAGE: what a broker runs on a compressed batch before appending it, since
 * the CRC only vouches for the compressed bytes, not for what they inflate to.
 */
export function validateRecords(batch: Uint8Array, options: InflateOptions = {}): void {
  checkRecordBatch(batch, false)
  const inflated = inflateRecordBatch(batch, options)
  const baseOffset = readInt64(inflated, BATCH_BASE_OFFSET)
  const lastOffsetDelta = readInt32(inflated, BATCH_LAST_OFFSET_DELTA)
  let index = 0
  let previousDelta = -1
  forEachRecord(inflated, (view) => {
    const delta = view.offset - baseOffset
    if (delta <= previousDelta || delta > lastOffsetDelta) {
      throw corrupt(
        `record ${index} has offset delta ${delta} (previous ${previousDelta}, last ${lastOffsetDelta})`,
      )
    }
    previousDelta = delta
    checkHeaderFraming(view, index)
    index++
  })
}

/** Walks a record's headers and checks that they end exactly where the record does. */
function checkHeaderFraming(view: RecordView, index: number): void {
  const recordEnd = view.end
  const reader = new VarintReader(view.bytes, view.headersStart, recordEnd)
  for (let h = 0; h < view.headerCount; h++) {
    const keyLength = reader.varint()
    if (keyLength < 0) throw corrupt(`record ${index} has a header with a null or bad key`)
    reader.position += keyLength
    if (reader.position > recordEnd) throw corrupt(`record ${index} has a header past its end`)
    const valueLength = reader.varint()
    if (valueLength < -1) throw corrupt(`record ${index} has a header value length ${valueLength}`)
    if (valueLength > 0) reader.position += valueLength
    if (reader.position > recordEnd) throw corrupt(`record ${index} has a header past its end`)
  }
  if (reader.position !== recordEnd) {
    throw corrupt(`record ${index} has ${recordEnd - reader.position} bytes after its headers`)
  }
}
