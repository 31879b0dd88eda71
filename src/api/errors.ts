/**
 * KafkaJS 2.2.4's error classes (its `src/errors.js`), with the same names, fields and
 * inheritance, so that code catching KafkaJS errors catches samsa's. Only the classes samsa can
 * raise are here.
 */
import { ActorTerminatedError, AskTimeoutError } from '../runtime/errors/actor-errors.js'
import type { KafkaErrorType } from '../runtime/errors/kafka-error-codes.js'
import {
  InvalidArgumentError,
  KafkaProtocolError,
  SamsaError,
} from '../runtime/errors/samsa-error.js'

/** What KafkaJS's constructors accept as `e`: a message, or an error whose message is taken. */
export type ErrorSource = string | { readonly message: string; readonly helpUrl?: string }

export interface KafkaJSErrorOptions {
  /** KafkaJS's default is `true`: a bare KafkaJSError is treated as worth retrying. */
  readonly retriable?: boolean
  readonly cause?: Error
}

const messageOf = (source: ErrorSource): string =>
  typeof source === 'string' ? source : source.message

export class KafkaJSError extends Error {
  override readonly name: string = 'KafkaJSError'
  readonly retriable: boolean
  readonly helpUrl: string | undefined
  // Assigned in the constructor: a class field would reset what `super` stored.
  override readonly cause: Error | undefined

  constructor(source: ErrorSource, options: KafkaJSErrorOptions = {}) {
    super(messageOf(source))
    this.retriable = options.retriable ?? true
    this.helpUrl = typeof source === 'string' ? undefined : source.helpUrl
    this.cause = options.cause
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  override readonly name: string = 'KafkaJSNonRetriableError'

  constructor(source: ErrorSource, options: { readonly cause?: Error } = {}) {
    super(source, { retriable: false, cause: options.cause })
  }
}

/** A protocol error as KafkaJS builds one from its error table (samsa's KafkaProtocolError fits). */
export interface ProtocolErrorSource {
  readonly message: string
  readonly type: string
  readonly code: number
  readonly retriable: boolean
}

/** An error code a broker answered, with Kafka's name in `type` (what users match on). */
export class KafkaJSProtocolError extends KafkaJSError {
  override readonly name: string = 'KafkaJSProtocolError'
  readonly type: string
  readonly code: number

  constructor(
    source: ProtocolErrorSource,
    options: { readonly retriable?: boolean; readonly cause?: Error } = {},
  ) {
    super(source, { retriable: options.retriable ?? source.retriable, cause: options.cause })
    this.type = source.type
    this.code = source.code
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  override readonly name: string = 'KafkaJSOffsetOutOfRange'
  readonly topic: string
  readonly partition: number

  constructor(
    source: ProtocolErrorSource,
    location: { readonly topic: string; readonly partition: number },
  ) {
    super(source)
    this.topic = location.topic
    this.partition = location.partition
  }
}

/** One topic's refusal inside the KafkaJSAggregateError that `admin.createTopics` rejects with. */
export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  override readonly name: string = 'KafkaJSCreateTopicError'
  readonly topic: string

  constructor(source: ProtocolErrorSource, topic: string) {
    super(source)
    this.topic = topic
  }
}

/** A retriable error outlasted the retries; the last error is in `cause`. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  override readonly name: string = 'KafkaJSNumberOfRetriesExceeded'
  override readonly cause: Error
  readonly retryCount: number
  readonly retryTime: number

  constructor(
    lastError: Error,
    retries: { readonly retryCount: number; readonly retryTime: number },
  ) {
    super(lastError, { cause: lastError })
    this.cause = lastError
    this.retryCount = retries.retryCount
    this.retryTime = retries.retryTime
    // As KafkaJS does, so that a logged stack leads to where the last attempt failed.
    this.stack = `${this.name}: ${this.message}\n  Caused by: ${lastError.stack ?? lastError.message}`
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  override readonly name: string = 'KafkaJSConnectionError'
  readonly broker: string | undefined
  readonly code: string | undefined

  constructor(
    source: ErrorSource,
    options: { readonly broker?: string; readonly code?: string; readonly cause?: Error } = {},
  ) {
    super(source, { cause: options.cause })
    this.broker = options.broker
    this.code = options.code
  }
}

/** A request got no answer in time. Retriable, unlike KafkaJSTimeout. */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  override readonly name: string = 'KafkaJSRequestTimeoutError'
  readonly broker: string | undefined

  constructor(
    source: ErrorSource,
    options: { readonly broker?: string; readonly cause?: Error } = {},
  ) {
    super(source, { cause: options.cause })
    this.broker = options.broker
  }
}

/** An operation as a whole ran out of time (KafkaJS raises it from admin and consumer waits). */
/** KafkaJS's error for what a codec or feature does not provide, e.g. an unregistered codec. */
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  override readonly name: string = 'KafkaJSNotImplemented'
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  override readonly name: string = 'KafkaJSTimeout'
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  override readonly name: string = 'KafkaJSMetadataNotLoaded'
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  override readonly name: string = 'KafkaJSTopicMetadataNotLoaded'
  readonly topic: string | undefined

  constructor(source: ErrorSource, options: { readonly topic?: string } = {}) {
    super(source)
    this.topic = options.topic
  }
}

/** Several errors at once. Deliberately not a KafkaJSError, as in KafkaJS. */
export class KafkaJSAggregateError extends Error {
  override readonly name: string = 'KafkaJSAggregateError'
  readonly errors: readonly Error[]

  constructor(source: ErrorSource, errors: readonly Error[]) {
    super(messageOf(source))
    this.errors = errors
  }
}

/** A KafkaJSProtocolError for one of Kafka's error names, as a broker would answer it. */
export function createProtocolError(type: KafkaErrorType, message: string): KafkaJSProtocolError {
  return new KafkaJSProtocolError(new KafkaProtocolError(type, message))
}

/**
 * The KafkaJS error a caller of the public API sees for whatever the runtime threw. The
 * original stays in `cause` (KafkaJS leaves `cause` unset on most of these classes; samsa fills
 * it because the runtime error says where inside the cluster things went wrong).
 */
export function toKafkaJSError(error: unknown): KafkaJSError | KafkaJSAggregateError {
  if (error instanceof KafkaJSError || error instanceof KafkaJSAggregateError) return error
  if (error instanceof KafkaProtocolError) {
    return new KafkaJSProtocolError(error, { cause: error })
  }
  if (error instanceof AskTimeoutError) {
    return new KafkaJSRequestTimeoutError(error, { cause: error })
  }
  if (error instanceof ActorTerminatedError) {
    return new KafkaJSConnectionError(error, { cause: error })
  }
  if (error instanceof InvalidArgumentError) {
    return new KafkaJSNonRetriableError(error, { cause: error })
  }
  if (error instanceof Error) {
    // An unknown failure is not assumed transient: retrying a bug only repeats it.
    return new KafkaJSError(error, {
      retriable: error instanceof SamsaError && error.retriable,
      cause: error,
    })
  }
  return new KafkaJSError(String(error), { retriable: false, cause: new Error(String(error)) })
}
