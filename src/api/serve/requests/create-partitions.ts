import type { CreatePartitionsResponse } from '../../../runtime/kafka-protocol/generated/create-partitions.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { codeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import { askTopicOutcomes, type TopicOutcome } from './topic-results.js'

/** CreatePartitions: grows topics to `count` partitions, replicas placed by the controller. */
export const createPartitions: RequestHandler<typeof ApiKeys.CreatePartitions> = {
  apiKey: ApiKeys.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, _version, { listener }): Promise<CreatePartitionsResponse> {
    const placed = request.topics.filter((topic) => topic.assignments !== null)
    const growing = request.topics.filter((topic) => topic.assignments === null)
    let outcomes: (name: string) => TopicOutcome = () => ({ errorCode: NONE, errorMessage: null })
    if (!request.validateOnly && growing.length > 0) {
      outcomes = await askTopicOutcomes(listener.cluster.supervisor, {
        type: 'create-partitions',
        topicPartitions: growing.map(({ name, count }) => ({ topic: name, count })),
      })
    }
    return {
      throttleTimeMs: 0,
      results: request.topics.map(({ name }) =>
        placed.some((topic) => topic.name === name)
          ? {
              name,
              errorCode: codeOf('INVALID_REPLICA_ASSIGNMENT'),
              errorMessage: 'samsa places replicas itself; replica assignments are not taken',
            }
          : { name, ...outcomes(name) },
      ),
    }
  },
}
