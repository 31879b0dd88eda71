import type { Clock } from '../clock/clock.js'
import type { ThreadTraffic } from '../clock/thread-traffic.js'
import {
  ActorTerminatedError,
  SystemStoppedError,
  UnencodableMessageError,
} from '../errors/actor-errors.js'
import { toWireError } from '../errors/wire-error.js'
import {
  ASK,
  type AskEnvelope,
  type Envelope,
  isEnvelope,
  REPLY,
  TELL,
  type TellEnvelope,
} from '../transport/envelope.js'
import type { LinkFaults } from '../transport/link-faults.js'
import { type FramePort, PeerLink } from '../transport/peer-link.js'
import {
  type AgreedStructures,
  type EncodedFrame,
  fromPostedFrame,
  WireCodec,
} from '../transport/wire-codec.js'
import type { ActorRef, AskOptions, MessageRouter, SendOptions } from './actor-ref.js'
import { PendingAsks } from './pending-asks.js'
import type { EmitSystemEvent } from './system-events.js'

/** The name used as sender for messages sent from outside any actor (the embedding app). */
export const OUTSIDE = '$outside'

/** Where the router hands what is for an actor of this thread. */
export interface LocalDelivery {
  /** The name of the actor whose turn it is, if any: what it sends is from it. */
  readonly currentName: string | undefined
  deliver(envelope: TellEnvelope | AskEnvelope, origin: number, remote: boolean): void
}

export interface RouterSetup {
  readonly node: number
  readonly clock: Clock
  readonly faults: LinkFaults
  readonly traffic: ThreadTraffic
  readonly structures: AgreedStructures
  readonly defaultAskTimeoutMs: number
  /** What the refs decoded from other threads send through (the system). */
  readonly router: MessageRouter
  readonly local: LocalDelivery
  readonly emit: EmitSystemEvent
  isStopped(): boolean
}

/**
 * Where every message of one thread goes: through the link fault rules, then to an actor here
 * or down the link to its thread; replies settle the asks that wait for them. Knows which
 * threads are down, so that nothing sent to one waits for an answer.
 */
export class EnvelopeRouter {
  readonly #codec: WireCodec
  readonly #asks: PendingAsks
  readonly #links = new Map<number, PeerLink>()
  readonly #downNodes = new Map<number, string>()

  constructor(private readonly setup: RouterSetup) {
    this.#codec = new WireCodec(setup.structures, setup.router)
    this.#asks = new PendingAsks(setup.clock)
  }

  get structures(): AgreedStructures {
    return this.#codec.structures
  }

