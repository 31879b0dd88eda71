/** A timer started through a `Clock`; cancel it with `clock.cancel`. */
export interface Timer {
  readonly dueAt: number
}

/**
 * Every reading of the time and every timer in actor logic goes through a Clock, so tests
 * (and users' tests) can drive time by hand instead of sleeping.
 */
export interface Clock {
  now(): number
  schedule(delayMs: number, callback: () => void): Timer
  cancel(timer: Timer): void
  /** Cancels every timer still pending: part of a clean shutdown. */
  cancelAll(): void
}

interface SystemTimer extends Timer {
  readonly handle: NodeJS.Timeout
}

/** Wall-clock time and Node's timers, with every pending timer tracked for `cancelAll`. */
export class SystemClock implements Clock {
  readonly #pending = new Set<SystemTimer>()

  now(): number {
    return Date.now()
  }

  schedule(delayMs: number, callback: () => void): Timer {
    const timer: SystemTimer = {
      dueAt: Date.now() + delayMs,
      handle: setTimeout(() => {
        this.#pending.delete(timer)
        callback()
      }, delayMs),
    }
    this.#pending.add(timer)
    return timer
  }

  cancel(timer: Timer): void {
    const pending = timer as SystemTimer
    if (this.#pending.delete(pending)) clearTimeout(pending.handle)
  }

  cancelAll(): void {
    for (const timer of this.#pending) clearTimeout(timer.handle)
    this.#pending.clear()
  }
}

interface ManualTimer extends Timer {
  readonly sequence: number
  readonly callback: () => void
}

/** Time that moves only when told to: `advance(ms)` fires due timers in time order. */
export class ManualClock implements Clock {
  #now: number
  #sequence = 0
  readonly #pending = new Set<ManualTimer>()

  constructor(startAt = 0) {
    this.#now = startAt
  }

  now(): number {
    return this.#now
  }

  schedule(delayMs: number, callback: () => void): Timer {
    const timer: ManualTimer = {
      dueAt: this.#now + Math.max(0, delayMs),
      sequence: this.#sequence++,
      callback,
    }
    this.#pending.add(timer)
    return timer
  }

  cancel(timer: Timer): void {
    this.#pending.delete(timer as ManualTimer)
  }

  cancelAll(): void {
    this.#pending.clear()
  }

  /** Moves time forward, firing each timer that falls due (including ones they schedule). */
  advance(ms: number): void {
    const target = this.#now + ms
    for (let next = this.#earliestDue(target); next; next = this.#earliestDue(target)) {
      this.#pending.delete(next)
      this.#now = next.dueAt
      next.callback()
    }
    this.#now = target
  }

  get pendingTimers(): number {
    return this.#pending.size
  }

  #earliestDue(limit: number): ManualTimer | undefined {
    let earliest: ManualTimer | undefined
    for (const timer of this.#pending) {
      if (timer.dueAt > limit) continue
      if (
        !earliest ||
        timer.dueAt < earliest.dueAt ||
        (timer.dueAt === earliest.dueAt && timer.sequence < earliest.sequence)
      ) {
        earliest = timer
      }
    }
    return earliest
  }
}
