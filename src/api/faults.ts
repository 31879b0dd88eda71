import { EventEmitter } from 'node:events'
import type { BrokerMessage } from '../actors/broker/broker-protocol.js'
import type { ElectionEvent, SupervisorMessage } from '../actors/supervisor/supervisor.js'
import type { ActorRef } from '../runtime/actor/actor-ref.js'
import type { ActorSystem } from '../runtime/actor/actor-system.js'
import { describeValue } from '../runtime/errors/describe-value.js'
import type { LinkFaultRule } from '../runtime/transport/link-faults.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import type { ListenerFaults } from './serve/listener-gate.js'

/** Every fault and every broker death, as `cluster.on(name, listener)` delivers them. */
export interface ClusterEvent {
  readonly type: string
  readonly timestamp: number
  readonly brokerId?: number
  readonly detail?: unknown
}

export const CLUSTER_EVENTS = {
  BROKER_KILLED: 'broker.killed',
  BROKER_DOWN: 'broker.down',
  BROKER_RESTARTED: 'broker.restarted',
  BROKER_PAUSED: 'broker.paused',
  BROKER_RESUMED: 'broker.resumed',
  LINK_FAULTS: 'faults.links',
  HEALED: 'faults.healed',
  LEADER_ELECTED: 'leader.elected',
  PARTITION_OFFLINE: 'partition.offline',
} as const

export type StorageOnKill = 'keep' | 'lose'

/**
 * A link fault between brokers (by id), or between any actors or clients by name (a producer's
 * `linkName`, say), as rules take them.
 */
export interface LinkFault {
  readonly from: number | string
  readonly to: number | string
  readonly drop?: number
  readonly duplicate?: number
  readonly delayMs?: number | readonly [number, number]
  readonly bothWays?: boolean
}

const brokerName = (id: number | string) => (typeof id === 'number' ? `broker-${id}` : id)

/**
 * `cluster.faults`: kill, restart, pause, isolate and slow brokers, and drop, delay or
 * duplicate messages on links, every random choice from the cluster's one seed. Clients read
 * committed records from shared memory, so message faults touch requests (produce, metadata,
 * and later replication), not those reads.
 */
export class ClusterFaults {
  readonly #events = new EventEmitter()
  readonly #storageOnRestart = new Map<number, StorageOnKill>()
  #rules: LinkFaultRule[] = []
  readonly #down = new Set<number>()
  readonly #paused = new Set<number>()
  readonly #listenerWatchers = new Set<(brokerId: number, faults: ListenerFaults) => void>()

  constructor(
    private readonly system: ActorSystem,
    private readonly brokers: readonly ActorRef<BrokerMessage>[],
    private readonly supervisor: ActorRef<SupervisorMessage>,
  ) {
    system.on('terminated', (signal) => {
      const brokerId = brokers.findIndex((ref) => ref.equals(signal.child))
      if (brokerId < 0) return
      this.#down.add(brokerId)
      this.#paused.delete(brokerId)
      this.#listenersChanged()
      this.#emit(CLUSTER_EVENTS.BROKER_DOWN, brokerId, signal.reason)
    })
  }

  /**
   * @internal Calls `watcher` with each broker's listener faults now and whenever they change:
   * how `cluster.listen`'s listeners follow kills, pauses, isolation and slowness.
   */
  watchListeners(watcher: (brokerId: number, faults: ListenerFaults) => void): () => void {
    this.#listenerWatchers.add(watcher)
    this.#tellListeners(watcher)
    return () => {
      this.#listenerWatchers.delete(watcher)
    }
  }

