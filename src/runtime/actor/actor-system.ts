import { EventEmitter } from 'node:events'
import { type Clock, SystemClock, type Timer } from '../clock/clock.js'
import { ThreadTraffic } from '../clock/thread-traffic.js'
import { TrackedClock } from '../clock/tracked-clock.js'
import { VirtualClock } from '../clock/virtual-clock.js'
import {
  ActorTerminatedError,
  AskTimeoutError,
  MalformedMessageError,
  SystemStoppedError,
  UnencodableMessageError,
} from '../errors/actor-errors.js'
import { InvalidArgumentError } from '../errors/samsa-error.js'
import { fromWireError, toWireError } from '../errors/wire-error.js'
import { RequestDispatch, type RequestSetup } from '../requests/request-dispatch.js'
import type { RequestRecord } from '../requests/request-log.js'
import { injectedError, type RuleVerdict, waitOut } from '../requests/request-rules.js'
import type { GuestLinks } from '../thread/guest-links.js'
import {
  type ThreadSpawnSpec,
  ThreadSupervisor,
  type ThreadSupervisorOptions,
} from '../thread/thread-supervisor.js'
import type { ThreadTimeReport } from '../transport/control-frames.js'
import {
  ASK,
  type AskEnvelope,
  type Envelope,
  isEnvelope,
  REPLY,
  TELL,
} from '../transport/envelope.js'
import { type LinkFaultRule, LinkFaults } from '../transport/link-faults.js'
import { type FramePort, PeerLink } from '../transport/peer-link.js'
import {
  type AgreedStructures,
  type EncodedFrame,
  fromPostedFrame,
  WireCodec,
} from '../transport/wire-codec.js'
import type {
  ActorContext,
  ActorDefinition,
  ChildTerminated,
  Replier,
  SpawnOptions,
} from './actor-definition.js'
import { ActorRef, type AskOptions, type MessageRouter, type SendOptions } from './actor-ref.js'
import { Mailbox, type MailboxEntry } from './mailbox.js'
import {
  DEFAULT_SUPERVISION,
  decideRestart,
  type RestartHistory,
  type SupervisionPolicy,
} from './supervision.js'

export interface ActorSystemOptions extends ThreadSupervisorOptions {
  /**
   * Drives every timer of the system (ask deadlines, heartbeats, fault delays). A
   * `VirtualClock` reaches the worker threads too: each gets its own view of the same time.
   */
  readonly clock?: Clock
  /** The one seed behind every fault decision, so a run replays. */
  readonly seed?: number
  readonly defaultAskTimeoutMs?: number
  /** Message shapes (key lists) encoded as shared msgpackr records on every thread. */
  readonly structures?: AgreedStructures
  /** Where a worker thread sends the request log's answered records (see RequestRecorder). */
  readonly publishRequests?: (records: RequestRecord[]) => void
}

/** Events a system emits about its actors. */
export interface ActorSystemEvents {
  terminated: [ChildTerminated]
  restarted: [{ readonly child: ActorRef<never> }]
  /** A message that failed validation or encoding, or had no live target. */
  undelivered: [{ readonly to: string; readonly from: string; readonly reason: string }]
}

/** The name used as sender for messages sent from outside any actor (the embedding app). */
export const OUTSIDE = '$outside'

const DRAIN_BUDGET = 4096

interface LocalActor {
  readonly name: string
  readonly ref: ActorRef<never>
  readonly definition: ActorDefinition<unknown, unknown, unknown>
  readonly args: unknown
  readonly policy: SupervisionPolicy | 'escalate'
  readonly parent: LocalActor | undefined
  readonly mailbox: Mailbox
  readonly context: ActorContext<unknown>
  state: unknown
  history: RestartHistory
  alive: boolean
  scheduled: boolean
  /** Where the answer to the message being handled goes, when it is an ask. */
  pendingReply: ReplyAddress | undefined
  currentSender: ActorRef<never> | undefined
}

interface ReplyAddress {
  readonly node: number
  readonly askId: number
  readonly asker: string
}

interface PendingAsk {
  readonly node: number
  readonly target: string
  readonly timer: Timer
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
  readonly parseReply: ((value: unknown) => unknown) | undefined
}

