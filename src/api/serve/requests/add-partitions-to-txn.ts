import type { TopicPartition } from '../../../actors/broker/broker-protocol.js'
import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type {
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnTopic,
  AddPartitionsToTxnTopicResult,
} from '../../../runtime/kafka-protocol/generated/add-partitions-to-txn.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { findPartition, findTopic } from '../cluster-view.js'
import { askTransactionCoordinator, transactionErrorCode } from '../coordinator-requests.js'
import { codeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** AddPartitionsToTxn's first version whose clients know PRODUCER_FENCED. */
const FENCED_SINCE = 2

/**
 * AddPartitionsToTxn (the clients' versions, up to 3; later ones batch transactions for
 * brokers' verification): the transaction coordinator adds the partitions to the producer's
 * transaction and tells their leaders, which take its transactional batches from then on.
 * As in Kafka, a partition that does not exist fails the whole request: it gets
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.
 */
export const addPartitionsToTxn: RequestHandler<typeof ApiKeys.AddPartitionsToTxn> = {
  apiKey: ApiKeys.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, version, { listener }): Promise<AddPartitionsToTxnResponse> {
    const topics = request.v3AndBelowTopics
    const answer = (results: AddPartitionsToTxnTopicResult[]): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: results,
    })
    const snapshot = await listener.cluster.metadata.latest()
    const exists = (topic: string, partition: number) =>
      findPartition(findTopic(snapshot, topic), partition) !== undefined
    if (topics.some((topic) => topic.partitions.some((index) => !exists(topic.name, index)))) {
      return answer(
        resultsOf(topics, (topic, partition) =>
          exists(topic, partition)
            ? codeOf('OPERATION_NOT_ATTEMPTED')
            : codeOf('UNKNOWN_TOPIC_OR_PARTITION'),
        ),
      )
    }
    const errorCode = await transactionErrorCode(
      {
        transactionalId: request.v3AndBelowTransactionalId,
        producerId: request.v3AndBelowProducerId,
        producerEpoch: request.v3AndBelowProducerEpoch,
      },
      version,
      FENCED_SINCE,
      async (producer) => {
        const partitions = distinctPartitions(topics)
        if (partitions.length === 0) return
        await askTransactionCoordinator(
          listener,
          { type: 'add-partitions-to-txn', ...producer, partitions },
          parseTrue,
        )
      },
    )
    return answer(resultsOf(topics, () => errorCode))
  },
}

function distinctPartitions(topics: readonly AddPartitionsToTxnTopic[]): TopicPartition[] {
  const seen = new Map<string, TopicPartition>()
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      seen.set(`${topic.name}\u0000${partition}`, { topic: topic.name, partition })
    }
  }
  return [...seen.values()]
}

function resultsOf(
  topics: readonly AddPartitionsToTxnTopic[],
  errorCodeOf: (topic: string, partition: number) => number,
): AddPartitionsToTxnTopicResult[] {
  return topics.map((topic) => ({
    name: topic.name,
    resultsByPartition: topic.partitions.map((partitionIndex) => ({
      partitionIndex,
      partitionErrorCode: errorCodeOf(topic.name, partitionIndex),
    })),
  }))
}
