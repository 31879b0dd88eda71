import type {
  SupervisorRequest,
  TopicResult,
} from '../../../actors/supervisor/supervisor-protocol.js'
import type { ActorRef } from '../../../runtime/actor/actor-ref.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import { fromWireError } from '../../../runtime/errors/wire-error.js'
import { errorCodeOf, errorMessageOf, NONE } from '../error-codes.js'

export interface TopicOutcome {
  readonly errorCode: number
  readonly errorMessage: string | null
}

/** The controller's outcome for one topic as Kafka's error code and message. */
export function topicOutcome(topic: string, result: TopicResult | undefined): TopicOutcome {
  if (result?.outcome === 'done') return { errorCode: NONE, errorMessage: null }
  const error =
    result === undefined
      ? new KafkaProtocolError(
          'UNKNOWN_SERVER_ERROR',
          `the controller did not answer for '${topic}'`,
        )
      : result.outcome === 'already-exists'
        ? new KafkaProtocolError('TOPIC_ALREADY_EXISTS', `topic '${topic}' already exists`)
        : fromWireError(result.error)
  return { errorCode: errorCodeOf(error, 'NOT_CONTROLLER'), errorMessage: errorMessageOf(error) }
}

/** Every topic failed alike: the controller could not be asked. */
export function failedOutcome(error: unknown): TopicOutcome {
  return { errorCode: errorCodeOf(error, 'NOT_CONTROLLER'), errorMessage: errorMessageOf(error) }
}

/**
 * Asks the controller a per-topic request (create partitions, delete topics) and gives each
 * topic's outcome: the controller's answer for it, or, when it could not be asked, that failure.
 */
export async function askTopicOutcomes(
  supervisor: ActorRef<SupervisorRequest>,
  request: SupervisorRequest,
): Promise<(topic: string) => TopicOutcome> {
  try {
    const results = await supervisor.ask<TopicResult[]>(request)
    return (topic) =>
      topicOutcome(
        topic,
        results.find((result) => result.topic === topic),
      )
  } catch (error) {
    return () => failedOutcome(error)
  }
}