/**
 * One thread's actors: their mailboxes, the routing of messages to them and to other threads,
 * asks with deadlines, and one-for-one supervision of local children. A system on the main
 * thread can also host actors on dedicated worker threads (see `ThreadSupervisor`).
 */
export class ActorSystem implements MessageRouter {
  readonly clock: TrackedClock
  readonly faults: LinkFaults
  /** Request rules and the request log on this thread. */
  readonly requests: RequestDispatch
  /** Frames to and from each other thread, so virtual time knows when none is in flight. */
  readonly traffic = new ThreadTraffic()
  readonly #events = new EventEmitter<ActorSystemEvents>()
  readonly #codec: WireCodec
  readonly #actors = new Map<string, LocalActor>()
  readonly #links = new Map<number, PeerLink>()
  readonly #downNodes = new Map<number, string>()
  readonly #asks = new Map<number, PendingAsk>()
  readonly #ready: LocalActor[] = []
  readonly #defaultAskTimeoutMs: number
  #nextAskId = 1
  #drainScheduled = false
  #drainImmediate: NodeJS.Immediate | undefined
  #current: LocalActor | undefined
  #stopped = false
  #threads: ThreadSupervisor | undefined
  /** `requests.active`, kept here: all that requests cost a message while nothing is on. */
  #requestsOn = false

  constructor(
    readonly node: number,
    options: ActorSystemOptions = {},
  ) {
    this.clock = new TrackedClock(options.clock ?? new SystemClock())
    this.faults = new LinkFaults(options.seed ?? 0)
    this.requests = new RequestDispatch(this.clock, options.publishRequests)
    this.#codec = new WireCodec(options.structures ?? [], this)
    this.#defaultAskTimeoutMs = options.defaultAskTimeoutMs ?? 5_000
  }

  /**
   * The system of the thread that embeds samsa (node 0): it can also run actors on dedicated
   * worker threads and supervises them.
   */
  static start(options: ActorSystemOptions = {}): ActorSystem {
    const system = new ActorSystem(0, options)
    const virtualClock = options.clock instanceof VirtualClock ? options.clock : undefined
    system.#threads = new ThreadSupervisor(system, options, virtualClock)
    return system
  }

