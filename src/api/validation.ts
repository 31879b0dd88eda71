/**
 * Checks at the public entry points. Where a real broker would refuse the value, the error is
 * the KafkaJSProtocolError it answers with; where KafkaJS itself refuses it before sending, the
 * error is the KafkaJSNonRetriableError KafkaJS throws for bad input.
 */
import * as topicRules from '../actors/supervisor/topic-rules.js'
import { describeValue } from '../runtime/errors/describe-value.js'
import { createProtocolError, KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import type { RetryOptions } from './retry.js'

export { describeValue }

/** The type of a value as a user would name it in an error message. */
function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') {
    const constructorName: unknown = value.constructor?.name
    return typeof constructorName === 'string' && constructorName !== 'Object'
      ? constructorName
      : 'object'
  }
  return typeof value
}

/** Runs one of the controller's rules early, with the KafkaJS error a caller would get. */
function early<T>(rule: () => T): T {
  try {
    return rule()
  } catch (error) {
    throw toKafkaJSError(error)
  }
}

/** Kafka's topic naming rules, checked before any request is made. */
export function validateTopicName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new KafkaJSNonRetriableError(
      `Invalid topic: expected a string, got ${describeType(name)}`,
    )
  }
  return early(() => topicRules.validateTopicName(name))
}

/**
 * A topic's partition count. KafkaJS's `-1` ("use the broker default") must be resolved by the
 * caller before it gets here.
 */
export function validatePartitionCount(count: unknown): number {
  return early(() => topicRules.validatePartitionCount(count))
}

/** A replica ring size, `samsa.log.capacity.bytes`: INVALID_CONFIG unless a log can have it. */
export function validateLogCapacity(capacity: unknown): number {
  return early(() => topicRules.validateLogCapacity(capacity))
}

/** A replication factor, which can be no larger than the number of live brokers. */
export function validateReplicationFactor(factor: unknown, liveBrokers: number): number {
  return early(() => topicRules.validateReplicationFactor(factor, liveBrokers))
}

/**
 * A message key or value as the producer writes it: a string (as UTF-8), bytes or null.
 * Nothing is converted or copied; the error names the field (`key of` message `index` of
 * `topic`), built only when it is thrown.
 */
export function checkRecordBytes(value: unknown, what: string, index: number, topic: string): void {
  if (value === null || value === undefined || typeof value === 'string') return
  if (value instanceof Uint8Array) return
  throw new KafkaJSNonRetriableError(
    `Invalid ${what} message ${index} for topic "${topic}": expected a string, a Buffer or null, got ${describeType(value)}`,
  )
}

function checkHeaderBytes(value: unknown, field: string): void {
  if (typeof value === 'string' || value instanceof Uint8Array) return
  throw new KafkaJSNonRetriableError(
    `Invalid ${field}: expected a string or a Buffer, got ${describeType(value)}`,
  )
}

/**
 * A message's headers object: each value a string, bytes, an array of those (the header
 * once per element), or null/undefined (KafkaJS writes a missing value as a null one).
 */
export function checkHeaders(headers: unknown, field = 'headers'): void {
  if (typeof headers !== 'object' || Array.isArray(headers) || headers instanceof Uint8Array) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${field}: expected an object of header values, got ${describeType(headers)}`,
    )
  }
  for (const [name, value] of Object.entries(headers as object)) {
    if (value === null || value === undefined) continue
    if (Array.isArray(value)) {
      value.forEach((element, index) => {
        checkHeaderBytes(element, `${field}.${name}[${index}]`)
      })
    } else checkHeaderBytes(value, `${field}.${name}`)
  }
}

/** An options object a call requires. */
export function requireObject(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${what}: expected an object, got ${describeValue(value)}`,
    )
  }
  return value as Readonly<Record<string, unknown>>
}

/** An options object a call may go without. */
export function optionalObject(value: unknown, what: string): Readonly<Record<string, unknown>> {
  return value === undefined ? {} : requireObject(value, what)
}

