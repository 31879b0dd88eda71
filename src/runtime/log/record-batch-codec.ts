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
import {
  COMPRESSION_CODEC_MASK,
  type CompressionType,
  CompressionTypes,
  compressionName,
  compressRecords,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressRecords,
  decompressRecordsSync,
  isCompressionType,
} from './compression.js'
import { varintSize, varlongSize, writeVarint, writeVarlong } from './varint.js'

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
 *
 * Compression (attributes & 0x07: 1 gzip, 2 snappy, 3 lz4, 4 zstd) covers the records section
 * only: the 61-byte header stays as it is, recordCount still counts the records inside, and the
 * CRC covers the bytes as stored (compressed). `compressRecordBatch` turns an encoded batch into
 * its compressed form; `inflateRecordBatch` turns a compressed batch back into an uncompressed
 * one for reading.
 */
type Crc32c = (input: Uint8Array, initialState?: number) => number
let loadedCrc32c: Crc32c | undefined

/**
 * CRC-32C from `@node-rs/crc32`, loaded on first use: its native addon is slow to load (a
 * large part of a thread's start, see bench/README.md), and a broker thread that never checks a batch (a follower, say) should not pay it
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
const COMPRESSION_MASK = COMPRESSION_CODEC_MASK

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

export interface RecordBatchFields {
  /** 0 when absent: the log assigns it. */
  readonly baseOffset?: number
  /** -1 when absent: the log assigns it. */
  readonly partitionLeaderEpoch?: number
  readonly attributes: number
  readonly lastOffsetDelta: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number
}

