import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import { KAFKA_ERROR_CODES, type KafkaErrorType } from '../../runtime/errors/kafka-error-codes.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { PartitionLogHandle } from '../../runtime/log/log-layout.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import {
  arrayField,
  booleanField,
  bytesField,
  type Fields,
  fieldsOf,
  integerField,
  refField,
  stringField,
} from '../protocol-fields.js'
import type { SupervisorRequest } from '../supervisor/supervisor-protocol.js'
import { parseTopicConfig, type TopicConfig } from '../topic-config.js'

/** Produce acknowledgement levels, as Kafka's `acks`: none, the leader, all in-sync replicas. */
export type Acks = 0 | 1 | -1

/** A leader's word to the controller that its in-sync replicas changed (Kafka's AlterPartition). */
export interface IsrChanged {
  readonly type: 'isr-changed'
  readonly topic: string
  readonly partition: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
}

/** A replica's part: the leader takes produces; a follower copies the leader's log. */
export type ReplicaRole =
  | {
      readonly kind: 'leader'
      readonly followers: readonly number[]
      readonly controller: ActorRef<SupervisorRequest>
    }
  | {
      readonly kind: 'follower'
      readonly leader: ActorRef<BrokerMessage>
      readonly leaderLog: PartitionLogHandle
    }

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
      readonly role: ReplicaRole
    }
  /** A follower reports how far its log goes (its fetch position, in Kafka's terms). */
  | {
      readonly type: 'follower-progress'
      readonly topic: string
      readonly partition: number
      readonly follower: number
      readonly logEnd: number
    }
  /** The controller saw a follower's broker die: it leaves this leader's ISR now. */
  | {
      readonly type: 'follower-down'
      readonly topic: string
      readonly partition: number
      readonly follower: number
    }
  /**
   * To itself: the leader broker of that name appended something for its followers here (or
   * the wait on it ran out): copy what each of them has, as Kafka's replica fetcher does with
   * one fetch per leader broker.
   */
  | { readonly type: 'replica-fetch'; readonly leader: string }
  /** To itself: time to drop followers that fell behind from the ISR. */
  | { readonly type: 'check-isr' }
  /** The controller elected this follower leader. → ReplicaCreated (the log consumers read) */
  | {
      readonly type: 'become-leader'
      readonly topic: string
      readonly partition: number
      readonly leaderEpoch: number
      readonly role: Extract<ReplicaRole, { kind: 'leader' }>
    }
  /** The partition has a new leader: follow it. → true */
  | {
      readonly type: 'follow'
      readonly topic: string
      readonly partition: number
      readonly leaderEpoch: number
      readonly role: Extract<ReplicaRole, { kind: 'follower' }>
    }
  /** → true */
  | { readonly type: 'delete-replica'; readonly topic: string; readonly partition: number }
  /** → the ref of the group coordinator beside this broker (Kafka's FindCoordinator, last hop) */
  | { readonly type: 'group-coordinator' }
  /** → the ref of the transaction coordinator beside this broker */
  | { readonly type: 'transaction-coordinator' }
  /**
   * From a transaction coordinator: these partitions, led here, joined the producer's
   * transaction, so its transactional batches may land in them (Kafka 4's verification). → true
   */
  | {
      readonly type: 'add-txn-partitions'
      readonly producerId: number
      readonly producerEpoch: number
      readonly partitions: readonly TopicPartition[]
    }
  /**
   * From a transaction coordinator (Kafka's WriteTxnMarkers): the producer's transaction is
   * over; a commit or abort marker goes into each partition, acks all. → ProduceReply
   */
  | {
      readonly type: 'write-txn-markers'
      readonly producerId: number
      readonly producerEpoch: number
      readonly commit: boolean
      readonly coordinatorEpoch: number
      readonly partitions: readonly TopicPartition[]
    }
  /**
   * → ProduceReply, one entry per partition in the request's order (no reply with acks 0).
   * As Kafka's ProduceRequest: everything a producer has for this broker's partitions at once.
   */
  | {
      readonly type: 'produce'
      readonly acks: Acks
      readonly partitions: readonly PartitionBatch[]
    }
  | { readonly type: 'enforce-retention' }

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export function parseTopicPartitions(fields: Fields, name: string): TopicPartition[] {
  return arrayField(fields, name).map((entry) => {
    const partition = fieldsOf(entry, 'topic partition')
    return {
      topic: stringField(partition, 'topic'),
      partition: integerField(partition, 'partition', 0),
    }
  })
}

