import type { RetryPolicy } from '../actors/client/retry-policy.js'
import type { ReadIsolation } from '../actors/consumer/partition-fetcher.js'
import { type PartitionAssigner, PartitionAssigners } from './assigners/index.js'
import { KafkaJSNonRetriableError } from './errors.js'
import { type RetryOptions, resolveRetry } from './retry.js'
import { describeValue } from './validation.js'

/** KafkaJS's retry options; the consumer retries failed fetches and handlers with them. */
export interface ConsumerRetryOptions extends RetryOptions {
  /** After a crash, whether to start again (default: yes, for retriable errors, as KafkaJS). */
  readonly restartOnFailure?: (error: Error) => Promise<boolean>
}

/** KafkaJS's consumer options, and Kafka's `group.instance.id` for static membership. */
export interface ConsumerConfig {
  readonly groupId: string
  /** Default `[PartitionAssigners.roundRobin]`, as KafkaJS. */
  readonly partitionAssigners?: readonly PartitionAssigner[]
  /** Kafka's static membership: a member that comes back within its session keeps its partitions. */
  readonly groupInstanceId?: string
  readonly metadataMaxAge?: number
  readonly sessionTimeout?: number
  readonly rebalanceTimeout?: number
  readonly heartbeatInterval?: number
  readonly maxBytesPerPartition?: number
  readonly minBytes?: number
  readonly maxBytes?: number
  readonly maxWaitTimeInMs?: number
  readonly retry?: ConsumerRetryOptions
  readonly allowAutoTopicCreation?: boolean
  readonly maxInFlightRequests?: number
  readonly readUncommitted?: boolean
  readonly rackId?: string
}

export interface TopicPartitions {
  readonly topic: string
  readonly partitions?: readonly number[]
}

export interface ResolvedConfig {
  readonly groupId: string
  readonly groupInstanceId: string | undefined
  readonly partitionAssigners: readonly unknown[]
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly maxWaitTimeMs: number
  readonly maxBytes: number
  readonly maxBytesPerPartition: number
  readonly metadataMaxAgeMs: number
  /** KafkaJS's `readUncommitted` (default false): read committed stops at the last stable offset. */
  readonly isolation: ReadIsolation
  readonly retry: RetryPolicy
  /** After a crash, whether to start again; undefined: as KafkaJS decides. */
  readonly restartOnFailure: ((error: Error) => Promise<boolean>) | undefined
}

const OFFSET_PATTERN = /^-?\d+$/

/** A value named for an error message, whatever it is (see describeValue). */
export const describe = describeValue

function optionalNumber(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new KafkaJSNonRetriableError(
      `Consumer ${name} must be a number ≥ ${min}, got ${describe(value)}`,
    )
  }
  return value
}

function readIsolation(readUncommitted: unknown): ReadIsolation {
  if (readUncommitted === undefined || readUncommitted === null) return 'read-committed'
  if (typeof readUncommitted !== 'boolean') {
    throw new KafkaJSNonRetriableError(
      `Consumer readUncommitted must be a boolean, got ${describe(readUncommitted)}`,
    )
  }
  return readUncommitted ? 'read-uncommitted' : 'read-committed'
}

/** The consumer's `retry.restartOnFailure`, checked. */
function restartCallback(retry: unknown): ((error: Error) => Promise<boolean>) | undefined {
  if (typeof retry !== 'object' || retry === null) return undefined
  const { restartOnFailure } = retry as ConsumerRetryOptions
  if (restartOnFailure !== undefined && typeof restartOnFailure !== 'function') {
    throw new KafkaJSNonRetriableError('Consumer retry.restartOnFailure must be a function')
  }
  return restartOnFailure
}

