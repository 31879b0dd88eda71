// What a transaction coordinator asks of the partitions' leaders and the groups' coordinators:
// that partitions joined a transaction, and, at its end, the markers and the groups' offsets.

import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import {
  type BrokerMessage,
  type ProduceReply,
  parseProduceReply,
  type TopicPartition,
} from '../broker/broker-protocol.js'
import { RetryPolicy } from '../client/retry-policy.js'
import { CoordinatorClient } from '../consumer/coordinator-client.js'
import type { GroupRequest } from '../coordinator/coordinator-protocol.js'
import { parseTrue } from '../coordinator/coordinator-protocol.js'
import {
  type MetadataSnapshot,
  parseMetadataSnapshot,
  type SupervisorRequest,
} from '../supervisor/supervisor-protocol.js'
import type { TransactionMetadata } from './transaction-log.js'

const REQUEST_TIMEOUT_MS = 10_000
/** Markers are retried until they land (Kafka retries them for ever): here about two minutes. */
const MARKER_RETRIES = new RetryPolicy({
  retries: 250,
  initialRetryTime: 5,
  maxRetryTime: 500,
  multiplier: 2,
})

interface LeaderPartitions {
  readonly broker: ActorRef<BrokerMessage>
  readonly partitions: TopicPartition[]
}

/** The partitions by leader broker; partitions of topics that no longer exist are left out. */
async function byLeader(
  controller: ActorRef<SupervisorRequest>,
  partitions: readonly TopicPartition[],
): Promise<Map<number, LeaderPartitions>> {
  const topics = [...new Set(partitions.map(({ topic }) => topic))]
  const snapshot: MetadataSnapshot = await controller.ask(
    { type: 'metadata', topics },
    { parseReply: parseMetadataSnapshot, timeoutMs: REQUEST_TIMEOUT_MS },
  )
  const leaders = new Map<number, LeaderPartitions>()
  for (const entry of partitions) {
    const topic = snapshot.topics.find(({ topic }) => topic === entry.topic)
    if (topic === undefined) continue
    const leaderId = topic.partitions.find(({ partition }) => partition === entry.partition)?.leader
    const broker = snapshot.brokers.find(({ nodeId, alive }) => nodeId === leaderId && alive)
    if (broker === undefined || leaderId === undefined) {
      throw new KafkaProtocolError(
        'LEADER_NOT_AVAILABLE',
        `${entry.topic}-${entry.partition} has no leader`,
      )
    }
    const led = leaders.get(leaderId) ?? { broker: broker.ref, partitions: [] }
    led.partitions.push(entry)
    leaders.set(leaderId, led)
  }
  return leaders
}

/** Tells each partition's leader that the producer's transaction includes it. */
export async function addToPartitionLeaders(
  controller: ActorRef<SupervisorRequest>,
  metadata: TransactionMetadata,
  partitions: readonly TopicPartition[],
): Promise<void> {
  const leaders = await byLeader(controller, partitions)
  await Promise.all(
    [...leaders.values()].map(({ broker, partitions: led }) =>
      broker.ask(
        {
          type: 'add-txn-partitions',
          producerId: metadata.producerId,
          producerEpoch: metadata.producerEpoch,
          partitions: led,
        },
        { parseReply: parseTrue, timeoutMs: REQUEST_TIMEOUT_MS },
      ),
    ),
  )
}

/**
 * Ends a prepared transaction everywhere: a marker in each of its partitions (acks all), and
 * the groups' offsets committed or dropped, each retried until it is done.
 */
export async function writeMarkersAndOffsets(
  controller: ActorRef<SupervisorRequest>,
  clock: Clock,
  metadata: TransactionMetadata,
  coordinatorEpoch: number,
): Promise<void> {
  const commit = metadata.phase === 'PrepareCommit'
  let pending: readonly TopicPartition[] = metadata.partitions
  await MARKER_RETRIES.run(
    async () => {
      const leaders = await byLeader(controller, pending)
      const failed: TopicPartition[] = []
      let firstError: KafkaProtocolError | undefined
      await Promise.all(
        [...leaders.values()].map(async ({ broker, partitions }) => {
          try {
            const reply = await broker.ask<ProduceReply>(
              {
                type: 'write-txn-markers',
                producerId: metadata.producerId,
                producerEpoch: metadata.producerEpoch,
                commit,
                coordinatorEpoch,
                partitions,
              },
              { parseReply: parseProduceReply, timeoutMs: REQUEST_TIMEOUT_MS },
            )
            reply.partitions.forEach((answer, index) => {
              if (answer.error === null) return
              failed.push(partitions[index] as TopicPartition)
              firstError ??= new KafkaProtocolError(answer.error, answer.errorMessage)
            })
          } catch (error) {
            failed.push(...partitions)
            firstError ??= new KafkaProtocolError(
              'NOT_LEADER_OR_FOLLOWER',
              error instanceof Error ? error.message : String(error),
            )
          }
        }),
      )
      pending = failed
      if (firstError !== undefined) throw firstError
    },
    clock,
    { shouldRetry: () => true },
  )
  for (const groupId of metadata.groups) {
    const coordinator = new CoordinatorClient<GroupRequest>(controller, clock, groupId)
    await coordinator.request(
      { type: 'end-txn-offsets', groupId, producerId: metadata.producerId, commit },
      parseTrue,
    )
  }
}
