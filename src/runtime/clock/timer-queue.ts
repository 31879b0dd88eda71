import type { Timer } from './clock.js'

export interface QueuedTimer extends Timer {
  readonly sequence: number
  readonly callback: () => void
  /** Where it sits in the heap; -1 once it left (fired or cancelled). */
  position: number
}

function before(a: QueuedTimer, b: QueuedTimer): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.sequence < b.sequence)
}

/**
 * Pending timers in due order (ties in the order they were made): a binary heap, because a
 * busy thread holds one timer per ask in flight and cancels most of them.
 */
export class TimerQueue {
  readonly #heap: QueuedTimer[] = []
  #sequence = 0

  get size(): number {
    return this.#heap.length
  }

  /** When the first timer falls due; Infinity when none is pending. */
  get earliestDue(): number {
    return this.#heap[0]?.dueAt ?? Number.POSITIVE_INFINITY
  }

  add(dueAt: number, callback: () => void): QueuedTimer {
    const timer: QueuedTimer = {
      dueAt,
      sequence: this.#sequence++,
      callback,
      position: this.#heap.length,
    }
    this.#heap.push(timer)
    this.#up(timer.position)
    return timer
  }

  /** Takes the first timer out if it is due by `now`. */
  takeDue(now: number): QueuedTimer | undefined {
    const first = this.#heap[0]
    if (first === undefined || first.dueAt > now) return undefined
    this.remove(first)
    return first
  }

  /** False when the timer was not pending (it fired, or was cancelled already). */
  remove(timer: Timer): boolean {
    const queued = timer as QueuedTimer
    const position = queued.position
    if (position === undefined || position < 0 || this.#heap[position] !== queued) return false
    const last = this.#heap.pop() as QueuedTimer
    queued.position = -1
    if (last !== queued) {
      this.#heap[position] = last
      last.position = position
      this.#down(position)
      this.#up(last.position)
    }
    return true
  }

  clear(): void {
    for (const timer of this.#heap) timer.position = -1
    this.#heap.length = 0
  }

  #up(position: number): void {
    const heap = this.#heap
    let at = position
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (!before(heap[at] as QueuedTimer, heap[parent] as QueuedTimer)) return
      this.#swap(at, parent)
      at = parent
    }
  }

  #down(position: number): void {
    const heap = this.#heap
    let at = position
    for (;;) {
      const left = 2 * at + 1
      const right = left + 1
      let smallest = at
      if (left < heap.length && before(heap[left] as QueuedTimer, heap[smallest] as QueuedTimer)) {
        smallest = left
      }
      if (
        right < heap.length &&
        before(heap[right] as QueuedTimer, heap[smallest] as QueuedTimer)
      ) {
        smallest = right
      }
      if (smallest === at) return
      this.#swap(at, smallest)
      at = smallest
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap
    const first = heap[a] as QueuedTimer
    const second = heap[b] as QueuedTimer
    heap[a] = second
    heap[b] = first
    second.position = a
    first.position = b
  }
}
