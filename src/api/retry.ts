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
import { validateRetryOptions } from './validation.js'

export type { RetryOptions } from '../actors/client/retry-policy.js'

/** KafkaJS's `retry` option of a client (`owner` names it in errors), checked, as the one retry policy. */
export function resolveRetry(value: unknown, owner: string): RetryPolicy {
  const options = validateRetryOptions(value, owner) ?? {}
  const given = (name: keyof ResolvedRetryOptions) => options[name] ?? KAFKAJS_RETRY[name]
  return new RetryPolicy({
    retries: given('retries'),
    initialRetryTime: given('initialRetryTime'),
    maxRetryTime: given('maxRetryTime'),
    multiplier: given('multiplier'),
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
