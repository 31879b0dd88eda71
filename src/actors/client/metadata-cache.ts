import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import {
  type MetadataSnapshot,
  type PartitionMetadata,
  parseMetadataSnapshot,
  type SupervisorRequest,
  type TopicMetadata,
} from '../supervisor/supervisor-protocol.js'

export interface MetadataCacheOptions {
  /** Deadline of one metadata request. Default 30 s (Kafka's `request.timeout.ms`). */
  readonly requestTimeoutMs?: number
  /** Whom the requests are from on their links (a client's link name). */
  readonly from?: string
}

/** What every client's view of one connection's metadata shares. */
interface HeldMetadata {
  snapshot: MetadataSnapshot | undefined
  topicsByName: Map<string, TopicMetadata>
  changes: Int32Array | undefined
  /** The ask under way, and whose it is. */
  refreshing:
    | { readonly from: string | undefined; readonly answer: Promise<MetadataSnapshot> }
    | undefined
  refreshedAt: number
}

/** Topics asked for: those that exist, and the names that do not. */
export interface TopicsFound {
  readonly topics: readonly TopicMetadata[]
  readonly missing: readonly string[]
}

export function unknownTopic(topic: string): KafkaProtocolError {
  return new KafkaProtocolError(
    'UNKNOWN_TOPIC_OR_PARTITION',
    `this server does not host topic '${topic}'`,
  )
}

/**
 * The cluster's metadata as a connection's clients see it (KafkaJS's `cluster`): one copy shared
 * by every producer, consumer and admin client of a connection, asked of the controller once
 * however many ask together, and trusted while the version the controller publishes in shared
 * memory has not moved.
 */
export class MetadataCache {
  readonly #supervisor: ActorRef<SupervisorRequest>
  readonly #clock: Clock
  readonly #requestTimeoutMs: number
  readonly #from: string | undefined
  readonly #shared: HeldMetadata

  constructor(
    supervisor: ActorRef<SupervisorRequest>,
    clock: Clock,
    options: MetadataCacheOptions = {},
    shared?: HeldMetadata,
  ) {
    this.#supervisor = supervisor
    this.#clock = clock
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#from = options.from
    this.#shared = shared ?? {
      snapshot: undefined,
      topicsByName: new Map(),
      changes: undefined,
      refreshing: undefined,
      refreshedAt: Number.NEGATIVE_INFINITY,
    }
  }

  /**
   * The same metadata, asked for under a client's name (and deadline) when this view is the
   * one that asks: request rules and the request log see whose request it was.
   */
  askedBy(options: MetadataCacheOptions): MetadataCache {
    return new MetadataCache(
      this.#supervisor,
      this.#clock,
      { requestTimeoutMs: options.requestTimeoutMs ?? this.#requestTimeoutMs, from: options.from },
      this.#shared,
    )
  }

  /** When the metadata held was asked for, on the clock. */
  get refreshedAt(): number {
    return this.#shared.refreshedAt
  }

  /** The metadata held, unless the controller has published a newer version since. */
  current(): MetadataSnapshot | undefined {
    const held = this.#shared.snapshot
    if (held === undefined) return undefined
    return Atomics.load(this.#shared.changes as Int32Array, 0) === held.version ? held : undefined
  }

  /**
   * Asks the controller for all of it; concurrent callers share one request. Another client's
   * answer serves this one too, but its failure (a fault on that client's link, its shorter
   * deadline) is not this client's: then this one asks under its own name.
   */
  refresh(): Promise<MetadataSnapshot> {
    const shared = this.#shared
    const inFlight = shared.refreshing
    if (inFlight !== undefined && inFlight.from !== this.#from) {
      return inFlight.answer.catch(() => this.#ask())
    }
    if (inFlight !== undefined) return inFlight.answer
    const answer = this.#ask().finally(() => {
      if (shared.refreshing?.answer === answer) shared.refreshing = undefined
    })
    shared.refreshing = { from: this.#from, answer }
    return answer
  }

  #ask(): Promise<MetadataSnapshot> {
    return this.#supervisor
      .ask(
        { type: 'metadata' },
        {
          timeoutMs: this.#requestTimeoutMs,
          parseReply: parseMetadataSnapshot,
          from: this.#from,
        },
      )
      .then((snapshot) => this.#hold(snapshot))
  }

  /** The current metadata: what is held if still current, else asked for. */
  latest(): Promise<MetadataSnapshot> {
    const current = this.current()
    return current === undefined ? this.refresh() : Promise.resolve(current)
  }

  /** The topic's metadata when what is held is current; undefined otherwise. */
  topicNow(name: string): TopicMetadata | undefined {
    return this.current() === undefined ? undefined : this.#shared.topicsByName.get(name)
  }

  /** The topic's current metadata; UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
  async topic(name: string): Promise<TopicMetadata> {
    const cached = this.topicNow(name)
    if (cached !== undefined) return cached
    await this.refresh()
    const fresh = this.#shared.topicsByName.get(name)
    if (fresh === undefined) throw unknownTopic(name)
    return fresh
  }

  /** The named topics (all topics when absent), and which of the names do not exist. */
  async topics(names?: readonly string[]): Promise<TopicsFound> {
    const snapshot = await this.latest()
    if (names === undefined) return { topics: snapshot.topics, missing: [] }
    const topics: TopicMetadata[] = []
    const missing: string[] = []
    for (const name of new Set(names)) {
      const found = this.#shared.topicsByName.get(name)
      if (found === undefined) missing.push(name)
      else topics.push(found)
    }
    return { topics, missing }
  }

  /** The partition's live leader in `snapshot`, or Kafka's error for why there is none. */
  leaderIn(snapshot: MetadataSnapshot, topic: string, partition: number): ActorRef<BrokerMessage> {
    const found = this.#partitionIn(snapshot, topic, partition)
    const broker = snapshot.brokers.find((entry) => entry.nodeId === found.leader)
    if (broker === undefined || !broker.alive) {
      throw new KafkaProtocolError(
        'LEADER_NOT_AVAILABLE',
        `partition ${topic}-${partition} has no live leader`,
      )
    }
    return broker.ref
  }

  #partitionIn(snapshot: MetadataSnapshot, topic: string, partition: number): PartitionMetadata {
    const partitions =
      snapshot === this.#shared.snapshot
        ? this.#shared.topicsByName.get(topic)?.partitions
        : snapshot.topics.find((entry) => entry.topic === topic)?.partitions
    if (partitions === undefined) throw unknownTopic(topic)
    const indexed = partitions[partition]
    const found =
      indexed?.partition === partition
        ? indexed
        : partitions.find((entry) => entry.partition === partition)
    if (found === undefined) {
      throw new KafkaProtocolError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `topic '${topic}' has no partition ${partition}`,
      )
    }
    return found
  }

  #hold(snapshot: MetadataSnapshot): MetadataSnapshot {
    const shared = this.#shared
    // An older answer overtaken by a newer one is not held.
    if (shared.snapshot !== undefined && snapshot.version < shared.snapshot.version) return snapshot
    shared.snapshot = snapshot
    shared.refreshedAt = this.#clock.now()
    shared.topicsByName = new Map(snapshot.topics.map((topic) => [topic.topic, topic]))
    if (shared.changes?.buffer !== snapshot.changes)
      shared.changes = new Int32Array(snapshot.changes)
    return snapshot
  }
}
