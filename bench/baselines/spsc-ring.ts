/*
 * The baseline: a bare single-producer single-consumer ring in a SharedArrayBuffer. Each
 * record is an 8-byte header (its length) and its bytes, padded to 8 so that every copy is
 * between 8-aligned views (V8's fast path); a record that would cross the end
 * leaves a wrap marker and starts at zero. Head and tail are running byte counts mod 2^32,
 * published every `publishEvery` records. Nothing else: no offsets, no format, no checks.
 */
const WRAP_MARKER = -1
const HEAD = 0
const TAIL = 16

export interface SpscRingHandle {
  readonly data: SharedArrayBuffer
  readonly counters: SharedArrayBuffer
}

export function createSpscRing(capacity: number): SpscRingHandle {
  return { data: new SharedArrayBuffer(capacity), counters: new SharedArrayBuffer(128) }
}

const RECORD_HEADER = 8
const slotBytes = (length: number): number => RECORD_HEADER + ((length + 7) & ~7)

export class SpscRing {
  private readonly bytes: Uint8Array
  private readonly words: Int32Array
  private readonly counters: Int32Array
  private readonly mask: number

  constructor(handle: SpscRingHandle) {
    this.bytes = new Uint8Array(handle.data)
    this.words = new Int32Array(handle.data)
    this.counters = new Int32Array(handle.counters)
    this.mask = handle.data.byteLength - 1
  }

  /** Writes as many of `records` (from `from`) as fit; returns how many. */
  write(records: readonly Uint8Array[], from: number): number {
    const capacity = this.mask + 1
    const head = Atomics.load(this.counters, HEAD)
    let tail = Atomics.load(this.counters, TAIL)
    let written = 0
    for (let i = from; i < records.length; i++) {
      const record = records[i] as Uint8Array
      const need = slotBytes(record.length)
      let at = tail & this.mask
      const skip = at + need > capacity ? capacity - at : 0
      if (((tail - head) | 0) + skip + need > capacity) break
      if (skip > 0) {
        this.words[at >> 2] = WRAP_MARKER
        tail = (tail + skip) | 0
        at = 0
      }
      this.words[at >> 2] = record.length
      this.bytes.set(record, at + RECORD_HEADER)
      tail = (tail + need) | 0
      written++
    }
    Atomics.store(this.counters, TAIL, tail)
    Atomics.notify(this.counters, TAIL)
    return written
  }

  /** Copies every available record out into `into`; returns how many, or 0 if none. */
  read(into: Uint8Array, onRecord: (length: number) => void): number {
    const capacity = this.mask + 1
    const tail = Atomics.load(this.counters, TAIL)
    let head = Atomics.load(this.counters, HEAD)
    let count = 0
    while (head !== tail) {
      let at = head & this.mask
      let length = this.words[at >> 2] as number
      if (length === WRAP_MARKER) {
        head = (head + (capacity - at)) | 0
        at = 0
        length = this.words[0] as number
      }
      into.set(this.bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length))
      onRecord(length)
      head = (head + slotBytes(length)) | 0
      count++
    }
    Atomics.store(this.counters, HEAD, head)
    Atomics.notify(this.counters, HEAD)
    return count
  }

  /** Blocks (workers only) until the tail moves from `seen`, or `timeoutMs`. */
  waitForTail(seen: number, timeoutMs: number): void {
    Atomics.wait(this.counters, TAIL, seen, timeoutMs)
  }

  waitForHead(seen: number, timeoutMs: number): void {
    Atomics.wait(this.counters, HEAD, seen, timeoutMs)
  }

  tail(): number {
    return Atomics.load(this.counters, TAIL)
  }

  head(): number {
    return Atomics.load(this.counters, HEAD)
  }
}