export function resolveConfig(config: unknown): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
  }
  const options = config as ConsumerConfig
  if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
    throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
  }
  const sessionTimeout = optionalNumber(options.sessionTimeout, 'sessionTimeout', 30_000, 1)
  const heartbeatInterval = optionalNumber(options.heartbeatInterval, 'heartbeatInterval', 3_000, 0)
  if (heartbeatInterval >= sessionTimeout) {
    throw new KafkaJSNonRetriableError(
      `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
    )
  }
  const { groupInstanceId } = options
  if (
    groupInstanceId !== undefined &&
    (typeof groupInstanceId !== 'string' || groupInstanceId.length === 0)
  ) {
    throw new KafkaJSNonRetriableError(
      `Consumer groupInstanceId must be a non-empty string, got ${describe(groupInstanceId)}`,
    )
  }
  return {
    groupId: options.groupId,
    groupInstanceId,
    partitionAssigners: options.partitionAssigners ?? [PartitionAssigners.roundRobin],
    sessionTimeoutMs: sessionTimeout,
    rebalanceTimeoutMs: optionalNumber(options.rebalanceTimeout, 'rebalanceTimeout', 60_000, 1),
    heartbeatIntervalMs: heartbeatInterval,
    maxWaitTimeMs: optionalNumber(options.maxWaitTimeInMs, 'maxWaitTimeInMs', 5_000, 0),
    maxBytes: optionalNumber(options.maxBytes, 'maxBytes', 10_485_760, 1),
    maxBytesPerPartition: optionalNumber(
      options.maxBytesPerPartition,
      'maxBytesPerPartition',
      1_048_576,
      1,
    ),
    metadataMaxAgeMs: optionalNumber(options.metadataMaxAge, 'metadataMaxAge', 300_000, 0),
    isolation: readIsolation(options.readUncommitted),
    retry: resolveRetry(options.retry, 'consumer retry'),
    restartOnFailure: restartCallback(options.retry),
  }
}

export function validTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new KafkaJSNonRetriableError(`Invalid topic ${describe(topic)}`)
  }
  return topic
}

export function validPartition(partition: unknown): number {
  const value =
    typeof partition === 'string' && partition.trim() !== '' ? Number(partition) : partition
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new KafkaJSNonRetriableError(
      `Invalid partition, expected a number received ${describe(partition)}`,
    )
  }
  return value
}

/** An offset as KafkaJS's `Long.fromValue` takes it: a string or number of an integer. */
export function parseOffset(offset: unknown): number {
  const text =
    typeof offset === 'bigint'
      ? offset.toString()
      : typeof offset === 'number'
        ? String(offset)
        : offset
  if (
    typeof text !== 'string' ||
    !OFFSET_PATTERN.test(text) ||
    !Number.isSafeInteger(Number(text))
  ) {
    throw new KafkaJSNonRetriableError(
      `Invalid offset, expected a long received ${describe(offset)}`,
    )
  }
  return Number(text)
}

export function validTopicPartitions(list: unknown, verb: 'pause' | 'resume'): TopicPartitions[] {
  if (list === undefined) return []
  if (!Array.isArray(list)) {
    throw new KafkaJSNonRetriableError(`${verb} takes an array of { topic, partitions }`)
  }
  // Array.from, not map: map skips an array's holes, which would go by unchecked.
  return Array.from(list, (entry: unknown) => {
    const topic = (entry as { topic?: unknown } | null | undefined)?.topic
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new KafkaJSNonRetriableError(`Invalid topic ${describe(topic ?? entry)}`)
    }
    const partitions = (entry as { partitions?: unknown }).partitions
    if (partitions === undefined) return { topic }
    if (!Array.isArray(partitions)) {
      throw new KafkaJSNonRetriableError(
        `Array of valid partitions required to ${verb} specific partitions instead of ${describe(partitions)}`,
      )
    }
    try {
      return { topic, partitions: Array.from(partitions, validPartition) }
    } catch {
      throw new KafkaJSNonRetriableError(
        `Array of valid partitions required to ${verb} specific partitions instead of ${partitions.slice(0, 20).map(describeValue).join(',')}`,
      )
    }
  })
}
