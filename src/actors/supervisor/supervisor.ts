import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import { defineActor } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import type { TopicConfig } from '../topic-config.js'
import { brokerRestored, restoreBroker } from './broker-restore.js'
import { findCoordinator } from './coordinators.js'
import { electLeaders, electPreferred, leaderElected, preferredElected } from './elections.js'
import { parseSupervisorRequest, type TopicConfigs } from './supervisor-protocol.js'
import { describeSupervisorRequest } from './supervisor-requests.js'
import type { ElectionEvent, SupervisorMessage, SupervisorState } from './supervisor-state.js'
import { updatePartition } from './supervisor-state.js'
import {
  createPartitions,
  createTopics,
  deleteTopics,
  partitionsReady,
  snapshot,
} from './topic-changes.js'

export type { ElectionEvent, SupervisorMessage } from './supervisor-state.js'

export interface SupervisorArgs {
  readonly brokers: readonly { readonly id: number; readonly ref: ActorRef<BrokerMessage> }[]
  /** Topic settings a CreateTopics request leaves out. */
  readonly topicDefaults: TopicConfig
  /** The most shared memory partition logs may take; creations beyond it are refused. */
  readonly maxMemoryBytes: number
  /** Kafka's `unclean.leader.election.enable`: elect a replica outside the ISR when none is left. */
  readonly uncleanLeaderElection: boolean
  /** Told of every election (the supervisor runs on the thread that embeds it). */
  readonly onElection: (event: ElectionEvent) => void
}

/**
 * The supervisor: owns the cluster metadata (brokers, topics, partition placement, leaders
 * and epochs) and is the controller that creates, grows and deletes topics on the brokers.
 * It runs on the main thread, where broker deaths are seen.
 */
export const supervisor = defineActor<SupervisorMessage, SupervisorState, SupervisorArgs>({
  parseMessage: parseSupervisorRequest,
  describeRequest: (_state, message) => describeSupervisorRequest(message),
  init: ({ brokers, topicDefaults, maxMemoryBytes, uncleanLeaderElection, onElection }) => ({
    brokers: brokers.map((entry) => ({ ...entry, alive: true })),
    topics: new Map(),
    busy: new Set(),
    topicDefaults,
    maxMemoryBytes,
    reservedBytes: new Map(),
    uncleanLeaderElection,
    onElection,
    topicsCreated: 0,
    nextProducerId: 1,
    version: 1,
    changes: new Int32Array(new SharedArrayBuffer(4)).fill(1),
  }),
  receive(state, message, context) {
    const next = handle(state, message, context)
    if (next.version !== state.version) {
      Atomics.store(next.changes, 0, next.version)
      Atomics.notify(next.changes, 0)
    }
    return next
  },
})

function handle(
  state: SupervisorState,
  message: SupervisorMessage,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  switch (message.type) {
    case 'metadata':
      context.reply(snapshot(state, message.topics))
      return state
    case 'create-topics':
      return createTopics(state, message.topics, context)
    case 'create-partitions':
      return createPartitions(state, message.topicPartitions, context)
    case 'delete-topics':
      return deleteTopics(state, message.topics, context)
    case 'partitions-ready':
      return partitionsReady(state, message)
    case 'restore-broker':
      restoreBroker(state, message.brokerId, message.storage, context)
      return state
    case 'broker-restored':
      return brokerRestored(state, message)
    case 'broker-down':
      return electLeaders(
        {
          ...state,
          brokers: state.brokers.map((entry) =>
            entry.id === message.brokerId ? { ...entry, alive: false } : entry,
          ),
          version: state.version + 1,
        },
        message.brokerId,
        context,
      )
    case 'isr-changed':
      return updatePartition(state, message.topic, message.partition, (entry) => {
        if (entry.leaderEpoch !== message.leaderEpoch) return entry
        const isr = [entry.leader, ...message.isr.filter((id) => id !== entry.leader)]
        // A leader's first report usually repeats what the controller set: no new metadata
        // version then, or every client would ask for all of it again, once per partition.
        return sameMembers(isr, entry.isr) ? entry : { ...entry, isr }
      })
    case 'leader-elected':
      return leaderElected(state, message, context)
    case 'init-producer-id':
      context.reply({ producerId: state.nextProducerId, producerEpoch: 0 })
      return { ...state, nextProducerId: state.nextProducerId + 1 }
    case 'find-coordinator':
      return findCoordinator(
        state,
        message.groupId,
        message.kind ?? 'group',
        context.deferReply(),
        context,
      )
    case 'offsets-topic-ready':
      return findCoordinator(state, message.groupId, message.kind, message.replier, context)
    case 'topic-configs':
      context.reply({
        defaults: state.topicDefaults,
        topics: message.topics.map((topic) => ({
          topic,
          config: state.topics.get(topic)?.config ?? null,
        })),
      } satisfies TopicConfigs)
      return state
    case 'elect-preferred':
      electPreferred(state, message.topics, context)
      return state
    case 'preferred-elected':
      return preferredElected(state, message, context)
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id))
}
