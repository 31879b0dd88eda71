// Kafka's FindCoordinator: a group's coordinator is the leader of the group's partition of the
// offsets topic, which the controller creates the first time any group asks.

import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import {
  OFFSETS_TOPIC,
  OFFSETS_TOPIC_LOG_BYTES,
  OFFSETS_TOPIC_PARTITIONS,
  OFFSETS_TOPIC_REPLICATION,
  offsetsPartitionFor,
} from '../coordinator/offsets-topic.js'
import type { CoordinatorAddress, TopicResult } from './supervisor-protocol.js'
import type { SupervisorMessage, SupervisorState } from './supervisor-state.js'
import { createTopics } from './topic-changes.js'

function notAvailable(why: string): KafkaProtocolError {
  return new KafkaProtocolError('COORDINATOR_NOT_AVAILABLE', why)
}

export function findCoordinator(
  state: SupervisorState,
  groupId: string,
  replier: Replier,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  if (groupId.length === 0) {
    replier.reject(new KafkaProtocolError('INVALID_GROUP_ID', 'a group id must not be empty'))
    return state
  }
  const topic = state.topics.get(OFFSETS_TOPIC)
  if (topic === undefined) {
    if (state.busy.has(OFFSETS_TOPIC)) {
      replier.reject(notAvailable(`${OFFSETS_TOPIC} is being created`))
      return state
    }
    const live = state.brokers.filter((entry) => entry.alive).length
    const created: Replier = {
      resolve: (results: unknown) => {
        const [result] = results as readonly TopicResult[]
        if (result?.outcome === 'failed') {
          replier.reject(
            notAvailable(`${OFFSETS_TOPIC} could not be created: ${result.error?.message}`),
          )
          return
        }
        const ready: SupervisorMessage = { type: 'offsets-topic-ready', groupId, replier }
        context.self.tell(ready)
      },
      reject: (error) => replier.reject(error),
    }
    return createTopics(
      state,
      [
        {
          topic: OFFSETS_TOPIC,
          numPartitions: OFFSETS_TOPIC_PARTITIONS,
          replicationFactor: Math.max(1, Math.min(OFFSETS_TOPIC_REPLICATION, live)),
          logCapacityBytes: OFFSETS_TOPIC_LOG_BYTES,
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
    replier.reject(notAvailable(`${OFFSETS_TOPIC}-${partition?.partition} has no leader`))
    return state
  }
  const address: CoordinatorAddress = { brokerId: leader.id, broker: leader.ref }
  replier.resolve(address)
  return state
}
