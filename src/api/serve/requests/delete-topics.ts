import type { DeleteTopicsResponse } from '../../../runtime/kafka-protocol/generated/delete-topics.js'
import { ApiKeys, ZERO_UUID } from '../../../runtime/kafka-protocol/index.js'
import { codeOf } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import { askTopicOutcomes, type TopicOutcome, topicOutcome } from './topic-results.js'

/** DeleteTopics, by name (samsa's topics have no ids), through the controller. */
export const deleteTopics: RequestHandler<typeof ApiKeys.DeleteTopics> = {
  apiKey: ApiKeys.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, version, { listener }): Promise<DeleteTopicsResponse> {
    const asked = version >= 6 ? request.topics.map((topic) => topic.name) : request.topicNames
    const names = asked.filter((name): name is string => name !== null)
    const outcomes: (name: string) => TopicOutcome =
      names.length === 0
        ? (name) => topicOutcome(name, undefined)
        : await askTopicOutcomes(listener.cluster.supervisor, {
            type: 'delete-topics',
            topics: names,
          })
    return {
      throttleTimeMs: 0,
      responses: asked.map((name) => ({
        name,
        topicId: ZERO_UUID,
        ...(name === null
          ? { errorCode: codeOf('UNKNOWN_TOPIC_ID'), errorMessage: 'samsa topics have no ids' }
          : outcomes(name)),
      })),
    }
  },
}