  tell(target: ActorRef<never>, message: unknown, options: SendOptions): void {
    if (this.setup.isStopped()) throw new SystemStoppedError()
    this.send([TELL, target.name, this.#senderName(options), message], target.node)
  }

  ask<Reply>(
    target: ActorRef<never>,
    message: unknown,
    options: AskOptions<Reply>,
  ): Promise<Reply> {
    if (this.setup.isStopped()) return Promise.reject(new SystemStoppedError())
    const down = this.#downNodes.get(target.node)
    if (down !== undefined) {
      return Promise.reject(ActorTerminatedError.notRunning(target.toString(), down))
    }
    const timeoutMs = options.timeoutMs ?? this.setup.defaultAskTimeoutMs
    return this.#asks.open(target, timeoutMs, options.parseReply, (askId) =>
      this.send([ASK, target.name, this.#senderName(options), message, askId], target.node),
    )
  }

  /** Sends `envelope` to the thread `node` (this one included), as the fault rules decide. */
  send(envelope: Envelope, node: number): void {
    const faults = this.setup.faults
    if (!faults.active) {
      this.#dispatch(envelope, node)
      return
    }
    const decision = faults.decide(envelope[2], envelope[1])
    const deliver = () => {
      for (let copy = 0; copy < decision.copies; copy++) this.#dispatch(envelope, node)
    }
    if (decision.delayMs > 0) this.setup.clock.schedule(decision.delayMs, deliver)
    else deliver()
  }

  /** Connects the link to another thread (again, after it restarted). */
  attachNode(node: number, port: FramePort): void {
    this.#downNodes.delete(node)
    const traffic = this.setup.traffic
    this.#linkTo(node).attach({
      postMessage(value, transfer) {
        traffic.sent(node)
        port.postMessage(value, transfer)
      },
    })
  }

  /** The thread `node` died: nothing waits on it any longer. */
  nodeDown(node: number, reason: string): void {
    this.#downNodes.set(node, reason)
    this.setup.traffic.forget(node)
    const link = this.#links.get(node)
    if (link !== undefined) {
      for (const envelope of link.detach()) this.#undeliverable(envelope, node, reason)
    }
    this.#asks.failNode(node, reason)
  }

  /**
   * A message arrived from thread `origin`: when it is a data frame, its envelopes are
   * delivered and the answer is true; anything else is left to the caller.
   */
  receiveFrame(origin: number, posted: unknown): boolean {
    const frame = fromPostedFrame(posted)
    if (frame === undefined) return false
    this.setup.traffic.received(origin)
    if (!this.setup.isStopped()) this.#receiveEnvelopes(origin, frame)
    return true
  }

  /** Rejects every ask and drops every link (the system stopped). */
  close(): void {
    this.#asks.failAll(() => new SystemStoppedError())
    for (const link of this.#links.values()) link.detach()
  }

  /** The name the caller gave, else the actor whose turn this is, else `$outside`. */
  #senderName(options: SendOptions): string {
    return options.from ?? this.setup.local.currentName ?? OUTSIDE
  }

  #receiveEnvelopes(origin: number, frame: EncodedFrame): void {
    let envelopes: unknown
    try {
      envelopes = this.#codec.decode(frame)
    } catch (error) {
      this.#emitUndelivered('?', '?', `undecodable frame from node ${origin}: ${String(error)}`)
      return
    }
    if (!Array.isArray(envelopes)) {
      this.#emitUndelivered('?', '?', `frame from node ${origin} is not a list of envelopes`)
      return
    }
    for (const envelope of envelopes) {
      if (isEnvelope(envelope)) this.#receive(envelope, origin, true)
      else this.#emitUndelivered('?', '?', `malformed envelope from node ${origin}`)
    }
  }

  #linkTo(node: number): PeerLink {
    let link = this.#links.get(node)
    if (link === undefined) {
      link = new PeerLink(this.#codec, (envelope, error) =>
        this.#unencodable(envelope, node, error),
      )
      this.#links.set(node, link)
    }
    return link
  }

  #dispatch(envelope: Envelope, node: number): void {
    if (this.setup.isStopped()) return
    if (node === this.setup.node) {
      this.#receive(envelope, node, false)
      return
    }
    const down = this.#downNodes.get(node)
    if (down !== undefined) this.#undeliverable(envelope, node, down)
    else this.#linkTo(node).send(envelope)
  }

  #receive(envelope: Envelope, origin: number, remote: boolean): void {
    if (envelope[0] === REPLY) this.#asks.settle(envelope[3], envelope[4] === 1, envelope[5])
    else this.setup.local.deliver(envelope, origin, remote)
  }

  #undeliverable(envelope: Envelope, node: number, reason: string): void {
    this.#emitUndelivered(envelope[1], envelope[2], reason)
    if (envelope[0] !== ASK) return
    const target = `${envelope[1]}@${node}`
    this.#rejectOwnAsk(envelope, ActorTerminatedError.notRunning(target, reason))
  }

  #unencodable(envelope: Envelope, node: number, error: unknown): void {
    const reason = `cannot be encoded for node ${node}: ${error instanceof Error ? error.message : String(error)}`
    this.#emitUndelivered(envelope[1], envelope[2], reason)
    if (envelope[0] === ASK) {
      this.#rejectOwnAsk(envelope, new UnencodableMessageError(reason))
    } else if (envelope[0] === REPLY) {
      // The asker still deserves an answer: tell it why its reply never came.
      this.send(
        [
          REPLY,
          envelope[1],
          envelope[2],
          envelope[3],
          0,
          toWireError(new UnencodableMessageError(reason)),
        ],
        node,
      )
    }
  }

  /** An ask of this thread's that could not go out: its asker is here, so settle it here. */
  #rejectOwnAsk(envelope: AskEnvelope, error: Error): void {
    this.#asks.settle(envelope[4], false, toWireError(error))
  }

  #emitUndelivered(to: string, from: string, reason: string): void {
    this.setup.emit('undelivered', { to, from, reason })
  }
}
