import { EventEmitter } from 'node:events'
import { type Clock, SystemClock } from '../clock/clock.js'
import { ThreadTraffic } from '../clock/thread-traffic.js'
import { TrackedClock } from '../clock/tracked-clock.js'
import { VirtualClock } from '../clock/virtual-clock.js'
import { SystemStoppedError } from '../errors/actor-errors.js'
import { InvalidArgumentError } from '../errors/samsa-error.js'
import { RequestDispatch, type RequestSetup } from '../requests/request-dispatch.js'
import type { RequestRecord } from '../requests/request-log.js'
import type { GuestLinks } from '../thread/guest-links-data.js'
import type { ThreadSpawnSpec, ThreadSupervisorOptions } from '../thread/thread-child.js'
import type { ThreadHost } from '../thread/thread-host.js'
import { ThreadSupervisor } from '../thread/thread-supervisor.js'
import type { ThreadTimeReport } from '../transport/control-frames.js'
import { type LinkFaultRule, LinkFaults } from '../transport/link-faults.js'
import type { FramePort } from '../transport/peer-link.js'
import type { AgreedStructures } from '../transport/wire-codec.js'
import type { ActorDefinition, SpawnOptions } from './actor-definition.js'
import { ActorRef, type AskOptions, type MessageRouter, type SendOptions } from './actor-ref.js'
import { EnvelopeRouter } from './envelope-router.js'
import { LocalActors } from './local-actors.js'
import type { ActorSystemEvents, EmitSystemEvent } from './system-events.js'

export { OUTSIDE } from './envelope-router.js'
export type { ActorSystemEvents } from './system-events.js'

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

/**
 * One thread's actors, and its front door: actors are spawned and messages sent through it.
 * It puts together the actors hosted here (`LocalActors`), the routing of messages and the
 * asks that wait for replies (`EnvelopeRouter`), and on the main thread the supervision of
 * actors on dedicated worker threads (`ThreadSupervisor`).
 */
export class ActorSystem implements MessageRouter {
  readonly clock: TrackedClock
  readonly faults: LinkFaults
  /** Request rules and the request log on this thread. */
  readonly requests: RequestDispatch
  /** Frames to and from each other thread, so virtual time knows when none is in flight. */
  readonly traffic = new ThreadTraffic()
  readonly #events = new EventEmitter<ActorSystemEvents>()
  readonly #actors: LocalActors
  readonly #router: EnvelopeRouter
  #stopped = false
  #threads: ThreadSupervisor | undefined

