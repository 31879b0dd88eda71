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
import { TOPIC_CONFIG_FIELDS } from '../../admin.js'
import { errorCodeOf, errorMessageOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import { failedOutcome, type TopicOutcome, topicOutcome } from './topic-results.js'

/** Kafka's `num.partitions` and `default.replication.factor`, for a topic that leaves them out. */
const DEFAULT_PARTITIONS = 1
const DEFAULT_REPLICATION_FACTOR = 1

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
  const spec: Record<string, unknown> = {
    topic: topic.name,
    numPartitions: topic.numPartitions === -1 ? DEFAULT_PARTITIONS : topic.numPartitions,
    replicationFactor:
      topic.replicationFactor === -1 ? DEFAULT_REPLICATION_FACTOR : topic.replicationFactor,
  }
  for (const { name, value } of topic.configs) {
    const field = Object.hasOwn(TOPIC_CONFIG_FIELDS, name) ? TOPIC_CONFIG_FIELDS[name] : undefined
    if (field === undefined) {
      throw new KafkaProtocolError('INVALID_CONFIG', `topic config '${name}' is not supported`)
    }
    const number = Number(value)
    if (value === null || !Number.isSafeInteger(number) || number < 0) {
      throw new KafkaProtocolError('INVALID_CONFIG', `${name} must be a whole number, got ${value}`)
    }
    spec[field] = number
  }
  return spec as unknown as TopicSpec
}
