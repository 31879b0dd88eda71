import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import type { WireError } from '../../runtime/errors/wire-error.js'
import { type PartitionLogHandle, parseLogHandle } from '../../runtime/log/log-layout.js'
import type { BrokerMessage, IsrChanged } from '../broker/broker-protocol.js'
import {
  arrayField,
  booleanField,
  fieldsOf,
  integerArrayField,
  integerField,
  optionalIntegerField,
  refField,
  stringArrayField,
  stringField,
} from '../protocol-fields.js'
import { parseTopicConfig, type TopicConfig } from '../topic-config.js'

/** A topic to create, as CreateTopics carries it (KafkaJS's `ITopicConfig`, validated). */
export interface TopicSpec {
  readonly topic: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly retentionBytes?: number
  readonly retentionMs?: number
  readonly maxMessageBytes?: number
  readonly logCapacityBytes?: number
  readonly minInsyncReplicas?: number
}

/** What the supervisor is asked, from any thread. Replies are in the comment beside each. */
export type SupervisorRequest =
  /** → TopicResult[] */
  | { readonly type: 'create-topics'; readonly topics: readonly TopicSpec[] }
  /** → TopicResult[] */
  | { readonly type: 'delete-topics'; readonly topics: readonly string[] }
  /** → TopicResult[]; `count` is the new total, as Kafka's CreatePartitions takes it */
  | {
      readonly type: 'create-partitions'
      readonly topicPartitions: readonly { readonly topic: string; readonly count: number }[]
    }
  /** → MetadataSnapshot; all topics when `topics` is absent */
  | { readonly type: 'metadata'; readonly topics?: readonly string[] }
  /** From a partition leader: its in-sync followers changed (no reply) */
  | IsrChanged
  /** Kafka's InitProducerId → ProducerIdentity: a new id for an idempotent producer */
  | { readonly type: 'init-producer-id' }
  /**
   * Kafka's FindCoordinator → CoordinatorAddress: of a group (`groupId`) or of a transactional
   * id (`groupId` holds it, `kind` 'transaction'); creates the internal topic on first use
   */
  | { readonly type: 'find-coordinator'; readonly groupId: string; readonly kind?: CoordinatorKind }
  /** Kafka's DescribeConfigs of topics → TopicConfigs */
  | { readonly type: 'topic-configs'; readonly topics: readonly string[] }
  /** → { topic, partition, leader }[] of the partitions moved back to their preferred leader */
  | { readonly type: 'elect-preferred'; readonly topics?: readonly string[] }

/** Kafka's FindCoordinator key types: a consumer group, or a transactional id. */
export type CoordinatorKind = 'group' | 'transaction'

/** The broker that coordinates a group: the leader of the group's offsets partition. */
export interface CoordinatorAddress {
  readonly brokerId: number
  readonly broker: ActorRef<BrokerMessage>
}

export function parseCoordinatorAddress(value: unknown): CoordinatorAddress {
  const fields = fieldsOf(value, 'coordinator address')
  return {
    brokerId: integerField(fields, 'brokerId', 0),
    broker: refField<BrokerMessage>(fields, 'broker'),
  }
}

export interface ProducerIdentity {
  readonly producerId: number
  readonly producerEpoch: number
}

export function parseProducerIdentity(value: unknown): ProducerIdentity {
  const fields = fieldsOf(value, 'producer identity')
  return {
    producerId: integerField(fields, 'producerId', 0),
    producerEpoch: integerField(fields, 'producerEpoch', 0),
  }
}

/** Topics' configs (null for a topic that does not exist), and the defaults they started from. */
export interface TopicConfigs {
  readonly defaults: TopicConfig
  readonly topics: readonly { readonly topic: string; readonly config: TopicConfig | null }[]
}

export function parseTopicConfigs(value: unknown): TopicConfigs {
  const fields = fieldsOf(value, 'topic configs')
  return {
    defaults: parseTopicConfig(fields.defaults),
    topics: arrayField(fields, 'topics').map((entry) => {
      const topic = fieldsOf(entry, 'topic config entry')
      return {
        topic: stringField(topic, 'topic'),
        config: topic.config === null ? null : parseTopicConfig(topic.config),
      }
    }),
  }
}

export interface TopicResult {
  readonly topic: string
  readonly outcome: 'done' | 'already-exists' | 'failed'
  readonly error?: WireError
}

export interface PartitionMetadata {
  readonly partition: number
  readonly leader: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  readonly leaderEpoch: number
  /** The leader replica's log: consumers read it directly. */
  readonly log: PartitionLogHandle
}

export interface TopicMetadata {
  readonly topic: string
  readonly partitions: readonly PartitionMetadata[]
}

export interface BrokerMetadata {
  readonly nodeId: number
  readonly ref: ActorRef<BrokerMessage>
  readonly alive: boolean
}

