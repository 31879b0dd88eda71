import { createRequire } from 'node:module'
import { InvalidArgumentError, KafkaProtocolError } from '../errors/samsa-error.js'
import {
  readInt16,
  readInt32,
  readInt64,
  readUint32,
  writeInt16,
  writeInt32,
  writeInt64,
} from './big-endian.js'
import { VarintReader, varintSize, varlongSize, writeVarint, writeVarlong } from './varint.js'

/*
 * RecordBatch v2 (magic 2), as Kafka stores and sends it:
 *
 * RecordBatch =>
 *   baseOffset => INT64
 *   batchLength => INT32            (bytes after this field)
 *   partitionLeaderEpoch => INT32
 *   magic => INT8                   (2)
 *   crc => UINT32                   (CRC-32C of attributes .. end of records)
 *   attributes => INT16             (bits 0-2 compression, 3 timestamp type,
 *                                    4 transactional, 5 control)
 *   lastOffsetDelta => INT32
 *   baseTimestamp => INT64
 *   maxTimestamp => INT64
 *   producerId => INT64
 *   producerEpoch => INT16
 *   baseSequence => INT32
 *   records => INT32 count, then [Record]
 *
 * The broker patches baseOffset and partitionLeaderEpoch only; both sit before the CRC'd
 * range, so a patched batch keeps its producer's CRC.
 */
type Crc32c = (input: Uint8Array, initialState?: number) => number
let loadedCrc32c: Crc32c | undefined

/**
 * CRC-32C from `@node-rs/crc32`, loaded on first use: its native addon costs about 30 ms to
 * load, and a broker thread that never checks a batch (a follower, say) should not pay it
 * while the cluster starts.
 */
function crc32c(input: Uint8Array): number {
  loadedCrc32c ??= (createRequire(import.meta.url)('@node-rs/crc32') as { readonly crc32c: Crc32c })
    .crc32c
  return loadedCrc32c(input)
}

export const BATCH_BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const BATCH_PARTITION_LEADER_EPOCH = 12
export const BATCH_MAGIC = 16
export const BATCH_CRC = 17
export const BATCH_ATTRIBUTES = 21
export const BATCH_LAST_OFFSET_DELTA = 23
export const BATCH_BASE_TIMESTAMP = 27
export const BATCH_MAX_TIMESTAMP = 35
export const BATCH_PRODUCER_ID = 43
export const BATCH_PRODUCER_EPOCH = 51
export const BATCH_BASE_SEQUENCE = 53
export const BATCH_RECORD_COUNT = 57
/** Size of a batch's fixed header; the first record starts here. */
export const BATCH_HEADER_SIZE = 61
/** baseOffset and batchLength: the part of a batch that `batchLength` does not count. */
export const BATCH_LOG_OVERHEAD = 12
export const CURRENT_MAGIC = 2
const COMPRESSION_MASK = 0x07

export interface RecordHeader {
  readonly key: string
  readonly value: Uint8Array | null
}

export interface RecordInput {
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers?: readonly RecordHeader[]
  /** Milliseconds since the epoch; the batch's `timestamp` when absent. */
  readonly timestamp?: number
}

export interface RecordBatchInput {
  readonly records: readonly RecordInput[]
  /** Timestamp of every record that names none (ms since the epoch). */
  readonly timestamp: number
  readonly attributes?: number
  readonly producerId?: number
  readonly producerEpoch?: number
  readonly baseSequence?: number
}

export interface RecordBatchHeader {
  readonly baseOffset: number
  readonly batchLength: number
  readonly partitionLeaderEpoch: number
  readonly magic: number
  readonly crc: number
  readonly attributes: number
  readonly lastOffsetDelta: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number
}

export interface DecodedRecord {
  readonly offset: number
  readonly timestamp: number
  /** Views into the decoded batch's bytes (copy them to keep them past a ring's overwrite). */
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers: readonly RecordHeader[]
}

