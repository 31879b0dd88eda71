import { type OffsetToCommit, parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from '../../../runtime/kafka-protocol/generated/txn-offset-commit.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator, checkGroupId, transactionErrorCode } from '../coordinator-requests.js'
import type { RequestHandler } from '../request-handler.js'

/** No version of TxnOffsetCommit answers PRODUCER_FENCED: a fenced producer's is INVALID_PRODUCER_EPOCH. */
const FENCED_SINCE = Number.POSITIVE_INFINITY

/**
 * TxnOffsetCommit: the group's coordinator writes the offsets as the producer's pending ones,
 * held apart until the transaction coordinator ends the transaction (committed then, or
 * dropped), as for an in-process producer's `sendOffsets`. The whole commit succeeds or fails
 * together.
 */
export const txnOffsetCommit: RequestHandler<typeof ApiKeys.TxnOffsetCommit> = {
  apiKey: ApiKeys.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<TxnOffsetCommitResponse> {
    const errorCode = await transactionErrorCode(
      request,
      version,
      FENCED_SINCE,
      ({ producerId, producerEpoch }) => {
        checkGroupId(request.groupId)
        return askCoordinator(
          listener,
          {
            type: 'txn-offset-commit',
            groupId: request.groupId,
            producerId,
            producerEpoch,
            offsets: offsetsOf(request),
          },
          parseTrue,
        )
      },
    )
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map(({ partitionIndex }) => ({ partitionIndex, errorCode })),
      })),
    }
  },
}

/** The offsets to commit: a transaction commits positions, so each is an offset in a log. */
function offsetsOf(request: TxnOffsetCommitRequest): OffsetToCommit[] {
  return request.topics.flatMap((topic) =>
    topic.partitions.map((partition) => {
      const offset = partition.committedOffset
      if (partition.partitionIndex < 0 || offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new KafkaProtocolError(
          'INVALID_REQUEST',
          `offset ${offset} of ${topic.name}-${partition.partitionIndex} is no position in a log`,
        )
      }
      return {
        topic: topic.name,
        partition: partition.partitionIndex,
        offset: Number(offset),
        metadata: partition.committedMetadata,
      }
    }),
  )
}