/** A batch's fixed header, as `readRecordBatchHeader` reads it. */
export interface RecordBatchHeader extends RecordBatchFields {
  readonly baseOffset: number
  readonly batchLength: number
  readonly partitionLeaderEpoch: number
  readonly magic: number
  readonly crc: number
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
    throw new InvalidArgumentError(
      'encodeRecordBatch writes uncompressed batches (compression bits 0): compress its result with compressRecordBatch',
    )
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
  writeBatchHeader(out, {
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    attributes,
    lastOffsetDelta: records.length - 1,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount: records.length,
  })
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

/** Writes every header field but the CRC; `out.length` gives batchLength. */
function writeBatchHeader(out: Uint8Array, fields: Required<RecordBatchFields>): void {
  writeInt64(out, BATCH_BASE_OFFSET, fields.baseOffset)
  writeInt32(out, BATCH_LENGTH, out.length - BATCH_LOG_OVERHEAD)
  writeInt32(out, BATCH_PARTITION_LEADER_EPOCH, fields.partitionLeaderEpoch)
  out[BATCH_MAGIC] = CURRENT_MAGIC
  writeInt16(out, BATCH_ATTRIBUTES, fields.attributes)
  writeInt32(out, BATCH_LAST_OFFSET_DELTA, fields.lastOffsetDelta)
  writeInt64(out, BATCH_BASE_TIMESTAMP, fields.baseTimestamp)
  writeInt64(out, BATCH_MAX_TIMESTAMP, fields.maxTimestamp)
  writeInt64(out, BATCH_PRODUCER_ID, fields.producerId)
  writeInt16(out, BATCH_PRODUCER_EPOCH, fields.producerEpoch)
  writeInt32(out, BATCH_BASE_SEQUENCE, fields.baseSequence)
  writeInt32(out, BATCH_RECORD_COUNT, fields.recordCount)
}

/**
 * Builds a batch from its header fields and a records section that is already encoded, and
 * compressed with `compression` unless that is None; seals the CRC over the section as given.
 * The compression bits of `fields.attributes` are replaced by `compression`. The section is
 * not checked (a compressed one cannot be without inflating it): `validateRecords` does that.
 * The result owns a fresh, 8-byte-aligned buffer.
 */
export function assembleRecordBatch(
  fields: RecordBatchFields,
  recordsSection: Uint8Array,
  compression: CompressionType,
): Uint8Array {
  if (!isCompressionType(compression)) {
    throw new InvalidArgumentError(`compression must be 0 to 4, got ${compression}`)
  }
  const baseOffset = fields.baseOffset ?? 0
  const partitionLeaderEpoch = fields.partitionLeaderEpoch ?? -1
  checkInt(baseOffset, 'base offset', 0, Number.MAX_SAFE_INTEGER)
  checkInt(partitionLeaderEpoch, 'partition leader epoch', -1, 0x7fffffff)
  checkInt(fields.attributes, 'attributes', 0, 0x7fff)
  checkInt(fields.recordCount, 'record count', 1, 0x7fffffff)
  checkInt(fields.lastOffsetDelta, 'last offset delta', fields.recordCount - 1, 0x7fffffff)
  checkInt(fields.baseTimestamp, 'base timestamp', -1, Number.MAX_SAFE_INTEGER)
  checkInt(fields.maxTimestamp, 'max timestamp', -1, Number.MAX_SAFE_INTEGER)
  checkInt(fields.producerId, 'producer id', -1, Number.MAX_SAFE_INTEGER)
  checkInt(fields.producerEpoch, 'producer epoch', -1, 0x7fff)
  checkInt(fields.baseSequence, 'base sequence', -1, 0x7fffffff)
  if (recordsSection.length === 0) throw new InvalidArgumentError('the records section is empty')
  if (BATCH_HEADER_SIZE + recordsSection.length - BATCH_LOG_OVERHEAD > 0x7fffffff) {
    throw new InvalidArgumentError(
      `a records section of ${recordsSection.length} bytes is too large`,
    )
  }
  const out = new Uint8Array(BATCH_HEADER_SIZE + recordsSection.length)
  writeBatchHeader(out, {
    ...fields,
    baseOffset,
    partitionLeaderEpoch,
    attributes: (fields.attributes & ~COMPRESSION_MASK) | compression,
  })
  out.set(recordsSection, BATCH_HEADER_SIZE)
  sealRecordBatch(out)
  return out
}

/**
 * The batch `batch` (uncompressed, as `encodeRecordBatch` or a producer's builder writes it)
 * with its records section compressed by the codec registered for `type` in
 * `CompressionCodecs`: same header fields, compression bits set, batchLength and CRC
 * rewritten. None returns `batch` itself. Rejects a batch that is already compressed
 * (InvalidArgumentError) and a codec that is not registered (UNSUPPORTED_COMPRESSION_TYPE).
 */
export async function compressRecordBatch(
  batch: Uint8Array,
  type: CompressionType,
): Promise<Uint8Array> {
  checkRecordBatch(batch, false)
  const header = readRecordBatchHeader(batch)
  if ((header.attributes & COMPRESSION_MASK) !== 0) {
    throw new InvalidArgumentError(
      `the batch is already compressed (${compressionName(header.attributes & COMPRESSION_MASK)})`,
    )
  }
  if (!isCompressionType(type)) {
    throw new InvalidArgumentError(`compression type must be 0 to 4, got ${type}`)
  }
  if (type === CompressionTypes.None) return batch
  const section = await compressRecords(type, batch.subarray(BATCH_HEADER_SIZE))
  return assembleRecordBatch(header, section, type)
}

/** How far a compressed batch's records may decompress. */
export interface InflateOptions {
  /** Most bytes the records section may decompress to; past it, CORRUPT_MESSAGE. */
  readonly maxBytes?: number
}

/** The uncompressed batch around `records`, with `batch`'s header (see `inflateRecordBatch`). */
function inflatedBatch(batch: Uint8Array, records: Uint8Array): Uint8Array {
  const out = new Uint8Array(BATCH_HEADER_SIZE + records.length)
  out.set(batch.subarray(0, BATCH_HEADER_SIZE))
  writeInt32(out, BATCH_LENGTH, out.length - BATCH_LOG_OVERHEAD)
  writeInt16(out, BATCH_ATTRIBUTES, readInt16(batch, BATCH_ATTRIBUTES) & ~COMPRESSION_MASK)
  out.set(records, BATCH_HEADER_SIZE)
  return out
}

function compressionOf(batch: Uint8Array): number {
  if (batch.length < BATCH_HEADER_SIZE) {
    throw corrupt(`a record batch is at least ${BATCH_HEADER_SIZE} bytes, got ${batch.length}`)
  }
  return readInt16(batch, BATCH_ATTRIBUTES) & COMPRESSION_MASK
}

/**
 * For reading: a compressed batch as the uncompressed batch it stands for (same header
 * fields, compression bits cleared, batchLength of the new size, records section
 * decompressed with samsa's built-in codecs), in a fresh buffer. Its CRC is still the stored
 * batch's, which covered the compressed bytes, so it does not verify: check the stored batch,
 * and never append or send the inflated one. An uncompressed batch comes back as is.
 * Unknown codecs (5–7), corrupt bytes and records past `maxBytes` throw CORRUPT_MESSAGE.
 */
export function inflateRecordBatch(batch: Uint8Array, options: InflateOptions = {}): Uint8Array {
  const type = compressionOf(batch)
  if (type === CompressionTypes.None) return batch
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  return inflatedBatch(
    batch,
    decompressRecordsSync(type, batch.subarray(BATCH_HEADER_SIZE), maxBytes),
  )
}

/**
 * `inflateRecordBatch` through the codec registry, so a codec the user registered in
 * `CompressionCodecs` (on this thread) is the one that decompresses, as KafkaJS's consumer
 * does. For client threads; brokers use `inflateRecordBatch`.
 */
export async function inflateRecordBatchWithCodecs(
  batch: Uint8Array,
  options: InflateOptions = {},
): Promise<Uint8Array> {
  const type = compressionOf(batch)
  if (type === CompressionTypes.None) return batch
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  return inflatedBatch(
    batch,
    await decompressRecords(type, batch.subarray(BATCH_HEADER_SIZE), maxBytes),
  )
}

export function corrupt(message: string): KafkaProtocolError {
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
 * least one record, a known codec (none, gzip, snappy, lz4 or zstd), and (when `verifyCrc`) a
 * matching CRC-32C. The records themselves are checked as they are decoded, or all at once
 * by `validateRecords`; the CRC is what vouches for them before that. Throws CORRUPT_MESSAGE.
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
  const compression = readInt16(batch, BATCH_ATTRIBUTES) & COMPRESSION_MASK
  if (!isCompressionType(compression)) throw corrupt(`unknown compression codec ${compression}`)
  const recordCount = readInt32(batch, BATCH_RECORD_COUNT)
  if (recordCount < 1) throw corrupt(`a record batch needs at least one record, got ${recordCount}`)
  const lastOffsetDelta = readInt32(batch, BATCH_LAST_OFFSET_DELTA)
  if (lastOffsetDelta < recordCount - 1) {
    throw corrupt(`lastOffsetDelta ${lastOffsetDelta} is too small for ${recordCount} records`)
  }
  // An uncompressed record takes at least 7 bytes; a compressed section can be far smaller.
  const sectionBytes = batch.length - BATCH_HEADER_SIZE
  if (compression === CompressionTypes.None ? sectionBytes < recordCount * 7 : sectionBytes < 1) {
    throw corrupt(`${recordCount} records cannot fit in ${sectionBytes} bytes`)
  }
  if (verifyCrc) {
    const expected = readUint32(batch, BATCH_CRC)
    const actual = crc32c(batch.subarray(BATCH_ATTRIBUTES)) >>> 0
    if (actual !== expected) {
      throw corrupt(`CRC-32C mismatch: the batch says ${expected}, its bytes give ${actual}`)
    }
  }
}
