import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads'
import type { ActorRef } from '../actor/actor-ref.js'
import { DEFAULT_SUPERVISION, decideRestart } from '../actor/supervision.js'
import type { VirtualClock } from '../clock/virtual-clock.js'
import { ActorTerminatedError } from '../errors/actor-errors.js'
import { InvalidArgumentError, type SamsaError } from '../errors/samsa-error.js'
import {
  NO_REQUEST_SETUP,
  parseRequestSetup,
  type RequestSetup,
} from '../requests/request-dispatch.js'
import type { RequestRecord } from '../requests/request-log.js'
import {
  type ParentToThread,
  PauseGate,
  parseThreadToParent,
  type ThreadTimeReport,
  type ThreadToParent,
} from '../transport/control-frames.js'
import { type LinkFaultRule, parseFaultRules } from '../transport/link-faults.js'
import type { ActorThreadData } from './actor-thread-data.js'
import type { GuestLinks } from './guest-links-data.js'
import { siblingEntry, spawnThread, threadFiles } from './spawn-thread.js'
import {
  type ThreadChild,
  ThreadSpawnError,
  type ThreadSpawnSpec,
  type ThreadSupervisorOptions,
} from './thread-child.js'
import type { ThreadHost } from './thread-host.js'
import { ThreadPolls } from './thread-polls.js'

const ACTOR_THREAD_ENTRY = siblingEntry(import.meta.url, 'actor-thread')
/** How often a pauser looks whether its thread died or was resumed before it stalled. */
const PAUSE_CHECK_MS = 5
/** The longest a collection of the request log waits for a thread that does not answer. */
const COLLECT_TIMEOUT_MS = 2_000

/**
 * The main thread's side of worker-hosted actors: it owns the `Worker` handles, so it is the
 * one that sees a thread exit or go silent. It wires every thread to every other (direct
 * message channels, one hop), restarts or buries dead threads by policy, and spreads link
 * fault rules to every thread.
 */
export class ThreadSupervisor {
  readonly #children = new Map<number, ThreadChild>()
  readonly #heartbeatIntervalMs: number
  readonly #heartbeatTimeoutMs: number
  readonly #applyWaiters = new Set<() => void>()
  /** Guests by node: this thread's end of the channel to each. */
  readonly #guests = new Map<number, MessagePort>()
  #nextNode = 1
  #faultRules: readonly LinkFaultRule[] = []
  #faultsVersion = 0
  #requestSetup: RequestSetup = NO_REQUEST_SETUP
  #requestsVersion = 0
  /** Threads asked for their unanswered requests (see collectRequests). */
  readonly #collections: ThreadPolls<RequestRecord>
  /** Threads asked how they stand under virtual time (see reportTime). */
  readonly #timeProbes: ThreadPolls<ThreadTimeReport>
  #monitoring = false
  #stopped = false

  constructor(
    private readonly host: ThreadHost,
    options: ThreadSupervisorOptions = {},
    /** The main thread's view of virtual time, when the system runs on it: threads share it. */
    private readonly virtualClock?: VirtualClock,
  ) {
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 200
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3_000
    this.#collections = new ThreadPolls(host.clock)
    this.#timeProbes = new ThreadPolls(host.clock)
  }

  spawn<Msg, Args>(spec: ThreadSpawnSpec<Args>): Promise<ActorRef<Msg>> {
    if (!(spec.module instanceof URL)) throw new InvalidArgumentError('module must be a file URL')
    if (typeof spec.exportName !== 'string' || typeof spec.name !== 'string') {
      throw new InvalidArgumentError('exportName and name must be strings')
    }
    const child: ThreadChild = {
      node: this.#nextNode++,
      spec,
      policy: spec.supervision ?? DEFAULT_SUPERVISION,
      worker: undefined,
      status: 'starting',
      lastHeartbeatAt: this.host.clock.now(),
      history: { restartTimes: [] },
      firstStart: undefined,
      appliedFaultsVersion: 0,
      appliedRequestsVersion: 0,
      pauseGate: undefined,
    }
    this.#children.set(child.node, child)
    const started = new Promise<void>((resolve, reject) => {
      child.firstStart = { resolve, reject }
    })
    this.#start(child)
    this.#monitorHeartbeats()
    return started.then(() => this.host.refFor<Msg>(child.node, spec.name))
  }

