import type { BrokerArgs } from '../actors/broker/broker.js'
import type { BrokerMessage } from '../actors/broker/broker-protocol.js'
import { MetadataCache } from '../actors/client/metadata-cache.js'
import {
  type ElectionEvent,
  type SupervisorMessage,
  supervisor,
} from '../actors/supervisor/supervisor.js'
import type { SupervisorRequest } from '../actors/supervisor/supervisor-protocol.js'
import type { TopicConfig } from '../actors/topic-config.js'
import { RECORD_PATH_STRUCTURES } from '../actors/wire-structures.js'
import type { ActorRef } from '../runtime/actor/actor-ref.js'
import { ActorSystem } from '../runtime/actor/actor-system.js'
import type { Clock } from '../runtime/clock/clock.js'
import { describeValue } from '../runtime/errors/describe-value.js'
import { isLogCapacity, LOG_CAPACITY_RULE } from '../runtime/log/log-layout.js'
import type { RequestDispatch } from '../runtime/requests/request-dispatch.js'
import { siblingEntry } from '../runtime/thread/spawn-thread.js'
import { Admin } from './admin.js'
import { type ClusterClock, clusterClock, mainThreadClock } from './cluster-clock.js'
import { Consumer, type ConsumerConfig } from './consumer.js'
import { KafkaJSNonRetriableError } from './errors.js'
import { type ClusterEvent, ClusterFaults } from './faults.js'
import { defaultMaxMemoryBytes } from './memory-default.js'
import { Producer, type ProducerConfig } from './producer.js'
import { validateProducerConfig } from './producer-config.js'
import { ClusterRequests } from './request-log.js'
import { ClusterRules } from './request-rules.js'
import { type ListenOptions, WireServer } from './serve/wire-server.js'

export interface ClusterOptions {
  /** Brokers, each on its own worker thread. Default 3. */
  readonly brokers?: number
  /** The one seed behind every random choice (fault decisions), so a run replays. */
  readonly seed?: number
  /**
   * `'virtual'`: one time for every thread and client of the cluster, moved only by
   * `cluster.clock.advance(ms)`. A `Clock` object drives the main thread's timers only (the
   * supervisor, clients made here, broker liveness). Default: the system's time.
   */
  readonly clock?: Clock | 'virtual'
  /** Bytes of each partition replica's ring (a power of two). Default 8 MiB. */
  readonly logCapacityBytes?: number
  /**
   * The most memory partition logs may take, every replica's ring and offset index counted:
   * creating topics or partitions beyond it is refused with POLICY_VIOLATION. Default half the
   * memory the process may use (the machine's, or its container limit).
   */
  readonly maxMemoryBytes?: number
  /** Kafka's `max.message.bytes` default for topics. Default 1 MiB + 12 bytes, as Kafka. */
  readonly maxMessageBytes?: number
  /** Kafka's `retention.ms` default for topics. Default: keep until the ring is full. */
  readonly retentionMs?: number
  /** Kafka's `min.insync.replicas` default for topics. Default 1. */
  readonly minInsyncReplicas?: number
  /** Kafka's `replica.lag.time.max.ms`: a follower behind this long leaves the ISR. Default 30 s. */
  readonly replicaLagTimeMaxMs?: number
  /** Kafka's `unclean.leader.election.enable`: with no in-sync replica left, elect any. */
  readonly uncleanLeaderElection?: boolean
  /** How often brokers say they are alive, and how long silence means death. */
  readonly heartbeatIntervalMs?: number
  readonly sessionTimeoutMs?: number
  /** Keep a log of every request (`cluster.requests`). Default off. */
  readonly recordRequests?: boolean
}

/** Each replica ring's bytes when neither the cluster nor the topic sets it. */
export const DEFAULT_LOG_CAPACITY_BYTES = 8 * 1024 * 1024
const KAFKA_MAX_MESSAGE_BYTES = 1_048_588

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new KafkaJSNonRetriableError(
      `${name} must be a positive integer, got ${describeValue(value)}`,
    )
  }
  return value
}

/** Something that must be shut when the cluster stops. */
interface Client {
  disconnect(): Promise<void>
}

/** Each client's cluster clock: samsa/testing's waits are handed a client, not its cluster. */
const clientClocks = new WeakMap<Client, ClusterClock>()

/** The clock of the cluster that made `client` (undefined for a client made elsewhere). */
export function clusterClockOf(client: Client): ClusterClock | undefined {
  return clientClocks.get(client)
}

