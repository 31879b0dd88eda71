import { ActorTerminatedError, AskTimeoutError } from '../../runtime/errors/actor-errors.js'
import { KAFKA_ERROR_CODES, type KafkaErrorType } from '../../runtime/errors/kafka-error-codes.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { KafkaJSProtocolError } from '../errors.js'

export const NONE = 0

export function codeOf(type: KafkaErrorType): number {
  return KAFKA_ERROR_CODES[type].code
}

/**
 * The Kafka error code a wire client gets for a failed request. Kafka's own errors keep their
 * code; a dead or silent actor becomes what a Kafka client would see from a broker in that
 * state (`unreachable`: NOT_COORDINATOR for group requests, so the client looks again);
 * anything else is UNKNOWN_SERVER_ERROR.
 */
export function errorCodeOf(error: unknown, unreachable: KafkaErrorType): number {
  if (error instanceof KafkaProtocolError || error instanceof KafkaJSProtocolError) {
    return error.code
  }
  if (error instanceof ActorTerminatedError) return codeOf(unreachable)
  if (error instanceof AskTimeoutError) return codeOf('REQUEST_TIMED_OUT')
  return codeOf('UNKNOWN_SERVER_ERROR')
}

/** The message to send with the code, where the response has room for one. */
export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * As `errorCodeOf`, for a transaction request from a client that may predate PRODUCER_FENCED:
 * below `fencedSince`, the request's first version that knows it, a fenced producer is told
 * INVALID_PRODUCER_EPOCH instead, which such clients handle the same way (as Kafka does).
 */
export function transactionErrorCodeOf(
  error: unknown,
  version: number,
  fencedSince: number,
): number {
  const code = errorCodeOf(error, 'NOT_COORDINATOR')
  return code === codeOf('PRODUCER_FENCED') && version < fencedSince
    ? codeOf('INVALID_PRODUCER_EPOCH')
    : code
}
