import { writeInt16, writeInt32, writeInt64 } from './big-endian.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_BASE_SEQUENCE,
  BATCH_BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  BATCH_MAX_TIMESTAMP,
  BATCH_PARTITION_LEADER_EPOCH,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
  BATCH_RECORD_COUNT,
  CURRENT_MAGIC,
  sealRecordBatch,
} from './record-batch-codec.js'
import { varintSize, varlongSize, writeVarint, writeVarlong } from './varint.js'

/** A key, value or header value as a producer hands it over: strings go in as UTF-8. */
export type RecordBytes = string | Uint8Array | null

/**
 * Headers as KafkaJS takes them: an array value writes the header once per element, in order.
 * The builder trusts its caller to have checked the types (see api/validation.ts).
 */
export type RecordHeaders = Readonly<
  Record<string, RecordBytes | readonly RecordBytes[] | undefined>
>

/** Who wrote a batch, for the leader's duplicate and order checks (Kafka's idempotence). */
export interface BatchIdentity {
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
}

const NO_IDENTITY: BatchIdentity = { producerId: -1, producerEpoch: -1, baseSequence: -1 }

const byteLength = (bytes: RecordBytes): number =>
  bytes === null ? -1 : typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length

const nullableSize = (length: number): number => (length < 0 ? 1 : varintSize(length) + length)

/**
 * Builds one RecordBatch v2 (uncompressed) record by record, straight into one growing buffer:
 * no object per record, strings written as UTF-8 in place. `finish` fills in the header; the
 * CRC is written by `stampIdentity` once the batch knows who sends it.
 */
export class RecordBatchBuilder {
  #bytes: Buffer
  #position = BATCH_HEADER_SIZE
  #count = 0
  #baseTimestamp = 0
  #maxTimestamp = 0

  /** `limitBytes`: Kafka's batch.size, past which `tryAdd` refuses more records. */
  constructor(readonly limitBytes = 16_384) {
    this.#bytes = Buffer.allocUnsafe(Math.min(limitBytes, 1 << 20) + 1024)
  }

  get recordCount(): number {
    return this.#count
  }

  /** Bytes the batch holds so far, header included. */
  get byteLength(): number {
    return this.#position
  }

  /**
   * Appends one record, unless the batch already holds some and this one would take it past
   * `limitBytes`: then nothing is written and the answer is false. A record alone in its
   * batch always goes in, whatever its size. A header whose value is undefined is written with
   * a null value, as KafkaJS writes it.
   */
  tryAdd(
    key: RecordBytes,
    value: RecordBytes,
    headers: RecordHeaders | undefined,
    timestamp: number,
  ): boolean {
    const baseTimestamp = this.#count === 0 ? timestamp : this.#baseTimestamp
    const timestampDelta = timestamp - baseTimestamp
    const offsetDelta = this.#count
    const keyLength = byteLength(key)
    const valueLength = byteLength(value)
    let headerCount = 0
    let headersSize = 0
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const entry = headers[name] ?? null
        const nameSize = nullableSize(Buffer.byteLength(name, 'utf8'))
        if (Array.isArray(entry)) {
          for (const one of entry as readonly RecordBytes[]) {
            headerCount++
            headersSize += nameSize + nullableSize(byteLength(one))
          }
        } else {
          headerCount++
          headersSize += nameSize + nullableSize(byteLength(entry as RecordBytes))
        }
      }
    }
    const bodySize =
      1 +
      varlongSize(timestampDelta) +
      varintSize(offsetDelta) +
      nullableSize(keyLength) +
      nullableSize(valueLength) +
      varintSize(headerCount) +
      headersSize
    const recordSize = varintSize(bodySize) + bodySize
    if (this.#count > 0 && this.#position + recordSize > this.limitBytes) return false
    if (this.#count === 0) {
      this.#baseTimestamp = timestamp
      this.#maxTimestamp = timestamp
    } else if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp
    this.#reserve(recordSize)
    const out = this.#bytes
    let position = writeVarint(out, this.#position, bodySize)
    out[position++] = 0
    position = writeVarlong(out, position, timestampDelta)
    position = writeVarint(out, position, offsetDelta)
    position = writeBytes(out, position, key, keyLength)
    position = writeBytes(out, position, value, valueLength)
    position = writeVarint(out, position, headerCount)
    if (headerCount > 0 && headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const entry = headers[name] ?? null
        const nameLength = Buffer.byteLength(name, 'utf8')
        if (Array.isArray(entry)) {
          for (const one of entry as readonly RecordBytes[]) {
            position = writeBytes(out, position, name, nameLength)
            position = writeBytes(out, position, one, byteLength(one))
          }
        } else {
          position = writeBytes(out, position, name, nameLength)
          position = writeBytes(
            out,
            position,
            entry as RecordBytes,
            byteLength(entry as RecordBytes),
          )
        }
      }
    }
    this.#position = position
    this.#count++
    return true
  }

  /**
   * The batch with its header written, as a view of this builder's memory (valid until the
   * builder is used again), with no producer identity and no CRC yet: see `stampIdentity`.
   */
  finish(attributes = 0): Uint8Array {
    const out = this.#bytes
    const size = this.#position
    writeInt64(out, BATCH_BASE_OFFSET, 0)
    writeInt32(out, BATCH_LENGTH, size - BATCH_LOG_OVERHEAD)
    writeInt32(out, BATCH_PARTITION_LEADER_EPOCH, -1)
    out[BATCH_MAGIC] = CURRENT_MAGIC
    writeInt16(out, BATCH_ATTRIBUTES, attributes)
    writeInt32(out, BATCH_LAST_OFFSET_DELTA, this.#count - 1)
    writeInt64(out, BATCH_BASE_TIMESTAMP, this.#baseTimestamp)
    writeInt64(out, BATCH_MAX_TIMESTAMP, this.#maxTimestamp)
    writeInt64(out, BATCH_PRODUCER_ID, NO_IDENTITY.producerId)
    writeInt16(out, BATCH_PRODUCER_EPOCH, NO_IDENTITY.producerEpoch)
    writeInt32(out, BATCH_BASE_SEQUENCE, NO_IDENTITY.baseSequence)
    writeInt32(out, BATCH_RECORD_COUNT, this.#count)
    return out.subarray(0, size)
  }

  /** Empties the builder for the next batch, keeping its memory. */
  reset(): void {
    this.#position = BATCH_HEADER_SIZE
    this.#count = 0
  }

  #reserve(bytes: number): void {
    const needed = this.#position + bytes
    if (needed <= this.#bytes.length) return
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2))
    this.#bytes.copy(grown, 0, 0, this.#position)
    this.#bytes = grown
  }
}

function writeBytes(out: Buffer, at: number, bytes: RecordBytes, length: number): number {
  const position = writeVarint(out, at, length)
  if (bytes === null) return position
  if (typeof bytes === 'string') out.write(bytes, position, length, 'utf8')
  else out.set(bytes, position)
  return position + length
}

/**
 * Writes who sends a finished batch (none by default) and seals its CRC-32C, which covers
 * those fields: a batch is stamped last, when an idempotent producer hands out its sequence.
 */
export function stampIdentity(batch: Uint8Array, identity: BatchIdentity = NO_IDENTITY): void {
  writeInt64(batch, BATCH_PRODUCER_ID, identity.producerId)
  writeInt16(batch, BATCH_PRODUCER_EPOCH, identity.producerEpoch)
  writeInt32(batch, BATCH_BASE_SEQUENCE, identity.baseSequence)
  sealRecordBatch(batch)
}
