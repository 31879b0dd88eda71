import type {
  MetadataSnapshot,
  PartitionMetadata,
  TopicMetadata,
} from '../../actors/supervisor/supervisor-protocol.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { BrokerAddress, ListenerContext } from './serve-context.js'

/** A broker as wire clients see it: an id and the address of its listener. */
export interface AdvertisedBroker extends BrokerAddress {
  readonly nodeId: number
}

/** The live brokers that listen, as Metadata and DescribeCluster list them. */
export function advertisedBrokers(
  snapshot: MetadataSnapshot,
  listener: ListenerContext,
): AdvertisedBroker[] {
  return snapshot.brokers.flatMap((broker) => {
    const address = listener.addresses.get(broker.nodeId)
    return broker.alive && address !== undefined ? [{ nodeId: broker.nodeId, ...address }] : []
  })
}

export function isBrokerAlive(snapshot: MetadataSnapshot, brokerId: number): boolean {
  return snapshot.brokers.some((broker) => broker.nodeId === brokerId && broker.alive)
}

export function findTopic(snapshot: MetadataSnapshot, name: string): TopicMetadata | undefined {
  return snapshot.topics.find((topic) => topic.topic === name)
}

export function findPartition(
  topic: TopicMetadata | undefined,
  partition: number,
): PartitionMetadata | undefined {
  const indexed = topic?.partitions[partition]
  return indexed?.partition === partition
    ? indexed
    : topic?.partitions.find((entry) => entry.partition === partition)
}

/**
 * A partition this listener's broker leads, or the error a Kafka broker answers for it: a
 * client reads from and writes to the leader only.
 */
export function ledPartition(
  snapshot: MetadataSnapshot,
  listener: ListenerContext,
  topic: string,
  partition: number,
): PartitionMetadata {
  const found = findPartition(findTopic(snapshot, topic), partition)
  if (found === undefined) {
    throw new KafkaProtocolError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `this server does not host ${topic}-${partition}`,
    )
  }
  if (found.leader !== listener.brokerId) {
    throw new KafkaProtocolError(
      'NOT_LEADER_OR_FOLLOWER',
      `broker ${listener.brokerId} does not lead ${topic}-${partition}`,
    )
  }
  return found
}
