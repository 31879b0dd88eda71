import { connect, type Socket } from 'node:net'
import {
  type ApiKey,
  decodeResponseFrame,
  encodeRequestFrame,
  FrameSplitter,
  type RequestByApiKey,
  type ResponseByApiKey,
} from '../../src/runtime/kafka-protocol/index.js'

/**
 * A bare Kafka connection for tests: encodes requests with the generated codecs and decodes
 * the answers, which come back in request order.
 */
export class WireTestClient {
  readonly #socket: Socket
  readonly #splitter = new FrameSplitter()
  readonly #waiting: ((frame: Uint8Array) => void)[] = []
  #correlationId = 0
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>

  private constructor(socket: Socket) {
    this.#socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.#splitter.push(chunk)) this.#waiting.shift()?.(frame)
    })
  }

  static async connect(address: string): Promise<WireTestClient> {
    const [host, port] = address.split(':')
    const socket = connect(Number(port), host)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new WireTestClient(socket)
  }

  /** Sends a request and resolves with its decoded answer. */
  async request<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestByApiKey[K],
  ): Promise<ResponseByApiKey[K]> {
    const correlationId = ++this.#correlationId
    const answer = this.#next()
    this.#socket.write(
      encodeRequestFrame(apiKey, version, { correlationId, clientId: 'test' }, body),
    )
    const decoded = decodeResponseFrame(apiKey, version, await answer)
    if (decoded.correlationId !== correlationId) {
      throw new Error(`answer to ${decoded.correlationId} came for ${correlationId}`)
    }
    return decoded.body
  }

  /** Sends raw bytes, for frames no codec would make. */
  write(bytes: Uint8Array): void {
    this.#socket.write(bytes)
  }

  /** The next frame the server sends, undecoded. */
  next(): Promise<Uint8Array> {
    return this.#next()
  }

  close(): void {
    this.#socket.destroy()
  }

  #next(): Promise<Uint8Array> {
    return new Promise((resolve) => this.#waiting.push(resolve))
  }
}
