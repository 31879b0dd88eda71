import { unknownTopic } from '../actors/client/metadata-cache.js'
import type {
  MetadataSnapshot,
  SupervisorRequest,
  TopicMetadata,
  TopicResult,
} from '../actors/supervisor/supervisor-protocol.js'
import { OUTSIDE } from '../runtime/actor/actor-system.js'
import { fromWireError } from '../runtime/errors/wire-error.js'
import { PartitionLogReader } from '../runtime/log/partition-log-reader.js'
import { AdminGroups, type DeletedGroup, type TopicOffsets } from './admin-groups.js'
import type { ClusterConnection } from './cluster.js'
import type { GroupDescription } from './consumer.js'
import {
  createProtocolError,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  toKafkaJSError,
} from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent } from './instrumentation.js'
import { partitionCountsOf, type TopicConfigInput, topicSpecOf } from './topic-specs.js'
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  optionalObject,
  requireArray,
  requireObject,
  validateOffsetTimestamp,
  validateTopicName,
  validateTopicNames,
} from './validation.js'

export type { TopicConfigInput } from './topic-specs.js'

export interface PartitionOffsets {
  readonly partition: number
  readonly offset: string
  readonly high: string
  readonly low: string
}

const EVENTS = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
} as const

/** A KafkaJS-shaped admin client. It never creates topics by itself. */
export class Admin {
  readonly events = EVENTS
  /** samsa: whom this client's requests are from (`$admin-1`, … per cluster). */
  readonly linkName: string
  readonly #instrumentation: InstrumentationEmitter
  readonly #groups: AdminGroups
  #connected = false

