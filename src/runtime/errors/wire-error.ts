import {
  ActorTerminatedError,
  AskTimeoutError,
  MalformedMessageError,
  SystemStoppedError,
  UnencodableMessageError,
} from './actor-errors.js'
import { KAFKA_ERROR_CODES, type KafkaErrorType } from './kafka-error-codes.js'
import { InvalidArgumentError, KafkaProtocolError, SamsaError } from './samsa-error.js'

/** samsa's own errors keep their class across a thread; anything else becomes a RemoteError. */
const REBUILT_BY_NAME: Record<string, (message: string) => SamsaError> = {
  ActorTerminatedError: (message) => new ActorTerminatedError(message),
  AskTimeoutError: (message) => new AskTimeoutError(message),
  MalformedMessageError: (message) => new MalformedMessageError(message),
  UnencodableMessageError: (message) => new UnencodableMessageError(message),
  SystemStoppedError: (message) => new SystemStoppedError(message),
  InvalidArgumentError: (message) => new InvalidArgumentError(message),
}

/** How an error crosses a thread: plain fields, rebuilt into a typed error on arrival. */
export interface WireError {
  readonly name: string
  readonly message: string
  readonly retriable: boolean
  readonly kafkaType?: string
}

export function toWireError(error: unknown): WireError {
  if (error instanceof KafkaProtocolError) {
    return {
      name: error.name,
      message: error.message.slice(error.type.length + 2),
      retriable: error.retriable,
      kafkaType: error.type,
    }
  }
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      retriable: error instanceof SamsaError && error.retriable,
    }
  }
  return { name: 'Error', message: String(error), retriable: false }
}

/** The remote side's error as a SamsaError (a KafkaProtocolError when it carried a Kafka type). */
export class RemoteError extends SamsaError {
  override readonly name: string

  constructor(wire: WireError) {
    super(wire.message, { retriable: wire.retriable })
    this.name = wire.name
  }
}

export function fromWireError(value: unknown): SamsaError {
  if (typeof value !== 'object' || value === null) {
    return new RemoteError({ name: 'Error', message: String(value), retriable: false })
  }
  const fields = value as Record<string, unknown>
  const message = typeof fields.message === 'string' ? fields.message : 'unknown error'
  const kafkaType = fields.kafkaType
  if (typeof kafkaType === 'string' && kafkaType in KAFKA_ERROR_CODES) {
    return new KafkaProtocolError(kafkaType as KafkaErrorType, message)
  }
  const name = typeof fields.name === 'string' ? fields.name : 'Error'
  const rebuild = Object.hasOwn(REBUILT_BY_NAME, name) ? REBUILT_BY_NAME[name] : undefined
  if (rebuild !== undefined) return rebuild(message)
  return new RemoteError({
    name,
    message,
    retriable: fields.retriable === true,
  })
}
