import type { KafkaErrorType } from '../../runtime/errors/kafka-error-codes.js'
import { errorOfFailure } from '../../runtime/requests/request-dispatch.js'
import type { RequestApi, RequestDescription } from '../../runtime/requests/request-rules.js'
import { wholeTopics } from '../requests/request-topics.js'
import type { TopicResult } from './supervisor-protocol.js'
import type { SupervisorMessage } from './supervisor-state.js'

/** A topic request's answer error, as the request log gives one: its first failed topic's. */
function firstTopicError(reply: unknown): KafkaErrorType | null {
  const results = Array.isArray(reply) ? (reply as TopicResult[]) : []
  const failed = results.find((result) => result.error !== undefined)?.error
  return failed === undefined ? null : errorOfFailure(failed)
}

/**
 * The Kafka requests among the controller's messages (no broker: the controller is not one
 * here); reports from brokers and its own messages are not requests.
 */
export function describeSupervisorRequest(
  message: SupervisorMessage,
): RequestDescription | undefined {
  const request = (api: RequestApi, topics: readonly string[] = []): RequestDescription => ({
    api,
    topics: wholeTopics(topics),
  })
  const topicRequest = (api: RequestApi, topics: readonly string[]): RequestDescription => ({
    ...request(api, topics),
    errorInReply: firstTopicError,
  })
  switch (message.type) {
    case 'metadata':
      return request('Metadata', message.topics)
    case 'create-topics':
      return topicRequest(
        'CreateTopics',
        message.topics.map((spec) => spec.topic),
      )
    case 'delete-topics':
      return topicRequest('DeleteTopics', message.topics)
    case 'create-partitions':
      return topicRequest(
        'CreatePartitions',
        message.topicPartitions.map((entry) => entry.topic),
      )
    case 'init-producer-id':
      return request('InitProducerId')
    case 'find-coordinator':
      return request('FindCoordinator')
    case 'elect-preferred':
      return request('ElectLeaders', message.topics)
    default:
      return undefined
  }
}