export interface DecodedRecordBatch extends RecordBatchHeader {
  readonly records: readonly DecodedRecord[]
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

/*
 * Record =>
 *   length => VARINT                (bytes after this field)
 *   attributes => INT8              (unused, 0)
 *   timestampDelta => VARLONG       (from the batch's baseTimestamp)
 *   offsetDelta => VARINT           (from the batch's baseOffset)
 *   keyLength => VARINT             (-1 for a null key)
 *   key => BYTES
 *   valueLength => VARINT           (-1 for a null value)
 *   value => BYTES
 *   headers => VARINT count, then [Header]
 *
 * Header =>
 *   headerKeyLength => VARINT
 *   headerKey => STRING             (UTF-8)
 *   headerValueLength => VARINT     (-1 for a null value)
 *   headerValue => BYTES
 */
interface PreparedRecord {
  readonly bodySize: number
  readonly timestampDelta: number
  readonly headerKeys: readonly Uint8Array[]
}

function nullableSize(bytes: Uint8Array | null): number {
  return bytes === null ? varintSize(-1) : varintSize(bytes.length) + bytes.length
}

function writeNullable(out: Uint8Array, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeVarint(out, at, -1)
  const position = writeVarint(out, at, bytes.length)
  out.set(bytes, position)
  return position + bytes.length
}

function checkInt(value: number, what: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}, got ${value}`)
  }
}

/**
 * Encodes records as one RecordBatch v2 (uncompressed) with base offset 0 and partition leader
 * epoch -1, as a producer sends it; the log assigns both. The result owns a fresh buffer, so
 * it starts 8-byte aligned (which the log's copy into shared memory needs to be fast).
 */
export function encodeRecordBatch(input: RecordBatchInput): Uint8Array {
  const { records } = input
  if (records.length === 0)
    throw new InvalidArgumentError('a record batch needs at least one record')
  const attributes = input.attributes ?? 0
  checkInt(attributes, 'attributes', 0, 0x7fff)
  if ((attributes & COMPRESSION_MASK) !== 0) {
    throw new InvalidArgumentError('samsa encodes uncompressed batches only (compression bits 0)')
  }
  const producerId = input.producerId ?? -1
  const producerEpoch = input.producerEpoch ?? -1
  const baseSequence = input.baseSequence ?? -1
  checkInt(producerId, 'producer id', -1, Number.MAX_SAFE_INTEGER)
  checkInt(producerEpoch, 'producer epoch', -1, 0x7fff)
  checkInt(baseSequence, 'base sequence', -1, 0x7fffffff)
  checkInt(input.timestamp, 'timestamp', -1, Number.MAX_SAFE_INTEGER)

  const baseTimestamp = records[0]?.timestamp ?? input.timestamp
  let maxTimestamp = baseTimestamp
  let size = BATCH_HEADER_SIZE
  const prepared: PreparedRecord[] = []
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as RecordInput
    const timestamp = record.timestamp ?? input.timestamp
    checkInt(timestamp, 'record timestamp', -1, Number.MAX_SAFE_INTEGER)
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    const timestampDelta = timestamp - baseTimestamp
    const headers = record.headers ?? []
    const headerKeys = headers.map((header) => textEncoder.encode(header.key))
    let bodySize =
      1 +
      varlongSize(timestampDelta) +
      varintSize(index) +
      nullableSize(record.key) +
      nullableSize(record.value) +
      varintSize(headers.length)
    for (let h = 0; h < headers.length; h++) {
      bodySize += nullableSize(headerKeys[h] as Uint8Array) + nullableSize(headers[h]!.value)
    }
    size += varintSize(bodySize) + bodySize
    prepared.push({ bodySize, timestampDelta, headerKeys })
  }

  const out = new Uint8Array(size)
  writeInt64(out, BATCH_BASE_OFFSET, 0)
  writeInt32(out, BATCH_LENGTH, size - BATCH_LOG_OVERHEAD)
  writeInt32(out, BATCH_PARTITION_LEADER_EPOCH, -1)
  out[BATCH_MAGIC] = CURRENT_MAGIC
  writeInt16(out, BATCH_ATTRIBUTES, attributes)
  writeInt32(out, BATCH_LAST_OFFSET_DELTA, records.length - 1)
  writeInt64(out, BATCH_BASE_TIMESTAMP, baseTimestamp)
  writeInt64(out, BATCH_MAX_TIMESTAMP, maxTimestamp)
  writeInt64(out, BATCH_PRODUCER_ID, producerId)
  writeInt16(out, BATCH_PRODUCER_EPOCH, producerEpoch)
  writeInt32(out, BATCH_BASE_SEQUENCE, baseSequence)
  writeInt32(out, BATCH_RECORD_COUNT, records.length)
  let position = BATCH_HEADER_SIZE
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as RecordInput
    const { bodySize, timestampDelta, headerKeys } = prepared[index] as PreparedRecord
    position = writeVarint(out, position, bodySize)
    out[position++] = 0
    position = writeVarlong(out, position, timestampDelta)
    position = writeVarint(out, position, index)
    position = writeNullable(out, position, record.key)
    position = writeNullable(out, position, record.value)
    const headers = record.headers ?? []
    position = writeVarint(out, position, headers.length)
    for (let h = 0; h < headers.length; h++) {
      position = writeNullable(out, position, headerKeys[h] as Uint8Array)
      position = writeNullable(out, position, headers[h]!.value)
    }
  }
  sealRecordBatch(out)
  return out
}

function corrupt(message: string): KafkaProtocolError {
  return new KafkaProtocolError('CORRUPT_MESSAGE', message)
}

/**
 * Writes a batch's CRC-32C over everything from its attributes on: needed after changing any of
 * those bytes (for instance a benchmark that patches record values into a template batch).
 */
export function sealRecordBatch(batch: Uint8Array): void {
  writeInt32(batch, BATCH_CRC, crc32c(batch.subarray(BATCH_ATTRIBUTES)))
}

/** The fixed header of the batch at the start of `batch`, unchecked. */
export function readRecordBatchHeader(batch: Uint8Array): RecordBatchHeader {
  if (batch.length < BATCH_HEADER_SIZE) {
    throw corrupt(`a record batch is at least ${BATCH_HEADER_SIZE} bytes, got ${batch.length}`)
  }
  return {
    baseOffset: readInt64(batch, BATCH_BASE_OFFSET),
    batchLength: readInt32(batch, BATCH_LENGTH),
    partitionLeaderEpoch: readInt32(batch, BATCH_PARTITION_LEADER_EPOCH),
    magic: batch[BATCH_MAGIC] as number,
    crc: readUint32(batch, BATCH_CRC),
    attributes: readInt16(batch, BATCH_ATTRIBUTES),
    lastOffsetDelta: readInt32(batch, BATCH_LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(batch, BATCH_BASE_TIMESTAMP),
    maxTimestamp: readInt64(batch, BATCH_MAX_TIMESTAMP),
    producerId: readInt64(batch, BATCH_PRODUCER_ID),
    producerEpoch: readInt16(batch, BATCH_PRODUCER_EPOCH),
    baseSequence: readInt32(batch, BATCH_BASE_SEQUENCE),
    recordCount: readInt32(batch, BATCH_RECORD_COUNT),
  }
}

/**
 * Checks that `batch` is exactly one well-formed RecordBatch v2 header and length, with at
 * least one record, no compression, and (when `verifyCrc`) a matching CRC-32C. The records
 * themselves are checked as they are decoded; the CRC is what vouches for them before that.
 * Throws CORRUPT_MESSAGE or UNSUPPORTED_COMPRESSION_TYPE.
 */
export function checkRecordBatch(batch: Uint8Array, verifyCrc: boolean): void {
  if (batch.length < BATCH_HEADER_SIZE) {
    throw corrupt(`a record batch is at least ${BATCH_HEADER_SIZE} bytes, got ${batch.length}`)
  }
  const batchLength = readInt32(batch, BATCH_LENGTH)
  if (batchLength !== batch.length - BATCH_LOG_OVERHEAD) {
    throw corrupt(
      `batchLength says ${batchLength} but the batch has ${batch.length - 12} bytes after it`,
    )
  }
  const magic = batch[BATCH_MAGIC]
  if (magic !== CURRENT_MAGIC) throw corrupt(`magic must be ${CURRENT_MAGIC}, got ${magic}`)
  if ((readInt16(batch, BATCH_ATTRIBUTES) & COMPRESSION_MASK) !== 0) {
    throw new KafkaProtocolError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      'samsa stores uncompressed batches only',
    )
  }
  const recordCount = readInt32(batch, BATCH_RECORD_COUNT)
  if (recordCount < 1) throw corrupt(`a record batch needs at least one record, got ${recordCount}`)
  const lastOffsetDelta = readInt32(batch, BATCH_LAST_OFFSET_DELTA)
  if (lastOffsetDelta < recordCount - 1) {
    throw corrupt(`lastOffsetDelta ${lastOffsetDelta} is too small for ${recordCount} records`)
  }
  if (batch.length - BATCH_HEADER_SIZE < recordCount * 7) {
    throw corrupt(`${recordCount} records cannot fit in ${batch.length - BATCH_HEADER_SIZE} bytes`)
  }
  if (verifyCrc) {
    const expected = readUint32(batch, BATCH_CRC)
    const actual = crc32c(batch.subarray(BATCH_ATTRIBUTES)) >>> 0
    if (actual !== expected) {
      throw corrupt(`CRC-32C mismatch: the batch says ${expected}, its bytes give ${actual}`)
    }
  }
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
 * Visits every record of one batch without allocating per record. Checks the framing (each
 * record's length, the record count, the batch's end) and throws CORRUPT_MESSAGE on a lie.
 */
export function forEachRecord(batch: Uint8Array, visit: (record: RecordView) => void): void {
  const end = batch.length
  if (end < BATCH_HEADER_SIZE)
    throw corrupt(`a record batch is at least ${BATCH_HEADER_SIZE} bytes`)
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
 * Decodes a batch into objects: the convenient path, one allocation per record. Keys and
 * values are views into `batch`.
 */
export function decodeRecordBatch(
  batch: Uint8Array,
  options: { verifyCrc?: boolean } = {},
): DecodedRecordBatch {
  checkRecordBatch(batch, options.verifyCrc ?? true)
  const records: DecodedRecord[] = []
  forEachRecord(batch, (view) => {
    records.push({
      offset: view.offset,
      timestamp: view.timestamp,
      key:
        view.keyLength < 0 ? null : batch.subarray(view.keyStart, view.keyStart + view.keyLength),
      value:
        view.valueLength < 0
          ? null
          : batch.subarray(view.valueStart, view.valueStart + view.valueLength),
      headers: view.headerCount === 0 ? [] : readHeaders(view),
    })
  })
  return { ...readRecordBatchHeader(batch), records }
}
