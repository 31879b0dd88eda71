import type { Clock } from '../../runtime/clock/clock.js'

/** What the faults set on a broker do to its wire listener. */
export interface ListenerFaults {
  /** Killed or dead: its connections close and new ones are refused. */
  readonly down: boolean
  /** Paused or isolated: requests wait, unanswered, until it is resumed or healed. */
  readonly held: boolean
  /** Slowed: each request waits this long before it is handled. */
  readonly delayMs: number
}

export const NO_LISTENER_FAULTS: ListenerFaults = { down: false, held: false, delayMs: 0 }

/**
 * Where a broker's faults meet its connections: requests and answers pass once the broker is
 * not held, and requests after the broker's added latency, as they would reach a stalled, cut
 * off or slow Kafka broker.
 */
export class ListenerGate {
  readonly #clock: Clock
  #held: { readonly opened: Promise<void>; readonly open: () => void } | undefined
  #delayMs = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Nothing to wait for: a request may be handled at once. */
  get isClear(): boolean {
    return this.#held === undefined && this.#delayMs === 0
  }

  apply(faults: ListenerFaults): void {
    this.#delayMs = faults.delayMs
    if (faults.held && this.#held === undefined) {
      let open: () => void = () => {}
      const opened = new Promise<void>((resolve) => {
        open = resolve
      })
      this.#held = { opened, open }
    } else if (!faults.held && this.#held !== undefined) {
      this.#held.open()
      this.#held = undefined
    }
  }

  /** Resolves once the broker is not held (an answer may go out). */
  async open(): Promise<void> {
    while (this.#held !== undefined) await this.#held.opened
  }

  /** Resolves once a request may be handled: not held, then after the broker's latency. */
  async passage(): Promise<void> {
    await this.open()
    const delayMs = this.#delayMs
    if (delayMs > 0) {
      await new Promise<void>((resolve) => this.#clock.schedule(delayMs, resolve))
      await this.open()
    }
  }
}
