import type { Clock, Timer } from '../clock/clock.js'
import {
  ActorTerminatedError,
  AskTimeoutError,
  MalformedMessageError,
} from '../errors/actor-errors.js'
import { fromWireError } from '../errors/wire-error.js'
import type { ActorRef } from './actor-ref.js'

interface PendingAsk {
  readonly node: number
  readonly target: string
  readonly timer: Timer
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
  readonly parseReply: ((value: unknown) => unknown) | undefined
}

/**
 * The asks of one thread that wait for their replies. Each settles exactly once: with its
 * reply, at its deadline, or when its target's thread dies.
 */
export class PendingAsks {
  readonly #asks = new Map<number, PendingAsk>()
  #nextAskId = 1

  constructor(private readonly clock: Clock) {}

  /**
   * Registers an ask of `target` with its deadline, then hands its id to `send`, which puts
   * the ask on its way: a reply that comes at once already finds it waiting.
   */
  open<Reply>(
    target: ActorRef<never>,
    timeoutMs: number,
    parseReply: ((value: unknown) => Reply) | undefined,
    send: (askId: number) => void,
  ): Promise<Reply> {
    const askId = this.#nextAskId++
    return new Promise<Reply>((resolve, reject) => {
      const timer = this.clock.schedule(timeoutMs, () => {
        this.#asks.delete(askId)
        reject(AskTimeoutError.waitingOn(target.toString(), timeoutMs))
      })
      this.#asks.set(askId, {
        node: target.node,
        target: target.toString(),
        timer,
        resolve: resolve as (value: unknown) => void,
        reject,
        parseReply,
      })
      send(askId)
    })
  }

  /** A reply came (`value` is the wire error when not `ok`); one for no waiting ask is dropped. */
  settle(askId: number, ok: boolean, value: unknown): void {
    const ask = this.#asks.get(askId)
    if (ask === undefined) return
    this.#asks.delete(askId)
    this.clock.cancel(ask.timer)
    if (!ok) {
      ask.reject(fromWireError(value))
      return
    }
    // Parsed wherever the reply came from, so a reply has one shape whatever thread sent it.
    if (ask.parseReply === undefined) {
      ask.resolve(value)
      return
    }
    try {
      ask.resolve(ask.parseReply(value))
    } catch (error) {
      ask.reject(new MalformedMessageError(`reply from ${ask.target} rejected: ${String(error)}`))
    }
  }

  /** The thread `node` died: no ask of an actor there can be answered any longer. */
  failNode(node: number, reason: string): void {
    for (const [askId, ask] of this.#asks) {
      if (ask.node !== node) continue
      this.#asks.delete(askId)
      this.clock.cancel(ask.timer)
      ask.reject(ActorTerminatedError.notRunning(ask.target, reason))
    }
  }

  /** Rejects every ask; their timers go with the clock's, which the system cancels all at once. */
  failAll(error: () => Error): void {
    for (const ask of this.#asks.values()) ask.reject(error())
    this.#asks.clear()
  }
}