/**
 * A Kafka cluster inside this process: brokers on worker threads, the supervisor on this one.
 * Hands out KafkaJS-shaped producers, consumers and admin clients.
 */
export class Cluster {
  readonly #clients = new Set<Client>()
  /** What every client of this cluster knows of its metadata, held once for all of them. */
  readonly #metadata: MetadataCache
  #producersMade = 0
  #consumersMade = 0
  #adminsMade = 0
  #stopping: Promise<void> | undefined
  #wire: Promise<WireServer> | undefined
  /** Fault injection: kill, restart, pause, isolate and slow brokers; link faults. */
  readonly faults: ClusterFaults
  /** Request rules: answer requests with an error, delay, drop or hold them. */
  readonly rules: ClusterRules
  /** The request log, when the cluster was started with `recordRequests`. */
  readonly requests: ClusterRequests
  /** The cluster's time; under `clock: 'virtual'`, `advance(ms)` moves it. */
  readonly clock: ClusterClock

  private constructor(
    readonly system: ActorSystem,
    /** The controller: metadata, topics. Clients on any thread reach the cluster through it. */
    readonly supervisor: ActorRef<SupervisorRequest>,
    readonly brokerRefs: readonly ActorRef<BrokerMessage>[],
    recordRequests: boolean,
    mainClock: Clock | undefined,
  ) {
    this.clock = clusterClock(system, mainClock)
    this.#metadata = new MetadataCache(supervisor, system.clock)
    this.rules = new ClusterRules(system, recordRequests)
    this.requests = new ClusterRequests(system, recordRequests)
    this.faults = new ClusterFaults(
      system,
      brokerRefs,
      supervisor as unknown as ActorRef<SupervisorMessage>,
    )
  }