  /** Runs one actor alone on a new worker thread; resolves once it is up. */
  spawnOnThread<Msg, Args = undefined>(spec: ThreadSpawnSpec<Args>): Promise<ActorRef<Msg>> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError())
    return this.#mainThreadOnly().spawn<Msg, Args>(spec)
  }

  /** Lets a thread this system did not start join for a while (see `joinAsGuest`). */
  connectGuest(): GuestLinks {
    this.#assertRunning()
    return this.#mainThreadOnly().connectGuest()
  }

  disconnectGuest(node: number): void {
    this.#threads?.disconnectGuest(node)
  }

  /** Replaces the link faults on every thread; resolves once every running thread has them. */
  setFaultRules(rules: readonly LinkFaultRule[]): Promise<void> {
    return this.#mainThreadOnly().setFaultRules(rules)
  }

  /** Replaces the request rules (and turns the log on or off) on every thread, as faults. */
  setRequestSetup(setup: RequestSetup): Promise<void> {
    return this.#mainThreadOnly().setRequestSetup(setup)
  }

  /**
   * The request log of every thread: answered requests, then those unanswered now. With
   * `clear`, everything recorded so far is forgotten instead (and nothing is returned).
   */
  async collectRequests(clear: boolean): Promise<RequestRecord[]> {
    const elsewhere = await this.#mainThreadOnly().collectRequests(clear)
    const recorder = this.requests.recorder
    if (clear) {
      recorder?.clear()
      return []
    }
    if (recorder === undefined) return []
    return [...recorder.answered(), ...recorder.unanswered(), ...elsewhere]
  }

  /** Kills the thread hosting `ref` as a crash would; its supervision policy then applies. */
  crashThread<Msg>(ref: ActorRef<Msg>, reason?: string): void {
    this.#mainThreadOnly().crash(ref as unknown as ActorRef<never>, reason)
  }

  /**
   * Stalls the thread hosting `ref` until `resumeThread` (heartbeats stop too); resolves once
   * the thread has stopped.
   */
  pauseThread<Msg>(ref: ActorRef<Msg>): Promise<void> {
    return this.#mainThreadOnly().pause(ref as unknown as ActorRef<never>)
  }

  resumeThread<Msg>(ref: ActorRef<Msg>): void {
    this.#mainThreadOnly().resume(ref as unknown as ActorRef<never>)
  }

  /** Asks every running thread to catch up with virtual time and say how it stands. */
  reportTimeOfThreads(): Promise<ThreadTimeReport[]> {
    return this.#mainThreadOnly().reportTime()
  }

  /** Whether actors here have messages waiting for their turn. */
  get busy(): boolean {
    return this.#ready.length > 0
  }

  /** Starts again a thread that is down for good (stop policy, or budget spent). */
  restartThread<Msg>(ref: ActorRef<Msg>): Promise<void> {
    return this.#mainThreadOnly().restart(ref as unknown as ActorRef<never>)
  }

  /** @internal */
  reportTerminated(signal: ChildTerminated): void {
    this.#events.emit('terminated', signal)
  }

  /** @internal */
  reportRestarted(child: ActorRef<never>): void {
    this.#events.emit('restarted', { child })
  }

  #mainThreadOnly(): ThreadSupervisor {
    if (this.#threads === undefined) {
      throw new InvalidArgumentError('only the main system (ActorSystem.start) manages threads')
    }
    return this.#threads
  }

  get structures(): AgreedStructures {
    return this.#codec.structures
  }

  get stopped(): boolean {
    return this.#stopped
  }

  on<Name extends keyof ActorSystemEvents>(
    name: Name,
    listener: (...args: ActorSystemEvents[Name]) => void,
  ): () => void {
    // The overloads of EventEmitter's generic signature do not narrow through a type parameter.
    const emitter = this.#events as EventEmitter
    emitter.on(name, listener as (...args: unknown[]) => void)
    return () => emitter.off(name, listener as (...args: unknown[]) => void)
  }

  /** Starts an actor on this thread. Names are unique per thread. */
  spawn<Msg, State, Args>(
    definition: ActorDefinition<Msg, State, Args>,
    options: SpawnOptions<Args>,
  ): ActorRef<Msg> {
    return this.spawnLocal(definition, options, undefined, options.supervision)
  }

  /** @internal Also used by actor contexts (with a parent) and thread hosts ('escalate'). */
  spawnLocal<Msg, State, Args>(
    definition: ActorDefinition<Msg, State, Args>,
    options: SpawnOptions<Args>,
    parent: LocalActor | undefined,
    policy: SupervisionPolicy | 'escalate' | undefined,
  ): ActorRef<Msg> {
    this.#assertRunning()
    if (typeof options.name !== 'string' || options.name === '' || options.name.startsWith('$')) {
      throw new InvalidArgumentError(`actor name must be a non-empty string not starting with '$'`)
    }
    if (this.#actors.has(options.name)) {
      throw new InvalidArgumentError(`an actor named '${options.name}' already runs here`)
    }
    const ref = new ActorRef<Msg>(this.node, options.name, this)
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
    Object.assign(actor, { context: this.#contextFor(actor) })
    actor.state = this.#inActor(actor, () => actor.definition.init(actor.args, actor.context))
    this.#actors.set(actor.name, actor)
    return ref
  }

  /** A ref to an actor by address, for actors whose name is known (e.g. `broker-1` on node 1). */
  refFor<Msg>(node: number, name: string): ActorRef<Msg> {
    return new ActorRef<Msg>(node, name, this)
  }

  tell(target: ActorRef<never>, message: unknown, options: SendOptions = {}): void {
    this.#assertRunning()
    this.#send([TELL, target.name, this.#senderName(options), message], target.node)
  }

  ask<Reply>(
    target: ActorRef<never>,
    message: unknown,
    options: AskOptions<Reply>,
  ): Promise<Reply> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError())
    const down = this.#downNodes.get(target.node)
    if (down !== undefined) {
      return Promise.reject(ActorTerminatedError.notRunning(target.toString(), down))
    }
    const timeoutMs = options.timeoutMs ?? this.#defaultAskTimeoutMs
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
        parseReply: options.parseReply,
      })
      this.#send([ASK, target.name, this.#senderName(options), message, askId], target.node)
    })
  }

  /** The name the caller gave, else the actor whose turn this is, else `$outside`. */
  #senderName(options: SendOptions): string {
    return options.from ?? this.#current?.name ?? OUTSIDE
  }

  /** Replaces the link faults on this thread (the main thread spreads them to every thread). */
  applyFaultRules(rules: readonly LinkFaultRule[]): void {
    this.faults.setRules(rules)
  }

  /** Replaces the request rules and log setting on this thread. */
  applyRequestSetup(setup: RequestSetup): void {
    this.requests.apply(setup)
    this.#requestsOn = this.requests.active
  }

  /** @internal Connects the link to another thread (again, after it restarted). */
  attachNode(node: number, port: FramePort): void {
    this.#downNodes.delete(node)
    const traffic = this.traffic
    this.#linkTo(node).attach({
      postMessage(value, transfer) {
        traffic.sent(node)
        port.postMessage(value, transfer)
      },
    })
  }

  /** @internal The thread `node` died: nothing waits on it any longer. */
  nodeDown(node: number, reason: string): void {
    this.#downNodes.set(node, reason)
    this.traffic.forget(node)
    const link = this.#links.get(node)
    if (link !== undefined) {
      for (const envelope of link.detach()) this.#undeliverable(envelope, node, reason)
    }
    for (const [askId, ask] of this.#asks) {
      if (ask.node !== node) continue
      this.#asks.delete(askId)
      this.clock.cancel(ask.timer)
      ask.reject(ActorTerminatedError.notRunning(ask.target, reason))
    }
  }

  /**
   * @internal A message arrived from thread `origin`: when it is a data frame, its envelopes
   * are delivered and the answer is true; anything else is left to the caller.
   */
  receiveFrame(origin: number, posted: unknown): boolean {
    const frame = fromPostedFrame(posted)
    if (frame === undefined) return false
    this.traffic.received(origin)
    if (!this.#stopped) this.#receiveEnvelopes(origin, frame)
    return true
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

  /** Stops every local actor, rejects every pending ask and cancels every timer. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.#threads?.stop()
    for (const actor of this.#actors.values()) this.#remove(actor, 'the system stopped')
    for (const ask of this.#asks.values()) ask.reject(new SystemStoppedError())
    this.#asks.clear()
    for (const link of this.#links.values()) link.detach()
    if (this.#drainImmediate !== undefined) clearImmediate(this.#drainImmediate)
    this.clock.cancelAll()
    this.#events.removeAllListeners()
  }

  #assertRunning(): void {
    if (this.#stopped) throw new SystemStoppedError()
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

  #send(envelope: Envelope, node: number): void {
    if (!this.faults.active) {
      this.#dispatch(envelope, node)
      return
    }
    const decision = this.faults.decide(envelope[2], envelope[1])
    const deliver = () => {
      for (let copy = 0; copy < decision.copies; copy++) this.#dispatch(envelope, node)
    }
    if (decision.delayMs > 0) this.clock.schedule(decision.delayMs, deliver)
    else deliver()
  }

  #dispatch(envelope: Envelope, node: number): void {
    if (this.#stopped) return
    if (node === this.node) {
      this.#receive(envelope, node, false)
      return
    }
    const down = this.#downNodes.get(node)
    if (down !== undefined) this.#undeliverable(envelope, node, down)
    else this.#linkTo(node).send(envelope)
  }

  #receive(envelope: Envelope, origin: number, remote: boolean): void {
    if (envelope[0] === REPLY) {
      this.#settleAsk(envelope[3], envelope[4] === 1, envelope[5])
      return
    }
    const [kind, to, from, body] = envelope
    const actor = this.#actors.get(to)
    if (actor === undefined) {
      this.#emitUndelivered(to, from, 'no such actor')
      if (kind === ASK) {
        this.#replyError(
          origin,
          envelope,
          ActorTerminatedError.notRunning(`${to}@${this.node}`, 'no such actor'),
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
    this.#markReady(actor)
  }

  #settleAsk(askId: number, ok: boolean, value: unknown): void {
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

  #replyError(node: number, ask: AskEnvelope, error: unknown): void {
    this.#send([REPLY, ask[2], ask[1], ask[4], 0, toWireError(error)], node)
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
      this.#send(
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
    this.#settleAsk(envelope[4], false, toWireError(error))
  }

  #emitUndelivered(to: string, from: string, reason: string): void {
    this.#events.emit('undelivered', { to, from, reason })
  }

  #markReady(actor: LocalActor): void {
    if (actor.scheduled) return
    actor.scheduled = true
    this.#ready.push(actor)
    if (!this.#drainScheduled) {
      this.#drainScheduled = true
      queueMicrotask(() => this.#drain())
    }
  }

  /** Runs ready actors, one message at a time each, yielding to I/O after a budget. */
  #drain(): void {
    this.#drainScheduled = false
    this.#drainImmediate = undefined
    let budget = DRAIN_BUDGET
    while (this.#ready.length > 0 && budget > 0 && !this.#stopped) {
      const actor = this.#ready.shift() as LocalActor
      actor.scheduled = false
      let entry = actor.alive ? actor.mailbox.shift() : undefined
      while (entry !== undefined && budget > 0) {
        this.#handle(actor, entry)
        budget--
        entry = actor.alive ? actor.mailbox.shift() : undefined
      }
      if (actor.alive && !actor.mailbox.empty) this.#markReady(actor)
    }
    if (this.#ready.length > 0 && !this.#stopped && !this.#drainScheduled) {
      this.#drainScheduled = true
      this.#drainImmediate = setImmediate(() => this.#drain())
    }
  }

  #handle(actor: LocalActor, entry: MailboxEntry): void {
    if (entry.kind === 'signal') {
      const onChild = actor.definition.onChildTerminated
      if (onChild !== undefined) {
        this.#runHandler(actor, () => onChild(actor.state, entry.signal, actor.context))
      }
      return
    }
    const address: ReplyAddress | undefined =
      entry.askId === 0 ? undefined : { node: entry.origin, askId: entry.askId, asker: entry.from }
    if (this.#requestsOn && this.#ruledOut(actor, entry, address)) return
    actor.pendingReply = address
    actor.currentSender = entry.from.startsWith('$')
      ? undefined
      : new ActorRef<never>(entry.origin, entry.from, this)
    this.#runHandler(actor, () => actor.definition.receive(actor.state, entry.body, actor.context))
    actor.pendingReply = undefined
    actor.currentSender = undefined
  }

  /**
   * The dispatch point's request rules and log: whether a rule keeps the request from being
   * handled now (it answered it with an error, dropped it, or parked it for a while).
   */
  #ruledOut(
    actor: LocalActor,
    entry: Extract<MailboxEntry, { kind: 'message' }>,
    address: ReplyAddress | undefined,
  ): boolean {
    const describe = actor.definition.describeRequest
    if (describe === undefined) return false
    const requests = this.requests
    if (requests.wasAdmitted(entry)) {
      const record = requests.rekey(entry, address)
      if (record !== undefined && address === undefined) requests.finish(record, null)
      return false
    }
    const request = describe(actor.state, entry.body)
    if (request === undefined) return false
    const { verdict, record } = requests.arrive(request, entry.from)
    const awaitAnswer = () => {
      if (record === undefined) return
      if (address === undefined) requests.finish(record, null)
      else requests.keep(address, record)
    }
    if (verdict === undefined) {
      awaitAnswer()
      return false
    }
    const { action } = verdict
    if (action.kind === 'error') {
      awaitAnswer()
      if (address !== undefined) {
        this.#sendReply(actor, address, false, toWireError(injectedError(action.error)))
      }
    } else if (action.kind !== 'drop') {
      if (record !== undefined) requests.keep(entry, record)
      this.#park(actor, entry, verdict, record?.time ?? this.clock.now())
    }
    return true
  }

  /** A delayed or held request goes back to its actor once its time comes or it is let go. */
  #park(
    actor: LocalActor,
    entry: Extract<MailboxEntry, { kind: 'message' }>,
    verdict: RuleVerdict,
    since: number,
  ): void {
    void waitOut(verdict, this.clock, since).then(() => {
      if (this.#stopped) return
      if (!actor.alive) {
        if (entry.askId === 0) return
        const address = { node: entry.origin, askId: entry.askId, asker: entry.from }
        const reason = 'it stopped while a request rule held the request'
        this.#sendReply(
          actor,
          address,
          false,
          toWireError(ActorTerminatedError.notRunning(actor.ref.toString(), reason)),
        )
        return
      }
      this.requests.readmit(entry)
      actor.mailbox.push(entry)
      this.#markReady(actor)
    })
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
      this.#sendReply(actor, replyAddress, false, toWireError(error))
    }
    if (actor.policy === 'escalate') {
      this.#remove(actor, reason)
      this.#events.emit('terminated', {
        type: 'child-terminated',
        child: actor.ref,
        reason,
        restarting: false,
      })
      return
    }
    const decision = decideRestart(actor.policy, actor.history, this.clock.now())
    actor.history = decision.history
    if (decision.restart) {
      try {
        actor.state = this.#inActor(actor, () => actor.definition.init(actor.args, actor.context))
        this.#notifyTerminated(actor, reason, true)
        this.#events.emit('restarted', { child: actor.ref })
        return
      } catch (initError) {
        this.#remove(actor, `${reason}; restart failed: ${String(initError)}`)
        this.#notifyTerminated(actor, `${reason}; restart failed`, false)
        return
      }
    }
    this.#remove(actor, `${reason} (${decision.reason})`)
    this.#notifyTerminated(actor, `${reason} (${decision.reason})`, false)
  }

  #notifyTerminated(actor: LocalActor, reason: string, restarting: boolean): void {
    const signal: ChildTerminated = {
      type: 'child-terminated',
      child: actor.ref,
      reason,
      restarting,
    }
    this.#events.emit('terminated', signal)
    const parent = actor.parent
    if (parent?.alive) {
      parent.mailbox.push({ kind: 'signal', signal })
      this.#markReady(parent)
    }
  }

  #remove(actor: LocalActor, reason: string): void {
    if (!actor.alive) return
    actor.alive = false
    this.#actors.delete(actor.name)
    try {
      actor.definition.stopped?.(actor.state)
    } catch {
      // A failing cleanup must not keep a dead actor half-removed.
    }
    for (let entry = actor.mailbox.shift(); entry !== undefined; entry = actor.mailbox.shift()) {
      if (entry.kind === 'message' && entry.askId !== 0) {
        this.#sendReply(
          actor,
          { node: entry.origin, askId: entry.askId, asker: entry.from },
          false,
          toWireError(ActorTerminatedError.notRunning(actor.ref.toString(), reason)),
        )
      }
    }
  }

  #sendReply(actor: LocalActor, address: ReplyAddress, ok: boolean, value: unknown): void {
    if (this.#stopped) return
    if (this.#requestsOn) this.requests.replied(address, ok, value)
    this.#send([REPLY, address.asker, actor.name, address.askId, ok ? 1 : 0, value], address.node)
  }

  #contextFor(actor: LocalActor): ActorContext<unknown> {
    const system = this
    const takeReply = (): ReplyAddress | undefined => {
      const address = actor.pendingReply
      actor.pendingReply = undefined
      return address
    }
    return {
      self: actor.ref as ActorRef<unknown>,
      clock: this.clock,
      get sender() {
        return actor.currentSender
      },
      reply(value) {
        const address = takeReply()
        if (address !== undefined) system.#sendReply(actor, address, true, value)
      },
      replyError(error) {
        const address = takeReply()
        if (address !== undefined) system.#sendReply(actor, address, false, toWireError(error))
      },
      deferReply(): Replier {
        const address = takeReply()
        let settled = address === undefined
        return {
          resolve(value) {
            if (settled || address === undefined) return
            settled = true
            system.#sendReply(actor, address, true, value)
          },
          reject(error) {
            if (settled || address === undefined) return
            settled = true
            system.#sendReply(actor, address, false, toWireError(error))
          },
        }
      },
      scheduleSelf(delayMs, message) {
        return system.clock.schedule(delayMs, () => {
          if (actor.alive)
            system.#receive([TELL, actor.name, actor.name, message], system.node, false)
        })
      },
      cancelTimer(timer) {
        system.clock.cancel(timer)
      },
      pipeToSelf(work, toMessage) {
        const deliver = (message: unknown) => {
          if (actor.alive && !system.#stopped) {
            system.#receive([TELL, actor.name, actor.name, message], system.node, false)
          }
        }
        work.then(
          (value) => deliver(toMessage({ ok: true, value })),
          (error: unknown) => deliver(toMessage({ ok: false, error })),
        )
      },
      isCutFrom(other) {
        return system.faults.isCut(actor.name, other.name)
      },
      spawn(definition, options) {
        return system.spawnLocal(definition, options, actor, options.supervision)
      },
      stopSelf() {
        system.#remove(actor, 'stopped itself')
      },
    }
  }
}