export interface ReplicaCreated {
  readonly log: PartitionLogHandle
}

/** One partition's record batch in a produce request. */
export interface PartitionBatch {
  readonly topic: string
  readonly partition: number
  readonly batch: Uint8Array
}

/** Kafka's ProduceResponse partition fields that KafkaJS's RecordMetadata carries. */
export interface ProduceResponse {
  readonly baseOffset: number
  readonly logAppendTime: number
  readonly logStartOffset: number
}

/** One partition's answer: where its batch landed, or Kafka's error for it (`error` null). */
export interface PartitionProduced extends ProduceResponse {
  readonly error: KafkaErrorType | null
  readonly errorMessage: string
}

export interface ProduceReply {
  readonly partitions: readonly PartitionProduced[]
}

export type ProduceRequest = Extract<BrokerMessage, { type: 'produce' }>
export type FollowerProgressReport = Extract<BrokerMessage, { type: 'follower-progress' }>

/*
 * The messages of the record path are built here, in one field order, so that they match the
 * shapes every thread agrees on at start (see actors/wire-structures.ts).
 */
export const PRODUCE_REQUEST_FIELDS = [
  'type',
  'acks',
  'partitions',
] as const satisfies readonly (keyof ProduceRequest)[]

export const PARTITION_BATCH_FIELDS = [
  'topic',
  'partition',
  'batch',
] as const satisfies readonly (keyof PartitionBatch)[]

export function produceRequest(acks: Acks, partitions: readonly PartitionBatch[]): ProduceRequest {
  return { type: 'produce', acks, partitions }
}

export function partitionBatch(
  topic: string,
  partition: number,
  batch: Uint8Array,
): PartitionBatch {
  return { topic, partition, batch }
}

export const PRODUCE_REPLY_FIELDS = [
  'partitions',
] as const satisfies readonly (keyof ProduceReply)[]

export const PARTITION_PRODUCED_FIELDS = [
  'baseOffset',
  'logAppendTime',
  'logStartOffset',
  'error',
  'errorMessage',
] as const satisfies readonly (keyof PartitionProduced)[]

export function partitionProduced(baseOffset: number, logStartOffset: number): PartitionProduced {
  return { baseOffset, logAppendTime: -1, logStartOffset, error: null, errorMessage: '' }
}

export function partitionRefused(error: KafkaProtocolError): PartitionProduced {
  return {
    baseOffset: -1,
    logAppendTime: -1,
    logStartOffset: -1,
    error: error.type,
    errorMessage: error.message,
  }
}

export const FOLLOWER_PROGRESS_FIELDS = [
  'type',
  'topic',
  'partition',
  'follower',
  'logEnd',
] as const satisfies readonly (keyof FollowerProgressReport)[]

