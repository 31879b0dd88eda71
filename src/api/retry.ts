import type { Clock } from '../runtime/clock/clock.js'
import { SamsaError } from '../runtime/errors/samsa-error.js'
import {
  type KafkaJSAggregateError,
  type KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  toKafkaJSError,
} from './errors.js'

/** KafkaJS's `retry` options, with its defaults. */
export interface RetryOptions {
  readonly retries?: number
  readonly initialRetryTime?: number
  readonly maxRetryTime?: number
  readonly multiplier?: number
}

const DEFAULTS = { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000, multiplier: 2 }

function isRetriable(error: unknown): boolean {
  return error instanceof SamsaError ? error.retriable : false
}

/**
 * Runs `attempt` until it succeeds, KafkaJS style: a retriable error is retried after
 * `beforeRetry` (a metadata refresh) and a growing wait (no jitter, so runs replay); running out
 * of retries gives KafkaJSNumberOfRetriesExceeded; a non-retriable error at the first attempt is
 * given as it is (e.g. a KafkaJSProtocolError), and after retries as KafkaJSNonRetriableError.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: RetryOptions | undefined,
  clock: Clock,
  beforeRetry: () => Promise<unknown>,
): Promise<T> {
  const { retries, initialRetryTime, maxRetryTime, multiplier } = { ...DEFAULTS, ...options }
  const started = clock.now()
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await attempt()
    } catch (error) {
      const mapped: KafkaJSError | KafkaJSAggregateError = toKafkaJSError(error)
      if (!isRetriable(error)) {
        if (retryCount === 0) throw mapped
        throw new KafkaJSNonRetriableError(mapped, { cause: mapped })
      }
      if (retryCount >= retries) {
        throw new KafkaJSNumberOfRetriesExceeded(mapped, {
          retryCount,
          retryTime: clock.now() - started,
        })
      }
      await beforeRetry().catch(() => {})
      const wait = Math.min(maxRetryTime, initialRetryTime * multiplier ** retryCount)
      await new Promise<void>((resolve) => clock.schedule(wait, resolve))
    }
  }
}