export interface MetadataSnapshot {
  /** Bumped on every change, so a client can tell stale metadata from fresh. */
  readonly version: number
  /**
   * One Int32 that always holds the current version: the supervisor's push to every client on
   * any thread. A client compares it with `version` before trusting what it holds.
   */
  readonly changes: SharedArrayBuffer
  readonly controllerId: number
  readonly brokers: readonly BrokerMetadata[]
  readonly topics: readonly TopicMetadata[]
  /** Topics asked for that do not exist. */
  readonly missing: readonly string[]
}

/** A metadata reply, checked: it crosses a thread when the client is on a worker. */
export function parseMetadataSnapshot(value: unknown): MetadataSnapshot {
  const fields = fieldsOf(value, 'metadata')
  const changes = fields.changes
  if (!(changes instanceof SharedArrayBuffer) || changes.byteLength < 4) {
    throw new MalformedMessageError('metadata changes must be a shared Int32')
  }
  return {
    version: integerField(fields, 'version'),
    changes,
    controllerId: integerField(fields, 'controllerId', -1),
    brokers: arrayField(fields, 'brokers').map((entry) => {
      const broker = fieldsOf(entry, 'broker metadata')
      return {
        nodeId: integerField(broker, 'nodeId', 0),
        ref: refField<BrokerMessage>(broker, 'ref'),
        alive: booleanField(broker, 'alive'),
      }
    }),
    topics: arrayField(fields, 'topics').map((entry) => {
      const topic = fieldsOf(entry, 'topic metadata')
      return {
        topic: stringField(topic, 'topic'),
        partitions: arrayField(topic, 'partitions').map((item) => {
          const partition = fieldsOf(item, 'partition metadata')
          return {
            partition: integerField(partition, 'partition', 0),
            leader: integerField(partition, 'leader', -1),
            replicas: integerArrayField(partition, 'replicas'),
            isr: integerArrayField(partition, 'isr'),
            leaderEpoch: integerField(partition, 'leaderEpoch', 0),
            log: parseLogHandle(partition.log),
          }
        }),
      }
    }),
    missing: stringArrayField(fields, 'missing'),
  }
}

function topicSpec(value: unknown): TopicSpec {
  const fields = fieldsOf(value, 'topic spec')
  return {
    topic: stringField(fields, 'topic'),
    numPartitions: integerField(fields, 'numPartitions'),
    replicationFactor: integerField(fields, 'replicationFactor'),
    retentionBytes: optionalIntegerField(fields, 'retentionBytes', 1),
    retentionMs: optionalIntegerField(fields, 'retentionMs', 0),
    maxMessageBytes: optionalIntegerField(fields, 'maxMessageBytes', 1),
    logCapacityBytes: optionalIntegerField(fields, 'logCapacityBytes', 1),
    minInsyncReplicas: optionalIntegerField(fields, 'minInsyncReplicas', 1),
  }
}

export function parseSupervisorRequest(value: unknown): SupervisorRequest {
  const fields = fieldsOf(value, 'supervisor request')
  switch (fields.type) {
    case 'create-topics':
      return { type: 'create-topics', topics: arrayField(fields, 'topics').map(topicSpec) }
    case 'delete-topics':
      return { type: 'delete-topics', topics: stringArrayField(fields, 'topics') }
    case 'create-partitions':
      return {
        type: 'create-partitions',
        topicPartitions: arrayField(fields, 'topicPartitions').map((entry) => {
          const entryFields = fieldsOf(entry, 'topic partitions')
          return {
            topic: stringField(entryFields, 'topic'),
            count: integerField(entryFields, 'count'),
          }
        }),
      }
    case 'metadata':
      return fields.topics === undefined
        ? { type: 'metadata' }
        : { type: 'metadata', topics: stringArrayField(fields, 'topics') }
    case 'init-producer-id':
      return { type: 'init-producer-id' }
    case 'find-coordinator':
      return {
        type: 'find-coordinator',
        groupId: stringField(fields, 'groupId'),
        kind: fields.kind === 'transaction' ? 'transaction' : 'group',
      }
    case 'topic-configs':
      return { type: 'topic-configs', topics: stringArrayField(fields, 'topics') }
    case 'elect-preferred':
      return fields.topics === undefined
        ? { type: 'elect-preferred' }
        : { type: 'elect-preferred', topics: stringArrayField(fields, 'topics') }
    case 'isr-changed':
      return {
        type: 'isr-changed',
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
        leaderEpoch: integerField(fields, 'leaderEpoch', 0),
        isr: arrayField(fields, 'isr').map((id) => {
          if (!Number.isInteger(id)) throw new MalformedMessageError('isr holds broker ids')
          return id as number
        }),
      }
    default:
      throw new MalformedMessageError(`unknown supervisor request ${String(fields.type)}`)
  }
}