export function followerProgress(
  topic: string,
  partition: number,
  follower: number,
  logEnd: number,
): FollowerProgressReport {
  return { type: 'follower-progress', topic, partition, follower, logEnd }
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
        role: parseRole(fields.role),
      }
    case 'follower-progress':
      return {
        type: 'follower-progress',
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
        follower: integerField(fields, 'follower', 0),
        logEnd: integerField(fields, 'logEnd', 0),
      }
    case 'follower-down':
      return {
        type: 'follower-down',
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
        follower: integerField(fields, 'follower', 0),
      }
    case 'replica-fetch':
      return { type: 'replica-fetch', leader: stringField(fields, 'leader') }
    case 'check-isr':
      return { type: 'check-isr' }
    case 'become-leader':
    case 'follow': {
      const role = parseRole(fields.role)
      const common = {
        topic: stringField(fields, 'topic'),
        partition: integerField(fields, 'partition', 0),
        leaderEpoch: integerField(fields, 'leaderEpoch', 0),
      }
      if (fields.type === 'become-leader' && role.kind === 'leader') {
        return { type: 'become-leader', ...common, role }
      }
      if (fields.type === 'follow' && role.kind === 'follower') {
        return { type: 'follow', ...common, role }
      }
      throw new MalformedMessageError(`${fields.type} does not go with a ${role.kind} role`)
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
        acks: acks(fields.acks),
        partitions: arrayField(fields, 'partitions').map((entry) => {
          const partitionFields = fieldsOf(entry, 'produce partition')
          return partitionBatch(
            stringField(partitionFields, 'topic'),
            integerField(partitionFields, 'partition', 0),
            bytesField(partitionFields, 'batch'),
          )
        }),
      }
    case 'enforce-retention':
      return { type: 'enforce-retention' }
    case 'group-coordinator':
    case 'transaction-coordinator':
      return { type: fields.type }
    case 'add-txn-partitions':
      return {
        type: 'add-txn-partitions',
        producerId: integerField(fields, 'producerId', 0),
        producerEpoch: integerField(fields, 'producerEpoch', 0),
        partitions: parseTopicPartitions(fields, 'partitions'),
      }
    case 'write-txn-markers':
      return {
        type: 'write-txn-markers',
        producerId: integerField(fields, 'producerId', 0),
        producerEpoch: integerField(fields, 'producerEpoch', 0),
        commit: booleanField(fields, 'commit'),
        coordinatorEpoch: integerField(fields, 'coordinatorEpoch'),
        partitions: parseTopicPartitions(fields, 'partitions'),
      }
    default:
      throw new MalformedMessageError(`unknown broker message type ${String(fields.type)}`)
  }
}

function parseRole(value: unknown): ReplicaRole {
  const fields = fieldsOf(value, 'replica role')
  if (fields.kind === 'leader') {
    const followers = arrayField(fields, 'followers').map((id) => {
      if (!Number.isInteger(id)) throw new MalformedMessageError('followers are broker ids')
      return id as number
    })
    return {
      kind: 'leader',
      followers,
      controller: refField<SupervisorRequest>(fields, 'controller'),
    }
  }
  if (fields.kind === 'follower') {
    return {
      kind: 'follower',
      leader: refField<BrokerMessage>(fields, 'leader'),
      leaderLog: PartitionLogReader.open(fields.leaderLog).handle(),
    }
  }
  throw new MalformedMessageError(
    `a replica role is leader or follower, got ${String(fields.kind)}`,
  )
}

/** A partition's answer as the caller takes it: where the batch landed, or the error thrown. */
export function producedOrThrow(answer: PartitionProduced): ProduceResponse {
  if (answer.error !== null) throw new KafkaProtocolError(answer.error, answer.errorMessage)
  return answer
}

function errorTypeField(value: unknown): KafkaErrorType | null {
  if (value === null) return null
  if (typeof value === 'string' && Object.hasOwn(KAFKA_ERROR_CODES, value)) {
    return value as KafkaErrorType
  }
  throw new MalformedMessageError(
    `a produce error must be a Kafka error name, got ${String(value)}`,
  )
}

export function parseProduceReply(value: unknown): ProduceReply {
  const fields = fieldsOf(value, 'produce reply')
  return {
    partitions: arrayField(fields, 'partitions').map((entry) => {
      const partitionFields = fieldsOf(entry, 'produce reply partition')
      return {
        baseOffset: integerField(partitionFields, 'baseOffset', -1),
        logAppendTime: integerField(partitionFields, 'logAppendTime'),
        logStartOffset: integerField(partitionFields, 'logStartOffset', -1),
        error: errorTypeField(partitionFields.error),
        errorMessage: stringField(partitionFields, 'errorMessage'),
      }
    }),
  }
}