/** An array, its holes (`[, 'a']`) as undefined: `map` skips holes, so no check would see them. */
export function requireArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${what}: expected an array, got ${describeValue(value)}`,
    )
  }
  return Array.from(value)
}

/** A list of topic names, each checked by Kafka's rules. */
export function validateTopicNames(value: unknown, what: string): string[] {
  return requireArray(value, what).map((name) => validateTopicName(name))
}

/**
 * Kafka's group ids are protocol STRINGs (an int16 byte length), so no client can send a
 * longer one; here a longer one would fill the offsets topic's ring with one record.
 */
const MAX_GROUP_ID_LENGTH = 32_767

/** A consumer group's id: what a coordinator refuses with INVALID_GROUP_ID. */
export function validateGroupId(groupId: unknown): string {
  if (typeof groupId !== 'string' || groupId.length === 0) {
    throw createProtocolError(
      'INVALID_GROUP_ID',
      `a group id must be a non-empty string, got ${describeValue(groupId)}`,
    )
  }
  if (groupId.length > MAX_GROUP_ID_LENGTH) {
    throw createProtocolError(
      'INVALID_GROUP_ID',
      `a group id is at most ${MAX_GROUP_ID_LENGTH} characters, got ${groupId.length}`,
    )
  }
  return groupId
}

/** Kafka's partition ids are int32s. */
const MAX_PARTITION_ID = 2 ** 31 - 1

export function validatePartitionId(partition: unknown, what: string): number {
  if (
    typeof partition !== 'number' ||
    !Number.isInteger(partition) ||
    partition < 0 ||
    partition > MAX_PARTITION_ID
  ) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${what}: expected a partition number, got ${describeValue(partition)}`,
    )
  }
  return partition
}

/** ListOffsets' sentinels: the latest offset (the high watermark) and the earliest. */
export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2

/**
 * The timestamp of `fetchTopicOffsetsByTimestamp`: epoch milliseconds, or -1 (latest) and -2
 * (earliest) as Kafka's ListOffsets takes them; none gives the latest, as samsa always has.
 */
export function validateOffsetTimestamp(timestamp: unknown): number | undefined {
  if (timestamp === undefined) return undefined
  if (
    typeof timestamp !== 'number' ||
    !Number.isSafeInteger(timestamp) ||
    timestamp < EARLIEST_TIMESTAMP
  ) {
    throw new KafkaJSNonRetriableError(
      `Invalid timestamp: expected epoch milliseconds (or -1 latest, -2 earliest), got ${describeValue(timestamp)}`,
    )
  }
  return timestamp
}

function optionalNumberOption(
  options: Readonly<Record<string, unknown>>,
  name: string,
  owner: string,
  range: { readonly min: number; readonly integer?: boolean },
): void {
  const value = options[name]
  if (value === undefined) return
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < range.min ||
    (range.integer === true && !Number.isInteger(value) && value !== Number.POSITIVE_INFINITY)
  ) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${owner}.${name}: expected a number ≥ ${range.min}, got ${describeValue(value)}`,
    )
  }
}

/** KafkaJS's `retry` options, given to a producer or an admin client. */
export function validateRetryOptions(retry: unknown, owner: string): RetryOptions | undefined {
  if (retry === undefined) return undefined
  const options = requireObject(retry, owner)
  optionalNumberOption(options, 'retries', owner, { min: 0, integer: true })
  optionalNumberOption(options, 'initialRetryTime', owner, { min: 0 })
  optionalNumberOption(options, 'maxRetryTime', owner, { min: 0 })
  optionalNumberOption(options, 'multiplier', owner, { min: 1 })
  for (const name of ['initialRetryTime', 'maxRetryTime', 'multiplier']) {
    if (options[name] === Number.POSITIVE_INFINITY) {
      throw new KafkaJSNonRetriableError(`Invalid ${owner}.${name}: expected a finite number`)
    }
  }
  return options as RetryOptions
}
