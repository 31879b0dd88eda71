/**
 * Checks at the public entry points. Where a real broker would refuse the value, the error is
 * the KafkaJSProtocolError it answers with; where KafkaJS itself refuses it before sending, the
 * error is the KafkaJSNonRetriableError KafkaJS throws for bad input.
 */
import * as topicRules from '../actors/supervisor/topic-rules.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'

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

/** A value as an error message shows it; never throws (a Symbol has no implicit string). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return `'${value.length > 100 ? `${value.slice(0, 100)}…` : value}'`
  if (typeof value === 'symbol' || typeof value === 'bigint') return value.toString()
  if (typeof value === 'object' && value !== null) return describeType(value)
  return String(value)
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
