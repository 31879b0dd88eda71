import type { Clock, Timer } from './clock.js'

/**
 * A view of a shared clock that remembers the timers made through it, so one owner (an actor
 * system) can cancel exactly its own timers when it stops, and no one else's.
 */
export class TrackedClock implements Clock {
  readonly #pending = new Set<Timer>()

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now()
  }

  schedule(delayMs: number, callback: () => void): Timer {
    const timer = this.inner.schedule(delayMs, () => {
      this.#pending.delete(timer)
      callback()
    })
    this.#pending.add(timer)
    return timer
  }

  cancel(timer: Timer): void {
    if (this.#pending.delete(timer)) this.inner.cancel(timer)
  }

  cancelAll(): void {
    for (const timer of this.#pending) this.inner.cancel(timer)
    this.#pending.clear()
  }
}