  constructor(
    readonly node: number,
    options: ActorSystemOptions = {},
  ) {
    this.clock = new TrackedClock(options.clock ?? new SystemClock())
    this.faults = new LinkFaults(options.seed ?? 0)
    this.requests = new RequestDispatch(this.clock, options.publishRequests)
    // The overloads of EventEmitter's generic signature do not narrow through a type parameter.
    const emit: EmitSystemEvent = (name, ...args) =>
      (this.#events as EventEmitter).emit(name, ...args)
    const isStopped = () => this.#stopped
    this.#actors = new LocalActors({
      node,
      clock: this.clock,
      router: this,
      faults: this.faults,
      requests: this.requests,
      emit,
      send: (envelope, to) => this.#router.send(envelope, to),
      isStopped,
    })
    this.#router = new EnvelopeRouter({
      node,
      clock: this.clock,
      faults: this.faults,
      traffic: this.traffic,
      structures: options.structures ?? [],
      defaultAskTimeoutMs: options.defaultAskTimeoutMs ?? 5_000,
      router: this,
      local: this.#actors,
      emit,
      isStopped,
    })
  }

  /**
   * The system of the thread that embeds samsa (node 0): it can also run actors on dedicated
   * worker threads and supervises them.
   */
  static start(options: ActorSystemOptions = {}): ActorSystem {
    const system = new ActorSystem(0, options)
    const virtualClock = options.clock instanceof VirtualClock ? options.clock : undefined
    system.#threads = new ThreadSupervisor(system.#asThreadHost(), options, virtualClock)
    return system
  }

  /** Runs one actor alone on a new worker thread; resolves once it is up. */
  spawnOnThread<Msg, Args = undefined>(spec: ThreadSpawnSpec<Args>): Promise<ActorRef<Msg>> {
    if (this.#stopped) return Promise.reject(new SystemStoppedError())
    return this.#mainThreadOnly().spawn<Msg, Args>(spec)
  }

  /** Lets a thread this system did not start join for a while (see `joinAsGuest`). */
  connectGuest(): GuestLinks {
    if (this.#stopped) throw new SystemStoppedError()
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
    return this.#actors.busy
  }

  /** Starts again a thread that is down for good (stop policy, or budget spent). */
  restartThread<Msg>(ref: ActorRef<Msg>): Promise<void> {
    return this.#mainThreadOnly().restart(ref as unknown as ActorRef<never>)
  }

  get structures(): AgreedStructures {
    return this.#router.structures
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
    return this.#actors.spawn(definition, options, undefined, options.supervision)
  }

  /**
   * @internal Starts the actor a worker thread is for: its failure is the thread's, which the
   * main thread supervises, so it is not restarted here.
   */
  spawnThreadActor<Msg, State, Args>(
    definition: ActorDefinition<Msg, State, Args>,
    options: SpawnOptions<Args>,
  ): ActorRef<Msg> {
    return this.#actors.spawn(definition, options, undefined, 'escalate')
  }

  /** A ref to an actor by address, for actors whose name is known (e.g. `broker-1` on node 1). */
  refFor<Msg>(node: number, name: string): ActorRef<Msg> {
    return new ActorRef<Msg>(node, name, this)
  }

  tell(target: ActorRef<never>, message: unknown, options: SendOptions = {}): void {
    this.#router.tell(target, message, options)
  }

  ask<Reply>(
    target: ActorRef<never>,
    message: unknown,
    options: AskOptions<Reply>,
  ): Promise<Reply> {
    return this.#router.ask(target, message, options)
  }

  /** Replaces the link faults on this thread (the main thread spreads them to every thread). */
  applyFaultRules(rules: readonly LinkFaultRule[]): void {
    this.faults.setRules(rules)
  }

  /** Replaces the request rules and log setting on this thread. */
  applyRequestSetup(setup: RequestSetup): void {
    this.#actors.applyRequestSetup(setup)
  }

  /** @internal Connects the link to another thread (again, after it restarted). */
  attachNode(node: number, port: FramePort): void {
    this.#router.attachNode(node, port)
  }

  /** @internal The thread `node` died: nothing waits on it any longer. */
  nodeDown(node: number, reason: string): void {
    this.#router.nodeDown(node, reason)
  }

  /**
   * @internal A message arrived from thread `origin`: when it is a data frame, its envelopes
   * are delivered and the answer is true; anything else is left to the caller.
   */
  receiveFrame(origin: number, posted: unknown): boolean {
    return this.#router.receiveFrame(origin, posted)
  }

  /** Stops every local actor, rejects every pending ask and cancels every timer. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.#threads?.stop()
    this.#actors.removeAll()
    this.#router.close()
    this.clock.cancelAll()
    this.#events.removeAllListeners()
  }

  #mainThreadOnly(): ThreadSupervisor {
    if (this.#threads === undefined) {
      throw new InvalidArgumentError('only the main system (ActorSystem.start) manages threads')
    }
    return this.#threads
  }

  #asThreadHost(): ThreadHost {
    return {
      clock: this.clock,
      traffic: this.traffic,
      structures: this.structures,
      seed: this.faults.seed,
      attachNode: (node, port) => this.attachNode(node, port),
      nodeDown: (node, reason) => this.nodeDown(node, reason),
      receiveFrame: (origin, posted) => this.receiveFrame(origin, posted),
      applyFaultRules: (rules) => this.applyFaultRules(rules),
      applyRequestSetup: (setup) => this.applyRequestSetup(setup),
      acceptRequests: (records) => this.requests.recorder?.accept(records),
      refFor: (node, name) => this.refFor(node, name),
      threadTerminated: (signal) => this.#events.emit('terminated', signal),
      threadRestarted: (child) => this.#events.emit('restarted', { child }),
    }
  }
}
