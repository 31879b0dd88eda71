import { SamsaError } from './samsa-error.js'

/** An `ask` got no reply before its deadline (the target may be slow, stalled or cut off). */
export class AskTimeoutError extends SamsaError {
  override readonly name: string = 'AskTimeoutError'
  constructor(message: string) {
    super(message, { retriable: true })
  }

  static waitingOn(target: string, timeoutMs: number): AskTimeoutError {
    return new AskTimeoutError(`no reply from ${target} within ${timeoutMs} ms`)
  }
}

/** The target actor died (or its thread did) before it answered, or is not running. */
export class ActorTerminatedError extends SamsaError {
  override readonly name: string = 'ActorTerminatedError'
  constructor(message: string) {
    super(message, { retriable: true })
  }

  static notRunning(target: string, reason: string): ActorTerminatedError {
    return new ActorTerminatedError(`${target} is not running: ${reason}`)
  }
}

/** A message failed validation on arrival; the receiver dropped it and carries on. */
export class MalformedMessageError extends SamsaError {
  override readonly name: string = 'MalformedMessageError'
}

/** A message could not be encoded to cross a thread (a function, a symbol, a cycle…). */
export class UnencodableMessageError extends SamsaError {
  override readonly name: string = 'UnencodableMessageError'
}

/** The actor system was stopped while the call was pending, or was called after stopping. */
export class SystemStoppedError extends SamsaError {
  override readonly name: string = 'SystemStoppedError'
  constructor(message = 'the actor system is stopped') {
    super(message)
  }
}
