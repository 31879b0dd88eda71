import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import { type PartitionLogHandle, PartitionLogReader } from '../../runtime/log/partition-log.js'
import { bytesField, fieldsOf, integerField, stringField } from '../protocol-fields.js'
import { parseTopicConfig, type TopicConfig } from '../topic-config.js'

/** Produce acknowledgement levels, as Kafka's `acks`: none, the leader, all in-sync replicas. */
export type Acks = 0 | 1 | -1

/** What a broker is asked. Replies are in the comment beside each. */
export type BrokerMessage =
  /** → ReplicaCreated */
  | {
      readonly type: 'create-replica'
      readonly topic: string
      readonly partition: number
      readonly leaderEpoch: number
      readonly config: TopicConfig
      /** The log this replica had before its broker restarted with its storage kept. */
      readonly existing?: PartitionLogHandle
    }
  /** → true */
  | { readonly type: 'delete-replica'; readonly topic: string; readonly partition: number }
  /** → ProduceResponse (no reply with acks 0) */
  | {
      readonly type: 'produce'
      readonly topic: string
      readonly partition: number
      readonly acks: Acks
      readonly batch: Uint8Array
    }
  | { readonly type: 'enforce-retention' }

export interface ReplicaCreated {
  readonly log: PartitionLogHandle
}

/** Kafka's ProduceResponse partition fields that KafkaJS's RecordMetadata carries. */
export interface ProduceResponse {
  readonly baseOffset: number
  readonly logAppendTime: number
  readonly logStartOffset: number
}

function acks(value: unknown): Acks {
  if (value === 0 || value === 1 || value === -1) return value
  throw new MalformedMessageError(`acks must be 0, 1 or -1, got ${String(value)}`)
}

export function parseBrokerMessage(value: unknown): BrokerMessage {
  const fields = fieldsOf(value, 'broker message')
  switch (fields.type) {
    case 'create-replica':
      return {
        type: 'create-replica',
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
        leaderEpoch: integerField(fields, 'leaderEpoch', 0),
        config: parseTopicConfig(fields.config),
        existing:
          fields.existing === undefined || fields.existing === null
            ? undefined
            : PartitionLogReader.open(fields.existing).handle(),
      }
    case 'delete-replica':
      return {
        type: 'delete-replica',
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
      }
    case 'produce':
      return {
        type: 'produce',
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
        acks: acks(fields.acks),
        batch: bytesField(fields, 'batch'),
      }
    case 'enforce-retention':
      return { type: 'enforce-retention' }
    default:
      throw new MalformedMessageError(`unknown broker message type ${String(fields.type)}`)
  }
}

export function parseProduceResponse(value: unknown): ProduceResponse {
  const fields = fieldsOf(value, 'produce response')
  return {
    baseOffset: integerField(fields, 'baseOffset', 0),
    logAppendTime: integerField(fields, 'logAppendTime'),
    logStartOffset: integerField(fields, 'logStartOffset', 0),
  }
}
