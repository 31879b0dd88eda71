/** A batch copied into shared memory, and the call that gives its room back. */
export interface StagedBatch {
  /** A view of shared memory: it crosses to the broker thread without a copy. */
  readonly view: Uint8Array
  release(): void
}

const align8 = (bytes: number) => (bytes + 7) & ~7

/**
 * Shared memory where a producer places outgoing record batches, so a produce request carries
 * a view (no copy through the message, and no fresh ArrayBuffer per batch: allocating one per
 * batch made V8 collect garbage constantly, at a cost per batch that bench/README.md gives). The broker copies
 * the batch into its log before it replies, so room is given back when the reply arrives, in
 * the order it was taken (a FIFO of reservations; later ones released early wait their turn).
 * Batches sit 8-byte aligned and never straddle the end, for the fast aligned copy.
 */
export class StagingArea {
  readonly #bytes: Uint8Array
  #head = 0
  #tail = 0
  readonly #reservations: { end: number; released: boolean }[] = []

  constructor(readonly capacity: number) {
    this.#bytes = new Uint8Array(new SharedArrayBuffer(capacity))
  }

  /** Copies `batch` in; undefined when there is no room now (the caller sends a copy instead). */
  stage(batch: Uint8Array): StagedBatch | undefined {
    const size = align8(batch.length)
    let start = this.#head
    const offset = start % this.capacity
    if (offset + size > this.capacity) start += this.capacity - offset
    const end = start + size
    if (end - this.#tail > this.capacity) return undefined
    const at = start % this.capacity
    const view = this.#bytes.subarray(at, at + batch.length)
    view.set(batch)
    this.#head = end
    const reservation = { end, released: false }
    this.#reservations.push(reservation)
    return {
      view,
      release: () => {
        reservation.released = true
        while (this.#reservations[0]?.released) {
          this.#tail = (this.#reservations.shift() as { end: number }).end
        }
      },
    }
  }
}
