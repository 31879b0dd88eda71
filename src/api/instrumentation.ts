import { EventEmitter } from 'node:events'
import { describeValue } from '../runtime/errors/describe-value.js'
import { KafkaJSNonRetriableError } from './errors.js'

/** KafkaJS's instrumentation event: `{ id, type, timestamp, payload }`. */
export interface InstrumentationEvent<Payload = unknown> {
  readonly id: number
  readonly type: string
  readonly timestamp: number
  readonly payload: Payload
}

/**
 * The `on(eventName, listener)` of KafkaJS's clients: only known event names are accepted,
 * and `on` returns the function that removes the listener.
 */
export class InstrumentationEmitter {
  readonly #emitter = new EventEmitter()
  readonly #names: ReadonlySet<string>
  #nextId = 0

  constructor(
    events: Readonly<Record<string, string>>,
    private readonly now: () => number,
  ) {
    this.#names = new Set(Object.values(events))
  }

  on(eventName: string, listener: (event: InstrumentationEvent) => void): () => void {
    if (!this.#names.has(eventName)) {
      throw new KafkaJSNonRetriableError(
        `Event name should be one of ${[...this.#names].join(', ')}, got ${describeValue(eventName)}`,
      )
    }
    if (typeof listener !== 'function') {
      throw new KafkaJSNonRetriableError('An event listener must be a function')
    }
    this.#emitter.on(eventName, listener)
    return () => this.#emitter.off(eventName, listener)
  }

  emit(type: string, payload: unknown = {}): void {
    const event: InstrumentationEvent = { id: this.#nextId++, type, timestamp: this.now(), payload }
    this.#emitter.emit(type, event)
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners()
  }
}
