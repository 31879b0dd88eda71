import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Timer } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { PartitionLog } from '../../runtime/log/partition-log.js'
import type { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import type { WaitWord } from '../../runtime/log/wait.js'
import type { CoordinatorControl } from '../coordinator/coordinator-protocol.js'
import type { SupervisorRequest } from '../supervisor/supervisor-protocol.js'
import type { TopicConfig } from '../topic-config.js'
import type { TransactionCoordinatorControl } from '../transactions/transaction-protocol.js'
import type { ReplicaRole } from './broker-protocol.js'
import type { FollowerProgress } from './in-sync-replicas.js'
import type { ProducerStateTable } from './producer-state.js'
import type { TransactionTable } from './transaction-table.js'

/* What a broker holds: its replicas, leader and follower, and the timers and waits it keeps. */

/**
 * One partition of an acks=all produce, waiting for the high watermark to pass its last
 * offset: `settle` answers it (with an error when it can no longer be committed here).
 */
export interface PendingAck {
  readonly endOffset: number
  readonly settle: (error?: KafkaProtocolError) => void
}

export interface LeaderReplica {
  readonly role: 'leader'
  readonly topic: string
  readonly partition: number
  readonly log: PartitionLog
  readonly config: TopicConfig
  readonly followers: Map<number, FollowerProgress>
  readonly pending: PendingAck[]
  readonly controller: ActorRef<SupervisorRequest>
  /** Idempotent producers' recent batches, to answer retries without appending twice. */
  readonly producers: ProducerStateTable
  /** Open and added transactions here, which bound the last stable offset. */
  readonly transactions: TransactionTable
  /** The ISR last told to the controller, as sorted ids joined. */
  reportedIsr: string
}

export interface FollowerReplica {
  readonly role: 'follower'
  readonly topic: string
  readonly partition: number
  readonly log: PartitionLog
  readonly config: TopicConfig
  readonly leader: Extract<ReplicaRole, { kind: 'follower' }>
  readonly leaderLog: PartitionLogReader
  /** When it last told its leader how far it is (a follower that stays silent leaves the ISR). */
  reportedAt: number
}

export type Replica = LeaderReplica | FollowerReplica

export interface BrokerState {
  readonly brokerId: number
  /** The group coordinator beside this broker: it serves the offsets partitions led here. */
  readonly coordinator: ActorRef<CoordinatorControl>
  /** The transaction coordinator beside it: it serves the transaction-state partitions led here. */
  readonly transactionCoordinator: ActorRef<TransactionCoordinatorControl>
  /** Replicas by `topic/partition`; this broker is the only writer of their logs. */
  readonly replicas: Map<string, Replica>
  /** The next time-retention check, when one is set (see `watchRetention`). */
  retentionCheck: { readonly at: number; readonly timer: Timer } | undefined
  isrTimerSet: boolean
  /** Shared by every log this broker writes, bumped after each produce: followers wait on it. */
  readonly appendSignal: SharedArrayBuffer
  readonly appendSignalWord: WaitWord
  /** The append signals of leader brokers that a wait of this broker's is on now. */
  readonly leaderWaits: Set<SharedArrayBuffer>
}

export const replicaKey = (topic: string, partition: number) => `${topic}/${partition}`

export function replicaFor(state: BrokerState, topic: string, partition: number): Replica {
  const replica = state.replicas.get(replicaKey(topic, partition))
  if (replica === undefined) {
    throw new KafkaProtocolError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `broker ${state.brokerId} hosts no replica of ${topic}-${partition}`,
    )
  }
  return replica
}
