import type { EachMessagePayload } from './consumer.js'
import { KafkaJSError } from './errors.js'

/**
 * Hands messages from `eachMessage` to an async iterator, one at a time: a message counts as
 * processed when the loop asks for the next one (or leaves).
 */
export class MessageHandoff {
  #ended = false
  #failure: Error | undefined
  #waiting:
    | {
        readonly resolve: (result: IteratorResult<EachMessagePayload>) => void
        readonly reject: (error: Error) => void
      }
    | undefined
  #offered:
    | {
        readonly payload: EachMessagePayload
        readonly ack: () => void
        readonly refuse: (error: Error) => void
      }
    | undefined
  #taken: { readonly ack: () => void; readonly refuse: (error: Error) => void } | undefined

  readonly eachMessage = (payload: EachMessagePayload): Promise<void> =>
    new Promise<void>((ack, refuse) => {
      if (this.#ended) {
        refuse(new KafkaJSError('the iteration over the consumer has ended'))
        return
      }
      const waiting = this.#waiting
      if (waiting === undefined) {
        this.#offered = { payload, ack, refuse }
        return
      }
      this.#waiting = undefined
      this.#taken = { ack, refuse }
      waiting.resolve({ value: payload, done: false })
    })

  next(): Promise<IteratorResult<EachMessagePayload>> {
    this.#acknowledge()
    const offered = this.#offered
    if (offered !== undefined) {
      this.#offered = undefined
      this.#taken = offered
      return Promise.resolve({ value: offered.payload, done: false })
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
    })
  }

  /** The loop left: the message it held is processed. */
  leave(): void {
    this.#acknowledge()
    this.end()
  }

  /** No more messages: the one in flight, if any, comes again to the next run. */
  end(failure?: Error): void {
    if (this.#ended) return
    this.#ended = true
    this.#failure = failure
    const stopped = new KafkaJSError('the consumer stopped')
    this.#taken?.refuse(stopped)
    this.#offered?.refuse(stopped)
    this.#taken = undefined
    this.#offered = undefined
    const waiting = this.#waiting
    this.#waiting = undefined
    if (waiting === undefined) return
    if (failure === undefined) waiting.resolve({ value: undefined, done: true })
    else {
      this.#failure = undefined
      waiting.reject(failure)
    }
  }

  #acknowledge(): void {
    this.#taken?.ack()
    this.#taken = undefined
  }
}
