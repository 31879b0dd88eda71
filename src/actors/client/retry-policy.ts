import type { Clock } from '../../runtime/clock/clock.js'

/** KafkaJS's `retry` options. */
export interface RetryOptions {
  readonly retries?: number
  readonly initialRetryTime?: number
  readonly maxRetryTime?: number
  readonly multiplier?: number
}

export type ResolvedRetryOptions = Required<RetryOptions>

/** KafkaJS's defaults. */
export const KAFKAJS_RETRY: ResolvedRetryOptions = {
  retries: 5,
  initialRetryTime: 300,
  maxRetryTime: 30_000,
  multiplier: 2,
}

/** Errors that are bugs, not conditions: trying again only repeats them. */
const PROGRAMMING_ERRORS = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'])

/**
 * Whether trying again can help. An error that says so decides (a broker's answer says what
 * Kafka's error table says of its code); of the rest, anything but a programming error is worth
 * another try, as KafkaJS's retrier treats a failing handler.
 */
export function isRetriable(error: unknown): boolean {
  if (!(error instanceof Error)) return true
  const retriable = (error as { readonly retriable?: unknown }).retriable
  if (typeof retriable === 'boolean') return retriable
  return !PROGRAMMING_ERRORS.has(error.name)
}

/** Why a retried call stopped: the last error, and how many retries and how long it took. */
export interface GivenUp {
  readonly error: unknown
  readonly retryCount: number
  readonly elapsedMs: number
  /** True when retries ran out; false when the error was not worth retrying. */
  readonly exhausted: boolean
}

export interface RetryHooks {
  /** Which errors to try again after (default: `isRetriable`). */
  readonly shouldRetry?: (error: unknown) => boolean
  /** Runs before each retry's wait, e.g. a metadata refresh; its failure is ignored. */
  readonly beforeRetry?: (error: unknown) => Promise<unknown> | undefined
  /** What to throw when giving up (default: the last error). */
  readonly giveUp?: (outcome: GivenUp) => unknown
}

/**
 * One retry policy for every client: exponential waits from `initialRetryTime`, each at most
 * `maxRetryTime`, at most `retries` times. No jitter (KafkaJS adds some), so that a seeded run
 * replays; every wait is on the cluster's clock.
 */
export class RetryPolicy {
  readonly retries: number
  readonly initialRetryTime: number
  readonly maxRetryTime: number
  readonly multiplier: number

  constructor(options: ResolvedRetryOptions) {
    this.retries = options.retries
    this.initialRetryTime = options.initialRetryTime
    this.maxRetryTime = options.maxRetryTime
    this.multiplier = options.multiplier
  }

  /** The wait before retry number `retryCount + 1`. */
  delayAfter(retryCount: number): number {
    return Math.min(this.maxRetryTime, this.initialRetryTime * this.multiplier ** retryCount)
  }

  /** Runs `attempt` until it succeeds, an error is not worth retrying, or retries run out. */
  async run<T>(attempt: () => Promise<T>, clock: Clock, hooks: RetryHooks = {}): Promise<T> {
    const { shouldRetry = isRetriable, beforeRetry, giveUp = (outcome) => outcome.error } = hooks
    const started = clock.now()
    for (let retryCount = 0; ; retryCount++) {
      try {
        return await attempt()
      } catch (error) {
        const worthRetrying = shouldRetry(error)
        if (!worthRetrying || retryCount >= this.retries) {
          throw giveUp({
            error,
            retryCount,
            elapsedMs: clock.now() - started,
            exhausted: worthRetrying,
          })
        }
        await beforeRetry?.(error)?.catch(() => {})
        await new Promise<void>((resolve) => clock.schedule(this.delayAfter(retryCount), resolve))
      }
    }
  }
}
