import type { Acks } from '../actors/broker/broker-protocol.js'
import {
  CompressionCodecs,
  type CompressionType,
  CompressionTypes,
  isCompressionType,
} from '../runtime/log/compression.js'
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from './errors.js'
import { checkHeaders, checkRecordBytes, describeValue, validateTopicName } from './validation.js'

/* The arguments of a send, checked as KafkaJS checks them, before anything goes out. */

/** KafkaJS's `Message`. */
export interface Message {
  readonly key?: string | Buffer | null
  readonly value: string | Buffer | null
  readonly partition?: number
  readonly headers?: Readonly<Record<string, string | Buffer | (string | Buffer)[] | undefined>>
  readonly timestamp?: string
}

export function toAcks(value: unknown): Acks {
  if (value === undefined) return -1
  if (value === -1 || value === 0 || value === 1) return value
  throw new KafkaJSNonRetriableError(
    `Invalid acks: expected -1, 0 or 1, got ${describeValue(value)}`,
  )
}

/** How an error names a message. */
const messageField = (index: number, topic: string) => `message ${index} for topic "${topic}"`

/**
 * KafkaJS's `compression`: one of `CompressionTypes`, whose codec must be registered in
 * `CompressionCodecs` (samsa registers all four; a user may replace or remove one).
 */
export function toCompression(value: unknown): CompressionType {
  if (value === undefined) return CompressionTypes.None
  if (typeof value !== 'number' || !isCompressionType(value)) {
    throw new KafkaJSNonRetriableError(
      `Invalid compression: expected one of CompressionTypes (0 to 4), got ${describeValue(value)}`,
    )
  }
  if (value !== CompressionTypes.None && CompressionCodecs[value] === undefined) {
    const name = Object.entries(CompressionTypes).find(([, type]) => type === value)?.[0]
    throw new KafkaJSNotImplemented(`${name} compression not implemented`)
  }
  return value
}

function toTimestamp(value: unknown, field: string): number {
  const timestamp =
    typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new KafkaJSNonRetriableError(
      `Invalid ${field}: expected epoch milliseconds, got ${describeValue(value)}`,
    )
  }
  return timestamp
}

/** Each message's timestamp: `now` for all, or, when some message gives its own, one each. */
export interface Timestamps {
  readonly now: number
  readonly given: Float64Array | undefined
}

/** One topic's messages of a send, each checked as KafkaJS checks it, with their timestamps. */
export function checkTopicMessages(
  topic: unknown,
  messages: unknown,
  now: number,
): { topic: string; messages: readonly Message[]; timestamps: Timestamps } {
  const name = validateTopicName(topic)
  if (!Array.isArray(messages)) {
    throw new KafkaJSNonRetriableError(
      `Invalid messages array ${describeValue(messages)} for topic "${name}"`,
    )
  }
  let given: Float64Array | undefined
  for (let index = 0; index < messages.length; index++) {
    const message: unknown = messages[index]
    if (typeof message !== 'object' || message === null) {
      throw new KafkaJSNonRetriableError(`Invalid ${messageField(index, name)}: expected an object`)
    }
    const { key, value, headers, timestamp } = message as Message
    if (value === undefined) {
      throw new KafkaJSNonRetriableError(`Invalid ${messageField(index, name)}: it has no value`)
    }
    checkRecordBytes(key, 'key of', index, name)
    checkRecordBytes(value, 'value of', index, name)
    if (headers !== undefined && headers !== null) {
      checkHeaders(headers, `headers of ${messageField(index, name)}`)
    }
    if (timestamp !== undefined && timestamp !== null) {
      given ??= new Float64Array(messages.length).fill(now)
      given[index] = toTimestamp(timestamp, `timestamp of ${messageField(index, name)}`)
    }
  }
  return { topic: name, messages: messages as readonly Message[], timestamps: { now, given } }
}