  constructor(private readonly connection: ClusterConnection) {
    this.linkName = connection.linkName ?? OUTSIDE
    this.#instrumentation = new InstrumentationEmitter(EVENTS, () => connection.clock.now())
    this.#groups = new AdminGroups(
      connection,
      (topics) => this.#metadata(topics),
      (topic) => this.fetchTopicOffsets(topic),
    )
  }

  async connect(): Promise<void> {
    if (this.connection.isStopped()) throw new KafkaJSError('the cluster is stopped')
    this.#connected = true
    this.#instrumentation.emit(EVENTS.CONNECT)
  }

  async disconnect(): Promise<void> {
    if (!this.#connected) return
    this.#connected = false
    this.#instrumentation.emit(EVENTS.DISCONNECT)
  }

  on(eventName: string, listener: (event: InstrumentationEvent) => void): () => void {
    return this.#instrumentation.on(eventName, listener)
  }

  async listTopics(): Promise<string[]> {
    return (await this.#metadata()).topics.map((topic) => topic.topic)
  }

  /** Resolves true, or false when every topic already existed; other failures are aggregated. */
  async createTopics(options: {
    readonly topics: readonly TopicConfigInput[]
    readonly validateOnly?: boolean
    readonly waitForLeaders?: boolean
    readonly timeout?: number
  }): Promise<boolean> {
    const specs = requireArray(requireObject(options, 'createTopics options').topics, 'topics').map(
      topicSpecOf,
    )
    const names = specs.map((spec) => spec.topic)
    if (new Set(names).size !== names.length) {
      throw new KafkaJSNonRetriableError(
        'Invalid topics array, it cannot have multiple entries for the same topic',
      )
    }
    if (options.validateOnly === true) return true
    const results = await this.#ask<TopicResult[]>({ type: 'create-topics', topics: specs })
    const failures = results.filter((result) => result.outcome === 'failed')
    if (failures.length > 0) {
      throw new KafkaJSAggregateError(
        'Topic creation errors',
        failures.map(
          (failure) => new KafkaJSCreateTopicError(protocolErrorOf(failure), failure.topic),
        ),
      )
    }
    return results.some((result) => result.outcome === 'done')
  }

  async deleteTopics(options: {
    readonly topics: readonly string[]
    readonly timeout?: number
  }): Promise<void> {
    const names = validateTopicNames(
      requireObject(options, 'deleteTopics options').topics,
      'topics',
    )
    const results = await this.#ask<TopicResult[]>({ type: 'delete-topics', topics: names })
    const failed = results.find((result) => result.outcome === 'failed')
    if (failed !== undefined) throw protocolErrorOf(failed)
  }

  /** `count` is the new total, as KafkaJS takes it. Resolves undefined. */
  async createPartitions(options: {
    readonly topicPartitions: readonly { readonly topic: string; readonly count: number }[]
    readonly validateOnly?: boolean
    readonly timeout?: number
  }): Promise<void> {
    const requests = partitionCountsOf(
      requireObject(options, 'createPartitions options').topicPartitions,
    )
    if (options.validateOnly === true) return
    const results = await this.#ask<TopicResult[]>({
      type: 'create-partitions',
      topicPartitions: requests,
    })
    const failures = results.filter((result) => result.outcome === 'failed')
    if (failures.length > 0) {
      throw new KafkaJSAggregateError('Partition creation errors', failures.map(protocolErrorOf))
    }
  }

  /**
   * Preferred-leader election (samsa's; KafkaJS has no such call): every partition whose first
   * replica is alive and in sync gets it back as leader. Resolves to the partitions moved.
   */
  async electLeaders(
    options: { readonly topics?: readonly string[] } = {},
  ): Promise<{ topic: string; partition: number; leader: number }[]> {
    const { topics: names } = optionalObject(options, 'electLeaders options')
    const topics = names === undefined ? undefined : validateTopicNames(names, 'topics')
    return this.#ask(
      topics === undefined ? { type: 'elect-preferred' } : { type: 'elect-preferred', topics },
    )
  }

  async fetchTopicMetadata(options: { readonly topics?: readonly string[] } = {}) {
    const { topics } = optionalObject(options, 'fetchTopicMetadata options')
    const metadata = await this.#metadata(
      topics === undefined ? undefined : validateTopicNames(topics, 'topics'),
    )
    return {
      topics: metadata.topics.map(({ topic, partitions }) => ({
        name: topic,
        partitions: partitions.map((partition) => ({
          partitionErrorCode: 0,
          partitionId: partition.partition,
          leader: partition.leader,
          replicas: [...partition.replicas],
          isr: [...partition.isr],
          offlineReplicas: [],
        })),
      })),
    }
  }

  /** Per partition: `offset` and `high` are the high watermark, `low` the log start offset. */
  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const metadata = await this.#topic(topic)
    return metadata.partitions.map((partition) => {
      const log = PartitionLogReader.open(partition.log)
      const high = String(log.highWatermark)
      return { partition: partition.partition, offset: high, high, low: String(log.logStartOffset) }
    })
  }

  /** Per partition, the first offset whose timestamp is at or after `timestamp`, else the high watermark. */
  async fetchTopicOffsetsByTimestamp(
    topic: string,
    timestamp?: number,
  ): Promise<{ partition: number; offset: string }[]> {
    const at = validateOffsetTimestamp(timestamp)
    const metadata = await this.#topic(topic)
    return metadata.partitions.map((partition) => {
      const log = PartitionLogReader.open(partition.log)
      const found =
        at === undefined || at === LATEST_TIMESTAMP
          ? null
          : at === EARLIEST_TIMESTAMP
            ? log.logStartOffset
            : log.offsetForTimestamp(at)
      return { partition: partition.partition, offset: String(found ?? log.highWatermark) }
    })
  }

  async listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }> {
    this.#checkConnected()
    return this.#groups.listGroups()
  }

  async describeGroups(groupIds: readonly string[]): Promise<{ groups: GroupDescription[] }> {
    this.#checkConnected()
    return this.#groups.describeGroups(groupIds)
  }

  async fetchOffsets(options: {
    readonly groupId: string
    readonly topics?: readonly string[]
    readonly resolveOffsets?: boolean
  }): Promise<TopicOffsets[]> {
    this.#checkConnected()
    return this.#groups.fetchOffsets(options)
  }

  async setOffsets(options: {
    readonly groupId: string
    readonly topic: string
    readonly partitions: readonly { readonly partition: number; readonly offset: string }[]
  }): Promise<void> {
    this.#checkConnected()
    return this.#groups.setOffsets(options)
  }

  async resetOffsets(options: {
    readonly groupId: string
    readonly topic: string
    readonly earliest?: boolean
  }): Promise<void> {
    this.#checkConnected()
    return this.#groups.resetOffsets(options)
  }

  async deleteGroups(groupIds: readonly string[]): Promise<DeletedGroup[]> {
    this.#checkConnected()
    return this.#groups.deleteGroups(groupIds)
  }

  async describeCluster() {
    const metadata = await this.#metadata()
    return {
      brokers: metadata.brokers
        .filter((broker) => broker.alive)
        .map((broker) => ({ nodeId: broker.nodeId, host: 'samsa', port: broker.nodeId })),
      controller: metadata.controllerId,
      clusterId: 'samsa',
    }
  }

  async #topic(topic: string): Promise<TopicMetadata> {
    const name = validateTopicName(topic)
    return (await this.#metadata([name])).topics[0] as TopicMetadata
  }

  /** The connection's metadata, with only the named topics when names are given (all must exist). */
  async #metadata(topics?: readonly string[]): Promise<MetadataSnapshot> {
    const names = topics?.map((topic) => validateTopicName(topic))
    this.#checkConnected()
    try {
      const snapshot = await this.connection.metadata.latest()
      if (names === undefined) return snapshot
      const found = await this.connection.metadata.topics(names)
      const missing = found.missing[0]
      if (missing !== undefined) throw unknownTopic(missing)
      return { ...snapshot, topics: found.topics, missing: [] }
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  #checkConnected(): void {
    if (!this.#connected || this.connection.isStopped()) {
      throw new KafkaJSError('The admin client is disconnected', { retriable: true })
    }
  }

  async #ask<Reply>(request: SupervisorRequest): Promise<Reply> {
    this.#checkConnected()
    try {
      return await this.connection.supervisor.ask<Reply>(request, { from: this.linkName })
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }
}

function protocolErrorOf(result: TopicResult): KafkaJSProtocolError {
  const error = toKafkaJSError(fromWireError(result.error))
  return error instanceof KafkaJSProtocolError
    ? error
    : createProtocolError('UNKNOWN_SERVER_ERROR', `${result.topic}: ${error.message}`)
}
