import type { Clock } from '../clock/clock.js'
import {
  ActorTerminatedError,
  MalformedMessageError,
  SystemStoppedError,
} from '../errors/actor-errors.js'
import { InvalidArgumentError } from '../errors/samsa-error.js'
import { toWireError } from '../errors/wire-error.js'
import type { RequestDispatch, RequestSetup } from '../requests/request-dispatch.js'
import {
  ASK,
  type AskEnvelope,
  type Envelope,
  REPLY,
  TELL,
  type TellEnvelope,
} from '../transport/envelope.js'
import type { LinkFaults } from '../transport/link-faults.js'
import { type ContextHost, contextFor } from './actor-context.js'
import type {
  ActorContext,
  ActorDefinition,
  ChildTerminated,
  SpawnOptions,
} from './actor-definition.js'
import { ActorRef, type MessageRouter } from './actor-ref.js'
import {
  type LocalActor,
  type MessageEntry,
  type ReplyAddress,
  replyAddressOf,
} from './local-actor.js'
import { Mailbox, type MailboxEntry } from './mailbox.js'
import { type GatedActors, RequestGate } from './request-gate.js'
import { Scheduler } from './scheduler.js'
import { DEFAULT_SUPERVISION, decideRestart, type SupervisionPolicy } from './supervision.js'
import type { EmitSystemEvent } from './system-events.js'

/** What the actors of a thread need from the system that hosts them. */
export interface LocalActorsSetup {
  readonly node: number
  readonly clock: Clock
  /** What the refs of actors started here send through (the system). */
  readonly router: MessageRouter
  readonly faults: LinkFaults
  readonly requests: RequestDispatch
  readonly emit: EmitSystemEvent
  /** Sends `envelope` to the thread `node` (this one included), as any message goes. */
  send(envelope: Envelope, node: number): void
  isStopped(): boolean
}

/**
 * The actors of one thread: their mailboxes, their turns, what they are told and answer, and
 * one-for-one supervision of those that fail.
 */
export class LocalActors implements ContextHost, GatedActors {
  readonly #actors = new Map<string, LocalActor>()
  readonly #scheduler: Scheduler
  readonly #gate: RequestGate
  /** The actor whose turn it is, if any. */
  #current: LocalActor | undefined