  /** Links for a guest thread (see guest-links.ts): a node number, a channel to every thread. */
  connectGuest(): GuestLinks {
    const node = this.#nextNode++
    const own = new MessageChannel()
    this.host.attachNode(node, own.port1)
    own.port1.on('message', (frame: unknown) => this.host.receiveFrame(node, frame))
    this.#guests.set(node, own.port1)
    const peers = [{ node: 0, port: own.port2 }]
    for (const child of this.#children.values()) {
      if (child.worker === undefined) continue
      const { port1, port2 } = new MessageChannel()
      this.#post(child.node, child.worker, { kind: 'peer', node, port: port1 }, [port1])
      peers.push({ node: child.node, port: port2 })
    }
    // Waits on the channel until the guest listens: it starts with the faults in force.
    own.port1.postMessage({ kind: 'faults', version: this.#faultsVersion, rules: this.#faultRules })
    return { node, peers, structures: this.host.structures }
  }

  /** The guest left: nothing waits on it any longer, here or on any thread. */
  disconnectGuest(node: number): void {
    const port = this.#guests.get(node)
    if (port === undefined) return
    this.#guests.delete(node)
    this.host.nodeDown(node, 'the guest thread left')
    this.#broadcastNodeDown(node, 'the guest thread left')
    port.close()
  }

  /** Ends a thread as a crash would (for fault experiments and tests); policy then applies. */
  crash(ref: ActorRef<never>, reason = 'crashed on request'): void {
    const child = this.#children.get(ref.node)
    if (child?.worker !== undefined) this.#died(child, child.worker, reason)
  }

  /**
   * Stalls the thread hosting `ref` (no messages handled, no heartbeats) until `resume`. A pause
   * longer than the heartbeat timeout is a death, as for any silent thread. Resolves once the
   * thread has stopped (the pause is a message it must first reach), or once waiting for that
   * is moot: it was resumed or died first, or it was not running.
   */
  async pause(ref: ActorRef<never>): Promise<void> {
    const child = this.#children.get(ref.node)
    const worker = child?.worker
    if (child === undefined || worker === undefined) return
    if (child.pauseGate === undefined) {
      const gate = new SharedArrayBuffer(PauseGate.bytes)
      child.pauseGate = new Int32Array(gate)
      this.#post(child.node, worker, { kind: 'pause', gate })
    }
    const gate = child.pauseGate
    const waiting = () =>
      Atomics.load(gate, PauseGate.stalled) === 0 &&
      child.pauseGate === gate &&
      child.worker === worker &&
      !this.#stopped
    while (waiting()) {
      // Looks again every few ms: a thread that dies or is resumed first never stores stalled.
      const stalled = Atomics.waitAsync(gate, PauseGate.stalled, 0, PAUSE_CHECK_MS)
      if (stalled.async) await stalled.value
    }
  }

  resume(ref: ActorRef<never>): void {
    const child = this.#children.get(ref.node)
    const gate = child?.pauseGate
    if (child === undefined || gate === undefined) return
    child.pauseGate = undefined
    Atomics.store(gate, PauseGate.go, 1)
    Atomics.notify(gate, PauseGate.go)
    // The silence was ordered: the clock of heartbeats starts again now.
    child.lastHeartbeatAt = this.host.clock.now()
  }

  /** Starts again a thread that is down and not being restarted; resolves once it is up. */
  restart(ref: ActorRef<never>): Promise<void> {
    const child = this.#children.get(ref.node)
    if (child === undefined) {
      return Promise.reject(new InvalidArgumentError(`no thread hosts ${ref.toString()}`))
    }
    if (child.status !== 'stopped' || this.#stopped) {
      return Promise.reject(
        new InvalidArgumentError(`${ref.toString()} is ${child.status}, not stopped`),
      )
    }
    const started = new Promise<void>((resolve, reject) => {
      child.firstStart = { resolve, reject }
    })
    this.#start(child)
    return started.then(() => this.host.threadRestarted(ref))
  }

  /** Replaces the link fault rules on every thread, resolving once each running thread has them. */
  async setFaultRules(rules: unknown): Promise<void> {
    this.#faultRules = parseFaultRules(rules)
    const version = ++this.#faultsVersion
    this.host.applyFaultRules(this.#faultRules)
    const frame: ParentToThread = { kind: 'faults', version, rules: this.#faultRules }
    for (const child of this.#children.values()) this.#post(child.node, child.worker, frame)
    // Guests are not waited for: a stalled guest (a fault experiment's client) must not hold
    // up the faults meant for everyone else. Each takes the rules on its next turn.
    for (const port of this.#guests.values()) port.postMessage(frame)
    await this.#appliedEverywhere((child) => child.appliedFaultsVersion >= version)
  }

  /** Replaces the request rules and log setting on every thread, as `setFaultRules` does. */
  async setRequestSetup(setup: unknown): Promise<void> {
    this.#requestSetup = parseRequestSetup(setup)
    const version = ++this.#requestsVersion
    this.host.applyRequestSetup(this.#requestSetup)
    const frame: ParentToThread = { kind: 'requests', version, setup: this.#requestSetup }
    for (const child of this.#children.values()) this.#post(child.node, child.worker, frame)
    await this.#appliedEverywhere((child) => child.appliedRequestsVersion >= version)
  }

  /**
   * Every running thread's unanswered requests, once the answered ones it had have arrived
   * (they come on their own, a turn after each answer). With `clear`, each forgets its log.
   * A paused thread cannot answer and is not asked.
   */
  async collectRequests(clear: boolean): Promise<RequestRecord[]> {
    const asked = [...this.#children.values()].filter(
      (child) =>
        child.status === 'running' && child.worker !== undefined && child.pauseGate === undefined,
    )
    if (asked.length === 0 || this.#stopped) return []
    return this.#collections.run(
      asked.map((child) => child.node),
      (id) => {
        for (const child of asked) {
          this.#post(child.node, child.worker, { kind: 'collect-requests', id, clear })
        }
      },
      COLLECT_TIMEOUT_MS,
    )
  }

  /**
   * Under virtual time: asks every thread that can answer (running or starting, not paused) to
   * run what has fallen due and report; resolves with the reports of those that did not die.
   */
  async reportTime(): Promise<ThreadTimeReport[]> {
    const asked = [...this.#children.values()].filter(
      (child) => child.worker !== undefined && child.pauseGate === undefined,
    )
    if (asked.length === 0 || this.#stopped) return []
    return this.#timeProbes.run(
      asked.map((child) => child.node),
      (id) => {
        for (const child of asked) child.worker?.postMessage({ kind: 'time-probe', id })
      },
    )
  }

  /** Posts a control frame to a thread, counted as traffic to it. */
  #post(
    node: number,
    worker: Worker | undefined,
    frame: ParentToThread,
    transfer?: readonly MessagePort[],
  ): void {
    if (worker === undefined) return
    this.host.traffic.sent(node)
    worker.postMessage(frame, transfer)
  }

  /** Resolves once every running or starting thread has what `applied` looks for. */
  #appliedEverywhere(applied: (child: ThreadChild) => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        const waiting = [...this.#children.values()].some(
          (child) => (child.status === 'running' || child.status === 'starting') && !applied(child),
        )
        if (waiting) return
        this.#applyWaiters.delete(check)
        resolve()
      }
      this.#applyWaiters.add(check)
      check()
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    const exits: Promise<number>[] = []
    for (const child of this.#children.values()) {
      child.status = 'stopped'
      child.firstStart?.reject(
        ActorTerminatedError.notRunning(child.spec.name, 'the system stopped'),
      )
      if (child.worker !== undefined) exits.push(child.worker.terminate())
      child.worker = undefined
    }
    for (const waiter of this.#applyWaiters) waiter()
    this.#collections.stop()
    this.#timeProbes.stop()
    for (const port of this.#guests.values()) port.close()
    this.#guests.clear()
    await Promise.all(exits)
  }

  #start(child: ThreadChild): void {
    const files = threadFiles(ACTOR_THREAD_ENTRY, child.spec.module)
    const data: ActorThreadData = {
      node: child.node,
      name: child.spec.name,
      module: files.module,
      exportName: child.spec.exportName,
      args: child.spec.args,
      seed: this.host.seed,
      structures: this.host.structures,
      heartbeatIntervalMs: this.#heartbeatIntervalMs,
      faultRules: this.#faultRules,
      faultsVersion: this.#faultsVersion,
      requestSetup: this.#requestSetup,
      requestsVersion: this.#requestsVersion,
      virtualTime: this.virtualClock?.shared,
    }
    const worker = spawnThread(files.entry, { workerData: data })
    child.worker = worker
    child.status = 'starting'
    child.pauseGate = undefined
    child.appliedFaultsVersion = this.#faultsVersion
    child.appliedRequestsVersion = this.#requestsVersion
    this.host.attachNode(child.node, worker)
    for (const other of this.#children.values()) {
      if (other === child || other.worker === undefined) continue
      const { port1, port2 } = new MessageChannel()
      this.#post(other.node, other.worker, { kind: 'peer', node: child.node, port: port1 }, [port1])
      this.#post(child.node, worker, { kind: 'peer', node: other.node, port: port2 }, [port2])
    }
    // A guest outlives restarts: the thread that comes back is linked to it as well.
    for (const [guest, toGuest] of this.#guests) {
      const { port1, port2 } = new MessageChannel()
      toGuest.postMessage({ kind: 'peer', node: child.node, port: port1 }, [port1])
      this.#post(child.node, worker, { kind: 'peer', node: guest, port: port2 }, [port2])
    }
    worker.on('message', (value: unknown) => {
      if (child.worker !== worker) return
      if (this.host.receiveFrame(child.node, value)) return
      const frame = parseThreadToParent(value)
      // Time reports are about the traffic, not part of it.
      if (frame !== undefined && frame.kind !== 'time-report')
        this.host.traffic.received(child.node)
      this.#control(child, worker, frame)
    })
    worker.on('error', (error) => this.#died(child, worker, `uncaught error: ${error.message}`))
    worker.on('exit', (code) => this.#died(child, worker, `thread exited with code ${code}`))
  }

  #control(child: ThreadChild, worker: Worker, frame: ThreadToParent | undefined): void {
    switch (frame?.kind) {
      case 'heartbeat':
        child.lastHeartbeatAt = this.host.clock.now()
        return
      case 'ready':
        child.status = 'running'
        child.lastHeartbeatAt = this.host.clock.now()
        if (child.firstStart !== undefined) {
          child.firstStart.resolve()
          child.firstStart = undefined
        } else {
          this.host.threadRestarted(this.host.refFor(child.node, child.spec.name))
        }
        return
      case 'spawn-failed':
        this.#bury(child, worker, new ThreadSpawnError(frame.message))
        return
      case 'actor-failed':
        this.#died(child, worker, `actor failed: ${frame.message}`)
        return
      case 'faults-applied':
        child.appliedFaultsVersion = Math.max(child.appliedFaultsVersion, frame.version)
        for (const waiter of [...this.#applyWaiters]) waiter()
        return
      case 'requests-applied':
        child.appliedRequestsVersion = Math.max(child.appliedRequestsVersion, frame.version)
        for (const waiter of [...this.#applyWaiters]) waiter()
        return
      case 'requests-recorded':
        this.host.acceptRequests(frame.records)
        return
      case 'requests-collected':
        this.#collections.answered(child.node, frame.id, frame.unanswered)
        return
      case 'time-report':
        this.#timeProbes.answered(child.node, frame.id, [frame.report])
        return
      case undefined:
        return
    }
  }

  /** A thread that cannot start is not restarted: the same module would fail the same way. */
  #bury(child: ThreadChild, worker: Worker, error: SamsaError): void {
    if (child.worker !== worker) return
    child.worker = undefined
    child.status = 'stopped'
    void worker.terminate()
    this.host.nodeDown(child.node, error.message)
    this.#broadcastNodeDown(child.node, error.message)
    if (child.firstStart !== undefined) {
      child.firstStart.reject(error)
      child.firstStart = undefined
    } else {
      this.#reportTerminated(child, error.message, false)
    }
    for (const waiter of [...this.#applyWaiters]) waiter()
    this.#collections.lost(child.node)
    this.#timeProbes.lost(child.node)
  }

  #died(child: ThreadChild, worker: Worker, reason: string): void {
    if (child.worker !== worker || this.#stopped) return
    if (child.firstStart !== undefined) {
      this.#bury(child, worker, new ThreadSpawnError(`${child.spec.name} died starting: ${reason}`))
      return
    }
    child.worker = undefined
    child.status = 'down'
    void worker.terminate()
    this.host.nodeDown(child.node, reason)
    this.#broadcastNodeDown(child.node, reason)
    const decision = decideRestart(child.policy, child.history, this.host.clock.now())
    child.history = decision.history
    const why = decision.restart ? reason : `${reason} (${decision.reason})`
    this.#reportTerminated(child, why, decision.restart)
    for (const waiter of [...this.#applyWaiters]) waiter()
    this.#collections.lost(child.node)
    this.#timeProbes.lost(child.node)
    if (decision.restart) this.#start(child)
    else child.status = 'stopped'
  }

  #reportTerminated(child: ThreadChild, reason: string, restarting: boolean): void {
    this.host.threadTerminated({
      type: 'child-terminated',
      child: this.host.refFor(child.node, child.spec.name),
      reason,
      restarting,
    })
  }

  #broadcastNodeDown(node: number, reason: string): void {
    const frame: ParentToThread = { kind: 'node-down', node, reason }
    for (const other of this.#children.values()) this.#post(other.node, other.worker, frame)
    for (const [guest, toGuest] of this.#guests) if (guest !== node) toGuest.postMessage(frame)
  }

  #monitorHeartbeats(): void {
    if (this.#monitoring) return
    this.#monitoring = true
    const check = () => {
      if (this.#stopped) return
      const now = this.host.clock.now()
      for (const child of this.#children.values()) {
        const silentFor = now - child.lastHeartbeatAt
        if (child.status === 'running' && child.worker && silentFor > this.#heartbeatTimeoutMs) {
          this.#died(child, child.worker, `missed heartbeats for ${silentFor} ms`)
        }
      }
      this.host.clock.schedule(this.#heartbeatIntervalMs, check)
    }
    this.host.clock.schedule(this.#heartbeatIntervalMs, check)
  }
}
