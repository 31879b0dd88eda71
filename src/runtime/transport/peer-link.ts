import type { Envelope } from './envelope.js'
import { type EncodedFrame, toPostedFrame, type WireCodec } from './wire-codec.js'

/** Anything a frame can be posted through: a Worker, a MessagePort, a worker's parentPort. */
export interface FramePort {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void
}

/** Past this many queued envelopes a link flushes at once instead of waiting for the microtask. */
const FLUSH_AT = 512

/**
 * The outgoing half of the connection to one other thread. Envelopes sent in the same turn of
 * the event loop go out together as one encoded frame (smart batching: one postMessage and
 * one encode for many messages), in the order they were sent.
 */
export class PeerLink {
  #queue: Envelope[] = []
  #port: FramePort | undefined
  #flushScheduled = false

  constructor(
    private readonly codec: WireCodec,
    private readonly onUnencodable: (envelope: Envelope, error: unknown) => void,
  ) {}

  /** Connects (or reconnects, after the peer restarted) and sends what waited for it. */
  attach(port: FramePort): void {
    this.#port = port
    if (this.#queue.length > 0) this.flush()
  }

  /** Disconnects and hands back what was never sent. */
  detach(): Envelope[] {
    const unsent = this.#queue
    this.#queue = []
    this.#port = undefined
    return unsent
  }

  send(envelope: Envelope): void {
    this.#queue.push(envelope)
    if (this.#port === undefined) return
    if (this.#queue.length >= FLUSH_AT) this.flush()
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  flush(): void {
    this.#flushScheduled = false
    const port = this.#port
    if (port === undefined || this.#queue.length === 0) return
    const batch = this.#queue
    this.#queue = []
    let frame: EncodedFrame
    try {
      frame = this.codec.encode(batch)
    } catch {
      frame = this.codec.encode(this.#withoutUnencodable(batch))
    }
    const posted = toPostedFrame(frame)
    port.postMessage(posted.value, posted.transfer)
  }

  #withoutUnencodable(batch: readonly Envelope[]): Envelope[] {
    return batch.filter((envelope) => {
      try {
        this.codec.encode(envelope)
        return true
      } catch (error) {
        this.onUnencodable(envelope, error)
        return false
      }
    })
  }
}
