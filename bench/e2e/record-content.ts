import {
  BATCH_BASE_SEQUENCE,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
  encodeRecordBatch,
  sealRecordBatch,
} from '../../src/runtime/log/record-batch-codec.js'
import { forEachRecord } from '../../src/runtime/log/record-reader.js'

/*
 * What the end-to-end benchmark writes, so the consumer can check every record: a value of
 * `recordSize` bytes that starts and ends with its sequence number in the partition (which is
 * also its offset), with a fixed filling between. The filling and everything else is covered
 * by the batch CRC, which the broker checks on append and the consumer checks again on read.
 */

const SEQUENCE_BYTES = 4
const FILL = 0xa5

/** A little-endian uint32, read without a DataView: this runs once per record consumed. */
function readSequence(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  )
}

/** The sequence number a value carries, or -1 when its two copies or its filling disagree. */
export function sequenceOf(bytes: Uint8Array, start: number, size: number): number {
  const sequence = readSequence(bytes, start)
  if (readSequence(bytes, start + size - SEQUENCE_BYTES) !== sequence) return -1
  if (bytes[start + SEQUENCE_BYTES] !== FILL) return -1
  return sequence
}

const SLAB_BYTES = 64 * 1024

/**
 * Records' values as `sequenceOf` reads them, each cut from a slab as Node's Buffer pool cuts
 * small Buffers: a buffer of its own per record (an ArrayBuffer each) kept the producer's
 * thread collecting garbage more than sending. A slab is never written again once handed
 * out: the producer client holds the values until it has encoded them.
 */
export class SequencedValues {
  #slab = new Uint8Array(0)
  #view = new DataView(this.#slab.buffer)
  #used = 0

  constructor(readonly size: number) {}

  next(sequence: number): Uint8Array {
    const { size } = this
    if (this.#used + size > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(SLAB_BYTES, size)).fill(FILL)
      this.#view = new DataView(this.#slab.buffer)
      this.#used = 0
    }
    const at = this.#used
    this.#view.setUint32(at, sequence, true)
    this.#view.setUint32(at + size - SEQUENCE_BYTES, sequence, true)
    this.#used += size
    return this.#slab.subarray(at, at + size)
  }
}

/**
 * A batch of `count` records encoded once; each use patches in the sequence numbers and
 * reseals the CRC. Far cheaper than encoding record objects, and the bytes on
 * the wire and in the log are the same RecordBatch v2 a producer would send.
 */
export class BatchTemplate {
  readonly #template: Uint8Array
  readonly #view: DataView
  readonly #valueStarts: number[] = []

  constructor(
    readonly count: number,
    readonly recordSize: number,
  ) {
    if (recordSize < 2 * SEQUENCE_BYTES + 1) {
      throw new RangeError(`records must be at least ${2 * SEQUENCE_BYTES + 1} bytes`)
    }
    const records = Array.from({ length: count }, () => ({
      key: null,
      value: new Uint8Array(recordSize).fill(FILL),
    }))
    this.#template = encodeRecordBatch({ records, timestamp: Date.now() })
    this.#view = new DataView(this.#template.buffer, this.#template.byteOffset)
    forEachRecord(this.#template, (record) => this.#valueStarts.push(record.valueStart))
  }

  /**
   * The batch holding sequences [first, first + count), in one buffer reused by every call:
   * send it (the producer client copies it) before making the next.
   */
  make(first: number, producer?: { producerId: number; producerEpoch: number }): Uint8Array {
    const batch = this.#template
    const view = this.#view
    if (producer !== undefined) {
      // An idempotent producer's batch: its sequence is its first record's number.
      view.setBigInt64(BATCH_PRODUCER_ID, BigInt(producer.producerId))
      view.setInt16(BATCH_PRODUCER_EPOCH, producer.producerEpoch)
      view.setInt32(BATCH_BASE_SEQUENCE, first)
    }
    const tail = this.recordSize - SEQUENCE_BYTES
    for (let index = 0; index < this.count; index++) {
      const start = this.#valueStarts[index] as number
      view.setUint32(start, first + index, true)
      view.setUint32(start + tail, first + index, true)
    }
    sealRecordBatch(batch)
    return batch
  }
}
