// The supervisor's state and messages, shared by the files that handle each concern.

import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { PartitionLogHandle } from '../../runtime/log/log-layout.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import type { TopicConfig } from '../topic-config.js'
import type {
  CoordinatorKind,
  PartitionMetadata,
  SupervisorRequest,
  TopicResult,
} from './supervisor-protocol.js'

export interface PreferredOutcome {
  readonly topic: string
  readonly partition: number
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly log: PartitionLogHandle
}

/** An election's outcome, told to whoever embeds the supervisor (the cluster's events). */
export interface ElectionEvent {
  readonly type: 'leader.elected' | 'partition.offline'
  readonly topic: string
  readonly partition: number
  readonly leader: number
  readonly leaderEpoch: number
}

/** Work the supervisor finished asynchronously, fed back to it as a message (local only). */
export type Completion =
  | {
      readonly type: 'partitions-ready'
      readonly topic: string
      readonly config: TopicConfig
      readonly partitions: readonly PartitionMetadata[]
      readonly failure?: unknown
      readonly done: (result: TopicResult) => void
    }
  | { readonly type: 'broker-down'; readonly brokerId: number; readonly reason: string }
  | {
      readonly type: 'preferred-elected'
      readonly moved: readonly PreferredOutcome[]
      readonly failure?: unknown
      readonly replier: Replier
    }
  | {
      readonly type: 'leader-elected'
      readonly topic: string
      readonly partition: number
      readonly leader: number
      readonly leaderEpoch: number
      readonly isr: readonly number[]
      readonly log?: PartitionLogHandle
      readonly failure?: unknown
    }
  /**
   * A broker's thread is up again: give it back the replicas it led, with their logs as they
   * were (storage kept) or empty (storage lost). Replies once the metadata says so.
   */
  | {
      readonly type: 'restore-broker'
      readonly brokerId: number
      readonly storage: 'keep' | 'lose'
    }
  | {
      readonly type: 'broker-restored'
      readonly brokerId: number
      readonly logs: readonly {
        readonly topic: string
        readonly partition: number
        readonly log: PartitionLogHandle
      }[]
      readonly failure?: unknown
      readonly replier: Replier
    }

  /** The internal topic exists now: answer a FindCoordinator that waited for it. */
  | {
      readonly type: 'offsets-topic-ready'
      readonly groupId: string
      readonly kind: CoordinatorKind
      readonly replier: Replier
    }

export type SupervisorMessage = SupervisorRequest | Completion

export interface TopicState {
  readonly config: TopicConfig
  readonly partitions: readonly PartitionMetadata[]
}

export interface SupervisorState {
  readonly brokers: readonly {
    readonly id: number
    readonly ref: ActorRef<BrokerMessage>
    readonly alive: boolean
  }[]
  readonly topics: ReadonlyMap<string, TopicState>
  /** Topics with a create, delete or growth under way: a second request for them waits its turn. */
  readonly busy: ReadonlySet<string>
  readonly topicDefaults: TopicConfig
  /** The most shared memory partition logs may take, all replicas counted (see memory-budget.ts). */
  readonly maxMemoryBytes: number
  /** Bytes set aside for partitions being created, by topic, until they are ready or failed. */
  readonly reservedBytes: ReadonlyMap<string, number>
  readonly uncleanLeaderElection: boolean
  readonly onElection: (event: ElectionEvent) => void
  readonly topicsCreated: number
  /** The next id InitProducerId hands out. */
  readonly nextProducerId: number
  readonly version: number
  /** Where `version` is published (see MetadataSnapshot.changes). */
  readonly changes: Int32Array
}

export function updatePartition(
  state: SupervisorState,
  topic: string,
  partition: number,
  change: (entry: PartitionMetadata) => PartitionMetadata,
): SupervisorState {
  const found = state.topics.get(topic)
  const entry = found?.partitions.find((candidate) => candidate.partition === partition)
  if (found === undefined || entry === undefined) return state
  const changed = change(entry)
  if (changed === entry) return state
  const topics = new Map(state.topics)
  topics.set(topic, {
    ...found,
    partitions: found.partitions.map((candidate) => (candidate === entry ? changed : candidate)),
  })
  return { ...state, topics, version: state.version + 1 }
}

/** The supervisor's own address, as the leaders it creates report to it. */
export function controllerOf(
  context: ActorContext<SupervisorMessage>,
): ActorRef<SupervisorRequest> {
  return context.self as unknown as ActorRef<SupervisorRequest>
}
