import type { Replier } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Timer } from '../../runtime/clock/clock.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import type { Group } from './group.js'
import type { CommittedOffset } from './offsets-topic.js'

/* What a group coordinator holds: the groups of the offsets partitions it leads, and who waits. */

/** Requests parked at the coordinator for one member. */
export interface Waiting {
  join?: Replier
  sync?: Replier
  heartbeat?: { readonly replier: Replier; readonly releaseAt: number }
}

/** The groups of one offsets partition this broker leads, rebuilt from its records. */
export interface LoadedPartition {
  readonly partition: number
  readonly groups: Map<string, Group>
  readonly offsets: Map<string, Map<string, { topic: string; partition: number } & CommittedOffset>>
  /** Offsets open transactions commit, by group and producer (see `pendingKey`). */
  readonly pending: Map<string, Map<string, { topic: string; partition: number } & CommittedOffset>>
  /** Bytes written since every live key was last written again (see `compactIfDue`). */
  bytesSinceRewrite: number
}

export interface CoordinatorState {
  readonly brokerId: number
  readonly broker: ActorRef<BrokerMessage>
  readonly partitions: Map<number, LoadedPartition>
  /** Parked requests by group, then member. */
  readonly waiting: Map<string, Map<string, Waiting>>
  timer: Timer | undefined
  timerAt: number
  membersJoined: number
}

export const pendingKey = (groupId: string, producerId: number) => `${groupId}\u0000${producerId}`
