/**
 * Checks at the public entry points. Where a real broker would refuse the value, the error is
 * the KafkaJSProtocolError it answers with; where KafkaJS itself refuses it before sending, the
 * error is the KafkaJSNonRetriableError KafkaJS throws for bad input.
 */
import * as topicRules from '../actors/supervisor/topic-rules.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'

/** What a header value becomes: KafkaJS writes a missing one as a null header value. */
export type HeaderValue = Buffer | Buffer[] | null

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

/** A replication factor, which can be no larger than the number of live brokers. */
export function validateReplicationFactor(factor: unknown, liveBrokers: number): number {
  return early(() => topicRules.validateReplicationFactor(factor, liveBrokers))
}

/** Bytes as a Buffer over the same memory, so a caller's Uint8Array is never copied. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}

/** A message key or value as the Buffer (or null) samsa stores; `field` names it in errors. */
export function toBufferOrNull(value: unknown, field: string): Buffer | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (value instanceof Uint8Array) return asBuffer(value)
  throw new KafkaJSNonRetriableError(
    `Invalid ${field}: expected a string, a Buffer or null, got ${describeType(value)}`,
  )
}

function toHeaderBytes(value: unknown, field: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (value instanceof Uint8Array) return asBuffer(value)
  throw new KafkaJSNonRetriableError(
    `Invalid ${field}: expected a string or a Buffer, got ${describeType(value)}`,
  )
}

/** One header's value; an array gives the header several values, in order. */
export function toHeaderValue(value: unknown, field: string): HeaderValue {
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) {
    return value.map((element, index) => toHeaderBytes(element, `${field}[${index}]`))
  }
  return toHeaderBytes(value, field)
}

/** A message's headers object, every value converted; missing headers become `{}`. */
export function toHeaders(headers: unknown, field = 'headers'): Record<string, HeaderValue> {
  if (headers === null || headers === undefined) return {}
  if (typeof headers !== 'object' || Array.isArray(headers) || headers instanceof Uint8Array) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${field}: expected an object of header values, got ${describeType(headers)}`,
    )
  }
  // fromEntries defines each key, so a header named "__proto__" stays a header.
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      toHeaderValue(value, `${field}.${name}`),
    ]),
  )
}
