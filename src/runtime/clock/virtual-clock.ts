import type { Clock, Timer } from './clock.js'
import { TimerQueue } from './timer-queue.js'

/*
 * Virtual time: the cluster's time is one Float64 in shared memory that only the controlling
 * thread moves (see time-controller.ts). Every thread reads it through its own VirtualClock,
 * which keeps that thread's timers; they run when the controller asks the thread to catch up
 * (each step of an advance), in due order. Reads need no Atomics: the controller moves the
 * time only while every thread is idle, and the message that wakes a thread orders the write
 * before the thread's reads.
 */

/** Bytes of the shared time: one Float64, milliseconds since the epoch. */
export const VIRTUAL_TIME_BYTES = 8

/** A new shared time word, starting at `startAt`. */
export function createVirtualTime(startAt: number): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(VIRTUAL_TIME_BYTES)
  new Float64Array(shared)[0] = startAt
  return shared
}

export function isVirtualTime(value: unknown): value is SharedArrayBuffer {
  return value instanceof SharedArrayBuffer && value.byteLength === VIRTUAL_TIME_BYTES
}

/** One thread's view of virtual time, and that thread's timers. */
export class VirtualClock implements Clock {
  readonly shared: SharedArrayBuffer
  readonly #time: Float64Array
  readonly #timers = new TimerQueue()
  /** Set while a run of timers already due when made is on its way. */
  #dueSoon: NodeJS.Immediate | undefined

  constructor(shared: SharedArrayBuffer) {
    if (!isVirtualTime(shared)) throw new TypeError('virtual time needs its shared word')
    this.shared = shared
    this.#time = new Float64Array(shared)
  }

  now(): number {
    return this.#time[0] as number
  }

  schedule(delayMs: number, callback: () => void): Timer {
    // As for setTimeout, a delay that is not a positive number means none.
    const delay = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs)
    const timer = this.#timers.add(this.now() + delay, callback)
    // Due already: it runs in a later turn, as a real timer of 0 ms would, with no step of time.
    if (timer.dueAt <= this.now() && this.#dueSoon === undefined) {
      this.#dueSoon = setImmediate(() => this.runDue())
    }
    return timer
  }

  cancel(timer: Timer): void {
    this.#timers.remove(timer)
  }

  cancelAll(): void {
    this.#timers.clear()
    if (this.#dueSoon !== undefined) clearImmediate(this.#dueSoon)
    this.#dueSoon = undefined
  }

  /** When this thread's next timer falls due (Infinity: none is pending). */
  get earliestDue(): number {
    return this.#timers.earliestDue
  }

  /**
   * Runs every timer due by now in due order, those made meanwhile too; returns how many ran.
   * A callback that throws is reported as an uncaught error, as from a real timer, after the
   * others have run.
   */
  runDue(): number {
    if (this.#dueSoon !== undefined) clearImmediate(this.#dueSoon)
    this.#dueSoon = undefined
    let ran = 0
    for (
      let timer = this.#timers.takeDue(this.now());
      timer;
      timer = this.#timers.takeDue(this.now())
    ) {
      ran++
      try {
        timer.callback()
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
    return ran
  }
}
