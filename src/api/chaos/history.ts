/**
 * What a chaos run records: every send, delivery, commit and assignment of its clients, the
 * faults and elections, and what each partition holds once the run has healed. Values are the
 * workload's own record ids (strings), so the checker can follow one record everywhere.
 */

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/** One `send` of one record, from its invocation to its outcome. */
export interface SendEvent extends TopicPartition {
  readonly type: 'send'
  readonly producer: string
  readonly value: string
  readonly invokedAt: number
  readonly completedAt: number
  /** `unknown`: no answer came (a timeout, a dead broker): it may or may not be in the log. */
  readonly outcome: 'acknowledged' | 'failed' | 'unknown'
  /** The offset the broker acknowledged it at (acknowledged sends with acks 1 or all). */
  readonly offset?: number
}

/** One record handed to a group member's handler. */
export interface DeliveryEvent extends TopicPartition {
  readonly type: 'delivery'
  readonly time: number
  readonly member: string
  readonly generation: number
  readonly offset: number
  readonly value: string
}

/** A group's committed offset (the next to read) for a partition, as the coordinator took it. */
export interface CommitEvent extends TopicPartition {
  readonly type: 'commit'
  readonly time: number
  readonly group: string
  readonly member: string
  readonly generation: number
  readonly offset: number
}

/** The partitions a member owns from `time` on, in a generation (its GROUP_JOIN). */
export interface AssignmentEvent {
  readonly type: 'assignment'
  readonly time: number
  readonly member: string
  readonly generation: number
  readonly partitions: readonly TopicPartition[]
}

/**
 * A fault the nemesis applied or healed, an election the controller made, or a client thread
 * that missed a control call's deadline (`client`).
 */
export interface ClusterEventRecord {
  readonly type: 'fault' | 'election' | 'client'
  readonly time: number
  readonly description: string
}

/** A partition's leader and in-sync replicas from `time` on, as the controller published them. */
export interface IsrEvent extends TopicPartition {
  readonly type: 'isr'
  readonly time: number
  readonly leader: number
  readonly isr: readonly number[]
}

export type HistoryEvent =
  | SendEvent
  | DeliveryEvent
  | CommitEvent
  | AssignmentEvent
  | ClusterEventRecord
  | IsrEvent

/** What the workload's clients record (on their own threads): the rest comes from the driver. */
export type ClientEvent = SendEvent | DeliveryEvent | CommitEvent | AssignmentEvent

/** What one partition holds at the end, read from its log start to its high watermark. */
export interface FinalPartition extends TopicPartition {
  readonly logStartOffset: number
  readonly records: readonly { readonly offset: number; readonly value: string }[]
}

export interface History {
  readonly events: readonly HistoryEvent[]
  readonly final: readonly FinalPartition[]
}
