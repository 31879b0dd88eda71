import { InvalidArgumentError } from '../errors/samsa-error.js'

/*
 * One entry per batch, in a ring of its own (a SharedArrayBuffer of float64s: offsets and
 * timestamps are safe integers, exact in a double). An entry is addressed by the batch's
 * running number, which only grows, so slot = number mod capacity.
 *
 *   entry => baseOffset, nextOffset (last offset + 1), bytePosition (running, unwrapped),
 *            maxTimestamp (of the batch), runningMaxTimestamp (max over it and all before)
 *
 * Base offsets grow with the batch number, so a binary search finds the batch holding an
 * offset; the running maximum timestamp grows too, so one finds the first batch that can
 * hold a timestamp at or after T (Kafka's time index keeps the same monotone maximum).
 */
const FIELDS = 5
const BASE_OFFSET = 0
const NEXT_OFFSET = 1
const BYTE_POSITION = 2
const MAX_TIMESTAMP = 3
const RUNNING_MAX_TIMESTAMP = 4

export class OffsetIndex {
  readonly buffer: SharedArrayBuffer
  readonly capacity: number
  private readonly entries: Float64Array

  constructor(buffer: SharedArrayBuffer, capacity: number) {
    if (
      !(buffer instanceof SharedArrayBuffer) ||
      buffer.byteLength !== OffsetIndex.bytesFor(capacity)
    ) {
      throw new InvalidArgumentError(
        `an offset index of ${capacity} entries needs ${OffsetIndex.bytesFor(capacity)} bytes`,
      )
    }
    this.buffer = buffer
    this.capacity = capacity
    this.entries = new Float64Array(buffer)
  }

  static bytesFor(capacity: number): number {
    return capacity * FIELDS * Float64Array.BYTES_PER_ELEMENT
  }

  static allocate(capacity: number): OffsetIndex {
    return new OffsetIndex(new SharedArrayBuffer(OffsetIndex.bytesFor(capacity)), capacity)
  }

  private slot(batch: number): number {
    return (batch % this.capacity) * FIELDS
  }

  write(
    batch: number,
    baseOffset: number,
    nextOffset: number,
    bytePosition: number,
    maxTimestamp: number,
    runningMaxTimestamp: number,
  ): void {
    const at = this.slot(batch)
    const entries = this.entries
    entries[at + BASE_OFFSET] = baseOffset
    entries[at + NEXT_OFFSET] = nextOffset
    entries[at + BYTE_POSITION] = bytePosition
    entries[at + MAX_TIMESTAMP] = maxTimestamp
    entries[at + RUNNING_MAX_TIMESTAMP] = runningMaxTimestamp
  }

  baseOffset(batch: number): number {
    return this.entries[this.slot(batch) + BASE_OFFSET] as number
  }

  nextOffset(batch: number): number {
    return this.entries[this.slot(batch) + NEXT_OFFSET] as number
  }

  bytePosition(batch: number): number {
    return this.entries[this.slot(batch) + BYTE_POSITION] as number
  }

  maxTimestamp(batch: number): number {
    return this.entries[this.slot(batch) + MAX_TIMESTAMP] as number
  }

  runningMaxTimestamp(batch: number): number {
    return this.entries[this.slot(batch) + RUNNING_MAX_TIMESTAMP] as number
  }

  /** The last batch in [first, end) whose base offset is at most `offset`; `first - 1` if none. */
  findByOffset(first: number, end: number, offset: number): number {
    let low = first
    let high = end
    while (low < high) {
      const middle = low + Math.floor((high - low) / 2)
      if (this.baseOffset(middle) <= offset) low = middle + 1
      else high = middle
    }
    return low - 1
  }

  /** The first batch in [first, end) that may hold a timestamp ≥ `timestamp`; `end` if none. */
  findByTimestamp(first: number, end: number, timestamp: number): number {
    let low = first
    let high = end
    while (low < high) {
      const middle = low + Math.floor((high - low) / 2)
      if (this.runningMaxTimestamp(middle) < timestamp) low = middle + 1
      else high = middle
    }
    return low
  }
}
