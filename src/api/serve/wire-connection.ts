import type { Socket } from 'node:net'
import { FrameSplitter } from '../../runtime/kafka-protocol/index.js'
import type { ListenerGate } from './listener-gate.js'
import type { RequestDispatcher } from './request-dispatcher.js'
import type { ListenerContext } from './serve-context.js'

/** Requests read ahead of their answers; past this the socket is paused until answers go out. */
const MAX_UNANSWERED = 64

/**
 * One client's TCP connection to a broker's listener: cuts the byte stream into request
 * frames, hands each to its handler as it arrives (so a long poll does not hold up a
 * heartbeat), and writes the answers in request order, as Kafka promises per connection.
 * A frame that cannot be read closes this connection only. While its broker is held (paused,
 * isolated) or slowed, requests and answers wait at the listener's gate.
 */
export class WireConnection {
  readonly #socket: Socket
  readonly #dispatcher: RequestDispatcher
  readonly #listener: ListenerContext
  readonly #gate: ListenerGate
  readonly #log: (line: string) => void
  readonly #splitter: FrameSplitter
  readonly #closed = new AbortController()
  /** Answers are written when this chain reaches them: one link per request, in order. */
  #answered: Promise<void> = Promise.resolve()
  #unanswered = 0

  constructor(
    socket: Socket,
    dispatcher: RequestDispatcher,
    listener: ListenerContext,
    gate: ListenerGate,
    log: (line: string) => void,
    maxFrameBytes?: number,
  ) {
    this.#socket = socket
    this.#dispatcher = dispatcher
    this.#listener = listener
    this.#gate = gate
    this.#log = log
    this.#splitter = new FrameSplitter(maxFrameBytes)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#receive(chunk))
    socket.on('error', () => this.#closed.abort())
    socket.on('close', () => this.#closed.abort())
  }

  get closed(): AbortSignal {
    return this.#closed.signal
  }

  /** Ends the connection at once (the listener is closing, or the input was bad). */
  close(): void {
    this.#closed.abort()
    this.#socket.destroy()
  }

  #receive(chunk: Buffer): void {
    if (this.#closed.signal.aborted) return
    let frames: Uint8Array[]
    try {
      frames = this.#splitter.push(chunk)
    } catch (error) {
      this.#fail(error)
      return
    }
    for (const frame of frames) {
      if (this.#closed.signal.aborted) return
      if (!this.#gate.isClear) {
        this.#queue(
          this.#gate
            .passage()
            .then(() => this.#dispatcher.dispatch(frame, this.#listener, this.#closed.signal)),
        )
        continue
      }
      let answer: Promise<Uint8Array | undefined>
      try {
        answer = this.#dispatcher.dispatch(frame, this.#listener, this.#closed.signal)
      } catch (error) {
        this.#fail(error)
        return
      }
      this.#queue(answer)
    }
  }

  #queue(answer: Promise<Uint8Array | undefined>): void {
    if (++this.#unanswered >= MAX_UNANSWERED) this.#socket.pause()
    // A rejection is seen here, in its turn: an answer that cannot be given ends the connection.
    answer.catch(() => {})
    this.#answered = this.#answered.then(async () => {
      try {
        const frame = await answer
        // An answer made before its broker was held goes out only when the broker is back.
        await this.#gate.open()
        if (frame !== undefined && !this.#closed.signal.aborted) this.#socket.write(frame)
      } catch (error) {
        this.#fail(error)
      } finally {
        if (--this.#unanswered < MAX_UNANSWERED && !this.#closed.signal.aborted) {
          this.#socket.resume()
        }
      }
    })
  }

  #fail(error: unknown): void {
    if (this.#closed.signal.aborted) return
    const peer = `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? '?'}`
    const reason = error instanceof Error ? error.message : String(error)
    this.#log(`samsa serve: broker ${this.#listener.brokerId}: closing ${peer}: ${reason}`)
    this.close()
  }
}
