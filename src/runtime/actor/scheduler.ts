import type { LocalActor } from './local-actor.js'
import type { MailboxEntry } from './mailbox.js'

/** Messages handled in one go before the thread yields to I/O (timers, frames from peers). */
const DRAIN_BUDGET = 4096

/**
 * The run queue of one thread's actors: an actor with mail waits for its turn, then handles
 * its messages one at a time; after a budget of messages the thread yields to I/O.
 */
export class Scheduler {
  readonly #ready: LocalActor[] = []
  #drainScheduled = false
  #drainImmediate: NodeJS.Immediate | undefined

  constructor(
    private readonly handle: (actor: LocalActor, entry: MailboxEntry) => void,
    private readonly isStopped: () => boolean,
  ) {}

  /** Whether actors have messages waiting for their turn. */
  get busy(): boolean {
    return this.#ready.length > 0
  }

  markReady(actor: LocalActor): void {
    if (actor.scheduled) return
    actor.scheduled = true
    this.#ready.push(actor)
    if (!this.#drainScheduled) {
      this.#drainScheduled = true
      queueMicrotask(() => this.#drain())
    }
  }

  /** Drops the turn that waits for I/O (the system stopped). */
  cancel(): void {
    if (this.#drainImmediate !== undefined) clearImmediate(this.#drainImmediate)
  }

  #drain(): void {
    this.#drainScheduled = false
    this.#drainImmediate = undefined
    let budget = DRAIN_BUDGET
    while (this.#ready.length > 0 && budget > 0 && !this.isStopped()) {
      const actor = this.#ready.shift() as LocalActor
      actor.scheduled = false
      let entry = actor.alive ? actor.mailbox.shift() : undefined
      while (entry !== undefined && budget > 0) {
        this.handle(actor, entry)
        budget--
        entry = actor.alive ? actor.mailbox.shift() : undefined
      }
      if (actor.alive && !actor.mailbox.empty) this.markReady(actor)
    }
    if (this.#ready.length > 0 && !this.isStopped() && !this.#drainScheduled) {
      this.#drainScheduled = true
      this.#drainImmediate = setImmediate(() => this.#drain())
    }
  }
}
