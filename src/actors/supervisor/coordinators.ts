// Kafka's FindCoordinator: a group's coordinator is the leader of the group's partition of the
// offsets topic, a transactional id's the leader of its partition of the transaction state
// topic; the controller creates each topic the first time anyone asks.

import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import {
  OFFSETS_TOPIC_LOG_BYTES,
  OFFSETS_TOPIC_PARTITIONS,
  OFFSETS_TOPIC_REPLICATION,
  offsetsPartitionFor,
} from '../coordinator/offsets-topic.js'
import { OFFSETS_TOPIC, TRANSACTION_TOPIC } from '../internal-topics.js'
import {
  TRANSACTION_TOPIC_LOG_BYTES,
  TRANSACTION_TOPIC_PARTITIONS,
  TRANSACTION_TOPIC_REPLICATION,
} from '../transactions/transaction-log.js'
import type { CoordinatorAddress, CoordinatorKind, TopicResult } from './supervisor-protocol.js'
import type { SupervisorMessage, SupervisorState } from './supervisor-state.js'
import { createTopics } from './topic-changes.js'

function notAvailable(why: string): KafkaProtocolError {
  return new KafkaProtocolError('COORDINATOR_NOT_AVAILABLE', why)
}

const INTERNAL_TOPICS = {
  group: {
    topic: OFFSETS_TOPIC,
    numPartitions: OFFSETS_TOPIC_PARTITIONS,
    replication: OFFSETS_TOPIC_REPLICATION,
    logCapacityBytes: OFFSETS_TOPIC_LOG_BYTES,
  },
  transaction: {
    topic: TRANSACTION_TOPIC,
    numPartitions: TRANSACTION_TOPIC_PARTITIONS,
    replication: TRANSACTION_TOPIC_REPLICATION,
    logCapacityBytes: TRANSACTION_TOPIC_LOG_BYTES,
  },
} as const

export function findCoordinator(
  state: SupervisorState,
  groupId: string,
  kind: CoordinatorKind,
  replier: Replier,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  if (groupId.length === 0) {
    replier.reject(
      kind === 'group'
        ? new KafkaProtocolError('INVALID_GROUP_ID', 'a group id must not be empty')
        : new KafkaProtocolError('INVALID_REQUEST', 'a transactional id must not be empty'),
    )
    return state
  }
  const internal = INTERNAL_TOPICS[kind]
  const topicName = internal.topic
  const topic = state.topics.get(topicName)
  if (topic === undefined) {
    if (state.busy.has(topicName)) {
      replier.reject(notAvailable(`${topicName} is being created`))
      return state
    }
    const live = state.brokers.filter((entry) => entry.alive).length
    const created: Replier = {
      resolve: (results: unknown) => {
        const [result] = results as readonly TopicResult[]
        if (result?.outcome === 'failed') {
          replier.reject(
            notAvailable(`${topicName} could not be created: ${result.error?.message}`),
          )
          return
        }
        const ready: SupervisorMessage = { type: 'offsets-topic-ready', groupId, kind, replier }
        context.self.tell(ready)
      },
      reject: (error) => replier.reject(error),
    }
    return createTopics(
      state,
      [
        {
          topic: topicName,
          numPartitions: internal.numPartitions,
          replicationFactor: Math.max(1, Math.min(internal.replication, live)),
          logCapacityBytes: internal.logCapacityBytes,
          minInsyncReplicas: 1,
        },
      ],
      context,
      created,
    )
  }
  const partition = topic.partitions[offsetsPartitionFor(groupId, topic.partitions.length)]
  const leader = state.brokers.find((entry) => entry.id === partition?.leader && entry.alive)
  if (leader === undefined) {
    replier.reject(notAvailable(`${topicName}-${partition?.partition} has no leader`))
    return state
  }
  const address: CoordinatorAddress = { brokerId: leader.id, broker: leader.ref }
  replier.resolve(address)
  return state
}