  #listenerFaults(id: number): ListenerFaults {
    const name = brokerName(id)
    const isolated = this.#rules.some(
      (rule) => rule.cut === true && rule.from === name && rule.to === '*',
    )
    let delayMs = 0
    for (const rule of this.#rules) {
      if (rule.from === '*' && rule.to === name && typeof rule.delayMs === 'number') {
        delayMs += rule.delayMs
      }
    }
    return { down: this.#down.has(id), held: isolated || this.#paused.has(id), delayMs }
  }

  #listenersChanged(): void {
    for (const watcher of this.#listenerWatchers) this.#tellListeners(watcher)
  }

  #tellListeners(watcher: (brokerId: number, faults: ListenerFaults) => void): void {
    for (const id of this.brokers.keys()) watcher(id, this.#listenerFaults(id))
  }

  on(eventName: string, listener: (event: ClusterEvent) => void): () => void {
    if (!Object.values(CLUSTER_EVENTS).includes(eventName as never)) {
      throw new KafkaJSNonRetriableError(
        `Event name should be one of ${Object.values(CLUSTER_EVENTS).join(', ')}, got ${describeValue(eventName)}`,
      )
    }
    if (typeof listener !== 'function') {
      throw new KafkaJSNonRetriableError('An event listener must be a function')
    }
    this.#events.on(eventName, listener)
    return () => this.#events.off(eventName, listener)
  }

  /** @internal The supervisor's elections, as events. */
  reportElection(event: ElectionEvent): void {
    this.#emit(event.type, event.leader < 0 ? undefined : event.leader, {
      topic: event.topic,
      partition: event.partition,
      leaderEpoch: event.leaderEpoch,
    })
  }

  /** Kills a broker's thread as a crash would; `storage` says what a restart finds. */
  async killBroker(id: number, options: { readonly storage?: StorageOnKill } = {}): Promise<void> {
    const ref = this.#broker(id)
    const storage = options.storage ?? 'keep'
    if (storage !== 'keep' && storage !== 'lose') {
      throw new KafkaJSNonRetriableError(
        `storage must be 'keep' or 'lose', got ${describeValue(storage)}`,
      )
    }
    const down = new Promise<void>((resolve) => {
      const off = this.on(CLUSTER_EVENTS.BROKER_DOWN, (event) => {
        if (event.brokerId !== id) return
        off()
        resolve()
      })
    })
    this.#storageOnRestart.set(id, storage)
    this.#down.add(id)
    this.#listenersChanged()
    this.#emit(CLUSTER_EVENTS.BROKER_KILLED, id, { storage })
    this.system.crashThread(ref, `killed (storage ${storage === 'keep' ? 'kept' : 'lost'})`)
    await down
  }

  /** Starts a killed (or dead) broker again and gives it back its partitions. */
  async restartBroker(id: number): Promise<void> {
    const ref = this.#broker(id)
    const storage = this.#storageOnRestart.get(id) ?? 'keep'
    try {
      await this.system.restartThread(ref)
      // The fault injector's own name: link faults it set on `$outside` are not for it.
      await this.supervisor.ask(
        { type: 'restore-broker', brokerId: id, storage },
        { from: '$faults' },
      )
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.#storageOnRestart.delete(id)
    this.#down.delete(id)
    this.#listenersChanged()
    this.#emit(CLUSTER_EVENTS.BROKER_RESTARTED, id, { storage })
  }

  /**
   * Stalls a broker: it handles nothing and stops heartbeating until `resumeBroker`. Resolves
   * once it has stopped: the pause reaches it as a message, after what was already on its way.
   */
  pauseBroker(id: number): Promise<void> {
    const paused = this.system.pauseThread(this.#broker(id))
    this.#paused.add(id)
    this.#listenersChanged()
    this.#emit(CLUSTER_EVENTS.BROKER_PAUSED, id)
    return paused
  }

  resumeBroker(id: number): void {
    this.system.resumeThread(this.#broker(id))
    this.#paused.delete(id)
    this.#listenersChanged()
    this.#emit(CLUSTER_EVENTS.BROKER_RESUMED, id)
  }

  /** Cuts every link to and from a broker (a network partition around it). */
  isolateBroker(id: number): Promise<void> {
    this.#broker(id)
    return this.#add({ from: brokerName(id), to: '*', cut: true, bothWays: true })
  }

  /** Cuts the link between two brokers, both ways. */
  cutLink(a: number, b: number): Promise<void> {
    this.#broker(a)
    this.#broker(b)
    return this.#add({ from: brokerName(a), to: brokerName(b), cut: true, bothWays: true })
  }

  /** Adds `ms` of latency to every request a broker receives. */
  slowBroker(id: number, ms: number): Promise<void> {
    this.#broker(id)
    return this.#add({ from: '*', to: brokerName(id), delayMs: ms })
  }

  /** Drops, duplicates or delays messages on a link, each with its probability. */
  setLinkFault(fault: LinkFault): Promise<void> {
    return this.#add({ ...fault, from: brokerName(fault.from), to: brokerName(fault.to) })
  }

  /** Removes every link fault (kills and pauses stay until restart and resume). */
  async heal(): Promise<void> {
    this.#rules = []
    await this.system.setFaultRules([])
    this.#listenersChanged()
    this.#emit(CLUSTER_EVENTS.HEALED)
  }

  async #add(rule: LinkFaultRule): Promise<void> {
    const rules = [...this.#rules, rule]
    try {
      await this.system.setFaultRules(rules)
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.#rules = rules
    this.#listenersChanged()
    this.#emit(CLUSTER_EVENTS.LINK_FAULTS, undefined, rule)
  }

  #broker(id: number): ActorRef<BrokerMessage> {
    const ref = Number.isInteger(id) ? this.brokers[id] : undefined
    if (ref === undefined) {
      throw new KafkaJSNonRetriableError(
        `no broker ${describeValue(id)}: brokers are 0 to ${this.brokers.length - 1}`,
      )
    }
    return ref
  }

  #emit(type: string, brokerId?: number, detail?: unknown): void {
    const event: ClusterEvent = { type, timestamp: this.system.clock.now(), brokerId, detail }
    this.#events.emit(type, event)
  }
}
