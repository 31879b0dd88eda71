import type {
  SupervisorRequest,
  TopicResult,
  TopicSpec,
} from '../../../actors/supervisor/supervisor-protocol.js'
import { validateTopicName } from '../../../actors/supervisor/topic-rules.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type {
  CreatableTopic,
  CreatableTopicResult,
  CreateTopicsResponse,
} from '../../../runtime/kafka-protocol/generated/create-topics.js'
import { ApiKeys, ZERO_UUID } from '../../../runtime/kafka-protocol/index.js'
import { topicSpecOf } from '../../topic-specs.js'
import { errorCodeOf, errorMessageOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import { failedOutcome, type TopicOutcome, topicOutcome } from './topic-results.js'

/**
 * CreateTopics: through the controller, as the admin client creates them; the topic configs
 * samsa honours are taken, any other is INVALID_CONFIG. Answered once the partitions exist.
 */
export const createTopics: RequestHandler<typeof ApiKeys.CreateTopics> = {
  apiKey: ApiKeys.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(request, _version, { listener }): Promise<CreateTopicsResponse> {
    const outcomes = new Map<string, TopicOutcome>()
    const specs: TopicSpec[] = []
    for (const topic of request.topics) {
      try {
        specs.push(topicSpec(topic))
      } catch (error) {
        outcomes.set(topic.name, {
          errorCode: errorCodeOf(error, 'NOT_CONTROLLER'),
          errorMessage: errorMessageOf(error),
        })
      }
    }
    if (request.validateOnly) {
      for (const spec of specs) outcomes.set(spec.topic, { errorCode: NONE, errorMessage: null })
    } else if (specs.length > 0) {
      const asked: SupervisorRequest = { type: 'create-topics', topics: specs }
      try {
        const results = await listener.cluster.supervisor.ask<TopicResult[]>(asked)
        for (const spec of specs) {
          const result = results.find((entry) => entry.topic === spec.topic)
          outcomes.set(spec.topic, topicOutcome(spec.topic, result))
        }
      } catch (error) {
        for (const spec of specs) outcomes.set(spec.topic, failedOutcome(error))
      }
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic): CreatableTopicResult => {
        const outcome = outcomes.get(topic.name) ?? failedOutcome(undefined)
        const spec = specs.find((entry) => entry.topic === topic.name)
        const created = outcome.errorCode === NONE && spec !== undefined
        return {
          name: topic.name,
          topicId: ZERO_UUID,
          ...outcome,
          topicConfigErrorCode: NONE,
          numPartitions: created ? spec.numPartitions : -1,
          replicationFactor: created ? spec.replicationFactor : -1,
          configs: null,
        }
      }),
    }
  },
}

function topicSpec(topic: CreatableTopic): TopicSpec {
  validateTopicName(topic.name)
  if (topic.assignments.length > 0) {
    throw new KafkaProtocolError(
      'INVALID_REPLICA_ASSIGNMENT',
      'samsa places replicas itself; replica assignments are not taken',
    )
  }
  // The admin client's reading of a topic (defaults, the configs samsa honours), so both
  // faces refuse the same topics with the same errors.
  return topicSpecOf({
    topic: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    configEntries: topic.configs.map(({ name, value }) => ({ name, value })),
  })
}
