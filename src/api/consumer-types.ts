// The consumer's public shapes, as KafkaJS names them: events, payloads, run options, group
// descriptions.

import type { KafkaMessage } from '../actors/consumer/kafka-messages.js'

/** KafkaJS's consumer event names (`consumer.events`). */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const
export type ConsumerEventName = (typeof CONSUMER_EVENTS)[keyof typeof CONSUMER_EVENTS]

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: string
}

export interface OffsetsByTopicPartition {
  readonly topics: readonly {
    readonly topic: string
    readonly partitions: readonly { readonly partition: string; readonly offset: string }[]
  }[]
}

/** KafkaJS's `Batch`: one partition's messages from one fetch. */
export interface Batch {
  readonly topic: string
  readonly partition: number
  readonly highWatermark: string
  readonly messages: readonly KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): string | null
  lastOffset(): string
  offsetLag(): string
  offsetLagLow(): string
}

export interface EachMessagePayload {
  readonly topic: string
  readonly partition: number
  readonly message: KafkaMessage
  heartbeat(): Promise<void>
  /** Pauses this message's partition; returns a function that resumes it. */
  pause(): () => void
}

export interface EachBatchPayload {
  readonly batch: Batch
  resolveOffset(offset: string): void
  heartbeat(): Promise<void>
  pause(): () => void
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>
  uncommittedOffsets(): OffsetsByTopicPartition
  isRunning(): boolean
  isStale(): boolean
}

/**
 * samsa's zero-copy batch path (for benchmarks): one partition's whole RecordBatch v2 batches
 * as views straight into the leader's ring. The writer may overwrite them at any time: decode,
 * then call `isIntact()`, and discard what you decoded if it says false. The first batch may
 * begin before `fetchOffset` (after a seek into its middle); skip those records. When the
 * handler resolves, the position moves to `nextOffset`; when it throws, the same batches come
 * again.
 */
export interface EachRawBatchPayload {
  readonly topic: string
  readonly partition: number
  readonly batches: readonly Uint8Array[]
  readonly fetchOffset: string
  readonly nextOffset: string
  readonly highWatermark: string
  isIntact(): boolean
}

export interface ConsumerRunConfig {
  readonly autoCommit?: boolean
  readonly autoCommitInterval?: number | null
  readonly autoCommitThreshold?: number | null
  readonly eachBatchAutoResolve?: boolean
  readonly partitionsConsumedConcurrently?: number
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void>
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void>
}

export interface RawBatchRunConfig {
  readonly partitionsConsumedConcurrently?: number
  readonly eachRawBatch: (payload: EachRawBatchPayload) => Promise<void>
}

/** KafkaJS's `MemberDescription`: metadata and assignment in the consumer protocol's encoding. */
export interface MemberDescription {
  readonly clientHost: string
  readonly clientId: string
  readonly memberId: string
  readonly memberAssignment: Buffer
  readonly memberMetadata: Buffer
}

export interface GroupDescription {
  readonly errorCode: number
  readonly groupId: string
  readonly members: readonly MemberDescription[]
  readonly protocol: string
  readonly protocolType: string
  readonly state: string
}