  /** Every fault and broker death, with its timestamp (see `CLUSTER_EVENTS`). */
  on(eventName: string, listener: (event: ClusterEvent) => void): () => void {
    return this.faults.on(eventName, listener)
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    if (typeof options !== 'object' || options === null) {
      throw new KafkaJSNonRetriableError(
        `Cluster.start takes an options object, got ${describeValue(options)}`,
      )
    }
    const brokerCount = positiveInteger(options.brokers, 'brokers', 3)
    const logCapacityBytes = options.logCapacityBytes ?? DEFAULT_LOG_CAPACITY_BYTES
    if (!isLogCapacity(logCapacityBytes)) {
      throw new KafkaJSNonRetriableError(
        `logCapacityBytes must be ${LOG_CAPACITY_RULE}, got ${describeValue(logCapacityBytes)}`,
      )
    }
    const maxMemoryBytes = positiveInteger(
      options.maxMemoryBytes,
      'maxMemoryBytes',
      defaultMaxMemoryBytes(),
    )
    const topicDefaults: TopicConfig = {
      logCapacityBytes,
      maxMessageBytes: positiveInteger(
        options.maxMessageBytes,
        'maxMessageBytes',
        KAFKA_MAX_MESSAGE_BYTES,
      ),
      retentionMs:
        options.retentionMs === undefined
          ? undefined
          : positiveInteger(options.retentionMs, 'retentionMs', 1),
      minInsyncReplicas: positiveInteger(options.minInsyncReplicas, 'minInsyncReplicas', 1),
      replicaLagTimeMaxMs: positiveInteger(
        options.replicaLagTimeMaxMs,
        'replicaLagTimeMaxMs',
        30_000,
      ),
    }
    if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
      throw new KafkaJSNonRetriableError(
        `seed must be an integer, got ${describeValue(options.seed)}`,
      )
    }
    const mainClock = mainThreadClock(options.clock)
    const system = ActorSystem.start({
      seed: options.seed,
      clock: mainClock,
      heartbeatIntervalMs:
        options.heartbeatIntervalMs === undefined
          ? undefined
          : positiveInteger(options.heartbeatIntervalMs, 'heartbeatIntervalMs', 1),
      heartbeatTimeoutMs:
        options.sessionTimeoutMs === undefined
          ? undefined
          : positiveInteger(options.sessionTimeoutMs, 'sessionTimeoutMs', 1),
      structures: RECORD_PATH_STRUCTURES,
    })
    const recordRequests = options.recordRequests === true
    try {
      // Before any broker starts, so that each starts recording.
      if (recordRequests) await system.setRequestSetup({ rules: [], record: true })
      const module = siblingEntry(import.meta.url, '../actors/broker/broker')
      const brokers = await Promise.all(
        Array.from({ length: brokerCount }, (_, id) =>
          system.spawnOnThread<BrokerMessage, BrokerArgs>({
            module,
            exportName: 'broker',
            name: `broker-${id}`,
            args: { brokerId: id },
            // A dead broker stays down (its partitions fail over); `faults.restartBroker` and
            // experiments decide when it comes back.
            supervision: { strategy: 'stop' },
          }),
        ),
      )
      // Elections happen before the Cluster (and its event emitter) exists to hear of them.
      let reportElection: (event: ElectionEvent) => void = () => {}
      const controller = system.spawn(supervisor, {
        name: 'supervisor',
        args: {
          brokers: brokers.map((ref, id) => ({ id, ref })),
          topicDefaults,
          maxMemoryBytes,
          uncleanLeaderElection: options.uncleanLeaderElection === true,
          onElection: (event) => reportElection(event),
        },
      })
      system.on('terminated', (signal) => {
        const brokerId = brokers.findIndex((ref) => ref.equals(signal.child))
        if (brokerId >= 0) {
          const down: SupervisorMessage = { type: 'broker-down', brokerId, reason: signal.reason }
          // Under the cluster's own name: a fault on the application's links (`$outside`)
          // must not hide a broker's death from the controller.
          ;(controller as ActorRef<SupervisorMessage>).tell(down, { from: '$cluster' })
        }
      })
      const cluster = new Cluster(
        system,
        controller as ActorRef<SupervisorRequest>,
        brokers,
        recordRequests,
        mainClock,
      )
      reportElection = (event) => cluster.faults.reportElection(event)
      return cluster
    } catch (error) {
      await system.stop()
      throw error
    }
  }

  producer(config: ProducerConfig = {}): Producer {
    validateProducerConfig(config)
    // Numbered per cluster, so that a run's fault decisions on a producer's links (drawn per
    // link name) replay from its seed.
    const linkName = `$producer-${++this.#producersMade}`
    const connection = this.#running(linkName, config.requestTimeout)
    return this.#track(new Producer(connection, linkName, config))
  }

  consumer(config: ConsumerConfig): Consumer {
    const connection = this.#running(`$consumer-${++this.#consumersMade}`)
    return this.#track(new Consumer(connection, config))
  }

  admin(): Admin {
    return this.#track(new Admin(this.#running(`$admin-${++this.#adminsMade}`)))
  }

  /** `await using cluster = await Cluster.start()`: stopped when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop()
  }

  /**
   * Serves the Kafka wire protocol: one TCP listener per broker (broker N on `port + N`, or
   * free ports with port 0), advertised in Metadata, so any Kafka client can use the cluster.
   * Resolves with the bootstrap address (`host:port` of broker 0) once every listener is up.
   */
  async listen(options: ListenOptions = {}): Promise<string> {
    if (this.#wire !== undefined) throw new KafkaJSNonRetriableError('the cluster already listens')
    this.#wire = WireServer.start(this.#running('$wire'), this.brokerRefs, options, this.faults)
    try {
      return (await this.#wire).bootstrap
    } catch (error) {
      this.#wire = undefined
      throw error
    }
  }

  /** Closes the listeners, disconnects every client, then stops every broker thread and timer. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      // A held request would keep a client's last words (a LeaveGroup, say) from an answer.
      this.rules.releaseAll()
      const wire = this.#wire
      if (wire !== undefined) await wire.then((server) => server.close()).catch(() => {})
      await Promise.allSettled([...this.#clients].map((client) => client.disconnect()))
      this.#clients.clear()
      await this.system.stop()
    })()
    return this.#stopping
  }

  #running(linkName: string, requestTimeoutMs?: number): ClusterConnection {
    if (this.#stopping !== undefined) {
      throw new KafkaJSNonRetriableError('the cluster is stopped')
    }
    return {
      supervisor: this.supervisor,
      metadata: this.#metadata.askedBy({ from: linkName, requestTimeoutMs }),
      clock: this.system.clock,
      isStopped: () => this.#stopping !== undefined,
      linkName,
      requests: this.system.requests,
    }
  }

  #track<T extends Client>(client: T): T {
    this.#clients.add(client)
    clientClocks.set(client, this.clock)
    return client
  }
}

/** What a client needs of the cluster: the controller's address, its metadata, the clock. */
export interface ClusterConnection {
  readonly supervisor: ActorRef<SupervisorRequest>
  readonly metadata: MetadataCache
  readonly clock: Clock
  readonly isStopped: () => boolean
  /** Whom the client's requests are from on their links (rules and the log match it). */
  readonly linkName?: string
  /** This thread's request rules and log, for what clients serve themselves (Fetch). */
  readonly requests?: RequestDispatch
}
