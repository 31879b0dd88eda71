import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type { OffsetCommitResponse } from '../../../runtime/kafka-protocol/generated/offset-commit.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/**
 * OffsetCommit: the coordinator writes the offsets to the offsets topic (acks all) and answers
 * once they are replicated; the whole commit succeeds or fails together.
 */
export const offsetCommit: RequestHandler<typeof ApiKeys.OffsetCommit> = {
  apiKey: ApiKeys.OffsetCommit,
  minVersion: 0,
  // Version 9 is the consumer protocol's (member epochs), which samsa does not run.
  maxVersion: 8,
  async handle(request, _version, { listener }): Promise<OffsetCommitResponse> {
    let errorCode = NONE
    try {
      await askCoordinator(
        listener,
        {
          type: 'offset-commit',
          groupId: request.groupId,
          memberId: request.memberId,
          generationId: request.generationIdOrMemberEpoch,
          offsets: request.topics.flatMap((topic) =>
            topic.partitions.map((partition) => ({
              topic: topic.name,
              partition: partition.partitionIndex,
              offset: Number(partition.committedOffset),
              metadata: partition.committedMetadata,
            })),
          ),
        },
        parseTrue,
      )
    } catch (error) {
      errorCode = errorCodeOf(error, 'NOT_COORDINATOR')
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map(({ partitionIndex }) => ({ partitionIndex, errorCode })),
      })),
    }
  },
}
