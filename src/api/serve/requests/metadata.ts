import { OFFSETS_TOPIC } from '../../../actors/internal-topics.js'
import type {
  MetadataSnapshot,
  PartitionMetadata,
  TopicResult,
} from '../../../actors/supervisor/supervisor-protocol.js'
import { validateTopicName } from '../../../actors/supervisor/topic-rules.js'
import type {
  MetadataRequest,
  MetadataResponse,
  MetadataResponsePartition,
  MetadataResponseTopic,
} from '../../../runtime/kafka-protocol/generated/metadata.js'
import { ApiKeys, ZERO_UUID } from '../../../runtime/kafka-protocol/index.js'
import { advertisedBrokers, findTopic, isBrokerAlive } from '../cluster-view.js'
import { codeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** Kafka's "not asked for" value of the authorized-operations bitfields. */
const OPERATIONS_OMITTED = -2147483648
/** Kafka's `num.partitions` and `default.replication.factor` for auto-created topics. */
const AUTO_CREATED_PARTITIONS = 1
const AUTO_CREATED_REPLICATION = 1

/**
 * Metadata: the live brokers at their listeners' addresses, and the topics asked for (all of
 * them when none are named) with each partition's leader, replicas, ISR and leader epoch.
 * With `auto.create.topics.enable`, topics asked for that do not exist are created first.
 */
export const metadata: RequestHandler<typeof ApiKeys.Metadata> = {
  apiKey: ApiKeys.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(request, version, { listener }): Promise<MetadataResponse> {
    const { cluster } = listener
    const names = requestedNames(request, version)
    let snapshot = await cluster.metadata.latest()
    if (names !== undefined && listener.autoCreateTopics && request.allowAutoTopicCreation) {
      const missing = names.filter(
        (name): name is string =>
          name !== null && findTopic(snapshot, name) === undefined && isLegalName(name),
      )
      if (missing.length > 0) {
        await cluster.supervisor.ask<TopicResult[]>({
          type: 'create-topics',
          topics: missing.map((topic) => ({
            topic,
            numPartitions: AUTO_CREATED_PARTITIONS,
            replicationFactor: AUTO_CREATED_REPLICATION,
          })),
        })
        snapshot = await cluster.metadata.refresh()
      }
    }
    const topics =
      names === undefined
        ? snapshot.topics.map(({ topic }) => describeTopic(snapshot, topic, version))
        : names.map((name) => describeTopic(snapshot, name, version))
    return {
      throttleTimeMs: 0,
      brokers: advertisedBrokers(snapshot, listener).map(({ nodeId, host, port }) => ({
        nodeId,
        host,
        port,
        rack: null,
      })),
      clusterId: listener.clusterId,
      controllerId: snapshot.controllerId,
      topics,
      clusterAuthorizedOperations: OPERATIONS_OMITTED,
    }
  },
}

/** The topic names asked for, or undefined for all topics; null for a topic asked by id. */
function requestedNames(
  request: MetadataRequest,
  version: number,
): readonly (string | null)[] | undefined {
  if (request.topics === null) return undefined
  // Version 0 has no null list: an empty one means every topic.
  if (version === 0 && request.topics.length === 0) return undefined
  return [...new Set(request.topics.map((topic) => topic.name))]
}

function isLegalName(name: string): boolean {
  try {
    validateTopicName(name)
    return true
  } catch {
    return false
  }
}

function describeTopic(
  snapshot: MetadataSnapshot,
  name: string | null,
  version: number,
): MetadataResponseTopic {
  const found = name === null ? undefined : findTopic(snapshot, name)
  if (found === undefined) {
    return {
      // samsa's topics have no ids, so a topic asked for by id alone is never found; the
      // name may be null only from version 12.
      errorCode: codeOf(name === null ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION'),
      name: name ?? (version >= 12 ? null : ''),
      topicId: ZERO_UUID,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: OPERATIONS_OMITTED,
    }
  }
  return {
    errorCode: NONE,
    name: found.topic,
    topicId: ZERO_UUID,
    isInternal: found.topic === OFFSETS_TOPIC,
    partitions: found.partitions.map((partition) => describePartition(snapshot, partition)),
    topicAuthorizedOperations: OPERATIONS_OMITTED,
  }
}

function describePartition(
  snapshot: MetadataSnapshot,
  partition: PartitionMetadata,
): MetadataResponsePartition {
  const leaderAlive = isBrokerAlive(snapshot, partition.leader)
  return {
    errorCode: leaderAlive ? NONE : codeOf('LEADER_NOT_AVAILABLE'),
    partitionIndex: partition.partition,
    leaderId: leaderAlive ? partition.leader : -1,
    leaderEpoch: partition.leaderEpoch,
    replicaNodes: [...partition.replicas],
    isrNodes: [...partition.isr],
    offlineReplicas: partition.replicas.filter((id) => !isBrokerAlive(snapshot, id)),
  }
}