  constructor(private readonly setup: LocalActorsSetup) {
    this.#scheduler = new Scheduler(
      (actor, entry) => this.#handle(actor, entry),
      () => setup.isStopped(),
    )
    this.#gate = new RequestGate(setup.requests, setup.clock, this)
  }

  get clock(): Clock {
    return this.setup.clock
  }

  get stopped(): boolean {
    return this.setup.isStopped()
  }

  /** Whether actors have messages waiting for their turn. */
  get busy(): boolean {
    return this.#scheduler.busy
  }

  /** The name of the actor whose turn it is, if any. */
  get currentName(): string | undefined {
    return this.#current?.name
  }

  applyRequestSetup(setup: RequestSetup): void {
    this.#gate.apply(setup)
  }

  /** Starts an actor here; `parent` hears of its end, or with 'escalate' the system only. */
  spawn<Msg, State, Args>(
    definition: ActorDefinition<Msg, State, Args>,
    options: SpawnOptions<Args>,
    parent: LocalActor | undefined,
    policy: SupervisionPolicy | 'escalate' | undefined,
  ): ActorRef<Msg> {
    if (this.stopped) throw new SystemStoppedError()
    if (typeof options.name !== 'string' || options.name === '' || options.name.startsWith('$')) {
      throw new InvalidArgumentError(`actor name must be a non-empty string not starting with '$'`)
    }
    if (this.#actors.has(options.name)) {
      throw new InvalidArgumentError(`an actor named '${options.name}' already runs here`)
    }
    const ref = new ActorRef<Msg>(this.setup.node, options.name, this.setup.router)
    const actor: LocalActor = {
      name: options.name,
      ref: ref as ActorRef<never>,
      definition: definition as ActorDefinition<unknown, unknown, unknown>,
      args: options.args,
      policy: policy ?? DEFAULT_SUPERVISION,
      parent,
      mailbox: new Mailbox(),
      context: undefined as unknown as ActorContext<unknown>,
      state: undefined,
      history: { restartTimes: [] },
      alive: true,
      scheduled: false,
      pendingReply: undefined,
      currentSender: undefined,
    }
    Object.assign(actor, { context: contextFor(actor, this) })
    actor.state = this.#inActor(actor, () => actor.definition.init(actor.args, actor.context))
    this.#actors.set(actor.name, actor)
    return ref
  }

  spawnChild<Msg, State, Args>(
    definition: ActorDefinition<Msg, State, Args>,
    options: SpawnOptions<Args>,
    parent: LocalActor,
  ): ActorRef<Msg> {
    return this.spawn(definition, options, parent, options.supervision)
  }

  /**
   * Puts a tell or an ask into its target's mailbox. What came from another thread (`remote`)
   * is validated first; an ask that cannot be delivered is answered with the reason.
   */
  deliver(envelope: TellEnvelope | AskEnvelope, origin: number, remote: boolean): void {
    const [kind, to, from, body] = envelope
    const actor = this.#actors.get(to)
    if (actor === undefined) {
      this.#emitUndelivered(to, from, 'no such actor')
      if (kind === ASK) {
        this.#replyError(
          origin,
          envelope,
          ActorTerminatedError.notRunning(`${to}@${this.setup.node}`, 'no such actor'),
        )
      }
      return
    }
    let message = body
    if (remote) {
      try {
        message = actor.definition.parseMessage(body)
      } catch (error) {
        const rejection = new MalformedMessageError(
          `message to ${to} from ${from} rejected: ${error instanceof Error ? error.message : String(error)}`,
        )
        this.#emitUndelivered(to, from, rejection.message)
        if (kind === ASK) this.#replyError(origin, envelope, rejection)
        return
      }
    }
    actor.mailbox.push({
      kind: 'message',
      body: message,
      from,
      origin,
      askId: kind === ASK ? envelope[4] : 0,
    })
    this.#scheduler.markReady(actor)
  }

  tellSelf(actor: LocalActor, message: unknown): void {
    this.deliver([TELL, actor.name, actor.name, message], this.setup.node, false)
  }

  requeue(actor: LocalActor, entry: MessageEntry): void {
    actor.mailbox.push(entry)
    this.#scheduler.markReady(actor)
  }

  isCut(from: string, to: string): boolean {
    return this.setup.faults.isCut(from, to)
  }

  sendReply(actor: LocalActor, address: ReplyAddress, ok: boolean, value: unknown): void {
    if (this.stopped) return
    this.#gate.replied(address, ok, value)
    this.setup.send(
      [REPLY, address.asker, actor.name, address.askId, ok ? 1 : 0, value],
      address.node,
    )
  }

  /** Removes every actor (the system stopped); their asks in waiting are not answered. */
  removeAll(): void {
    for (const actor of this.#actors.values()) this.remove(actor, 'the system stopped')
    this.#scheduler.cancel()
  }

  remove(actor: LocalActor, reason: string): void {
    if (!actor.alive) return
    actor.alive = false
    this.#actors.delete(actor.name)
    try {
      actor.definition.stopped?.(actor.state)
    } catch {
      // A failing cleanup must not keep a dead actor half-removed.
    }
    for (let entry = actor.mailbox.shift(); entry !== undefined; entry = actor.mailbox.shift()) {
      const address = entry.kind === 'message' ? replyAddressOf(entry) : undefined
      if (address !== undefined) {
        this.sendReply(
          actor,
          address,
          false,
          toWireError(ActorTerminatedError.notRunning(actor.ref.toString(), reason)),
        )
      }
    }
  }

  #replyError(node: number, ask: AskEnvelope, error: unknown): void {
    this.setup.send([REPLY, ask[2], ask[1], ask[4], 0, toWireError(error)], node)
  }

  #emitUndelivered(to: string, from: string, reason: string): void {
    this.setup.emit('undelivered', { to, from, reason })
  }

  #handle(actor: LocalActor, entry: MailboxEntry): void {
    if (entry.kind === 'signal') {
      const onChild = actor.definition.onChildTerminated
      if (onChild !== undefined) {
        this.#runHandler(actor, () => onChild(actor.state, entry.signal, actor.context))
      }
      return
    }
    const address = replyAddressOf(entry)
    if (this.#gate.holdsBack(actor, entry, address)) return
    actor.pendingReply = address
    actor.currentSender = entry.from.startsWith('$')
      ? undefined
      : new ActorRef<never>(entry.origin, entry.from, this.setup.router)
    this.#runHandler(actor, () => actor.definition.receive(actor.state, entry.body, actor.context))
    actor.pendingReply = undefined
    actor.currentSender = undefined
  }

  #runHandler(actor: LocalActor, handler: () => unknown): void {
    try {
      actor.state = this.#inActor(actor, handler)
    } catch (error) {
      this.#fail(actor, error)
    }
  }

  #inActor<T>(actor: LocalActor, body: () => T): T {
    const previous = this.#current
    this.#current = actor
    try {
      return body()
    } finally {
      this.#current = previous
    }
  }

  #fail(actor: LocalActor, error: unknown): void {
    const reason = `failed: ${error instanceof Error ? error.message : String(error)}`
    const replyAddress = actor.pendingReply
    if (replyAddress !== undefined) {
      actor.pendingReply = undefined
      this.sendReply(actor, replyAddress, false, toWireError(error))
    }
    if (actor.policy === 'escalate') {
      this.remove(actor, reason)
      this.setup.emit('terminated', {
        type: 'child-terminated',
        child: actor.ref,
        reason,
        restarting: false,
      })
      return
    }
    const decision = decideRestart(actor.policy, actor.history, this.setup.clock.now())
    actor.history = decision.history
    if (decision.restart) {
      try {
        actor.state = this.#inActor(actor, () => actor.definition.init(actor.args, actor.context))
        this.#notifyTerminated(actor, reason, true)
        this.setup.emit('restarted', { child: actor.ref })
        return
      } catch (initError) {
        this.remove(actor, `${reason}; restart failed: ${String(initError)}`)
        this.#notifyTerminated(actor, `${reason}; restart failed`, false)
        return
      }
    }
    this.remove(actor, `${reason} (${decision.reason})`)
    this.#notifyTerminated(actor, `${reason} (${decision.reason})`, false)
  }

  #notifyTerminated(actor: LocalActor, reason: string, restarting: boolean): void {
    const signal: ChildTerminated = {
      type: 'child-terminated',
      child: actor.ref,
      reason,
      restarting,
    }
    this.setup.emit('terminated', signal)
    const parent = actor.parent
    if (parent?.alive) {
      parent.mailbox.push({ kind: 'signal', signal })
      this.#scheduler.markReady(parent)
    }
  }
}
