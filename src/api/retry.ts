import {
  type GivenUp,
  KAFKAJS_RETRY,
  type ResolvedRetryOptions,
  RetryPolicy,
} from '../actors/client/retry-policy.js'
import type { Clock } from '../runtime/clock/clock.js'
import {
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  toKafkaJSError,
} from './errors.js'
import { describeValue } from './validation.js'

export type { RetryOptions } from '../actors/client/retry-policy.js'

/** KafkaJS's `retry` option of a client, checked, as the one retry policy. */
export function resolveRetry(value: unknown, client: string): RetryPolicy {
  if (value === undefined || value === null) return new RetryPolicy(KAFKAJS_RETRY)
  if (typeof value !== 'object') {
    throw new KafkaJSNonRetriableError(
      `${client} retry must be an object, got ${describeValue(value)}`,
    )
  }
  const options = value as Record<string, unknown>
  const number = (name: keyof ResolvedRetryOptions, min: number): number => {
    const given = options[name]
    if (given === undefined || given === null) return KAFKAJS_RETRY[name]
    if (typeof given !== 'number' || Number.isNaN(given) || given < min) {
      throw new KafkaJSNonRetriableError(
        `${client} retry.${name} must be a number ≥ ${min}, got ${describeValue(given)}`,
      )
    }
    return given
  }
  return new RetryPolicy({
    retries: number('retries', 0),
    initialRetryTime: number('initialRetryTime', 0),
    maxRetryTime: number('maxRetryTime', 0),
    multiplier: number('multiplier', 1),
  })
}

/**
 * KafkaJS's errors for a call that stopped retrying: running out of retries gives
 * KafkaJSNumberOfRetriesExceeded; a non-retriable error at the first attempt is given as it is
 * (e.g. a KafkaJSProtocolError), and after retries as KafkaJSNonRetriableError.
 */
export function kafkaJSGiveUp({ error, retryCount, elapsedMs, exhausted }: GivenUp): Error {
  const mapped = toKafkaJSError(error)
  if (exhausted) {
    return new KafkaJSNumberOfRetriesExceeded(mapped, { retryCount, retryTime: elapsedMs })
  }
  return retryCount === 0 ? mapped : new KafkaJSNonRetriableError(mapped, { cause: mapped })
}

/** Runs `attempt` under `policy`, refreshing metadata before each retry, with KafkaJS's errors. */
export function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  beforeRetry: () => Promise<unknown>,
): Promise<T> {
  return policy.run(attempt, clock, { beforeRetry, giveUp: kafkaJSGiveUp })
}
