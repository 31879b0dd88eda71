import { KAFKA_ERROR_CODES, type KafkaErrorType } from './kafka-error-codes.js'

/** Root of every error samsa throws on purpose. `retriable` says whether trying again can help. */
export class SamsaError extends Error {
  override readonly name: string = 'SamsaError'
  readonly retriable: boolean

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.retriable = options.retriable ?? false
  }
}

/** An error Kafka itself would answer, carrying Kafka's name (`type`) and code. */
export class KafkaProtocolError extends SamsaError {
  override readonly name: string = 'KafkaProtocolError'
  readonly type: KafkaErrorType
  readonly code: number

  constructor(type: KafkaErrorType, message: string, options: { cause?: unknown } = {}) {
    const entry = KAFKA_ERROR_CODES[type]
    super(`${type}: ${message}`, { retriable: entry.retriable, cause: options.cause })
    this.type = type
    this.code = entry.code
  }
}

/** A caller passed something that can never work (wrong type, out of range): not retriable. */
export class InvalidArgumentError extends SamsaError {
  override readonly name: string = 'InvalidArgumentError'
}
