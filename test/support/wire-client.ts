import { connect, type Socket } from 'node:net'
import {
  type ApiKey,
  decodeResponseFrame,
  encodeRequestFrame,
  FrameSplitter,
  type RequestByApiKey,
  type ResponseByApiKey,
  ZERO_UUID,
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

/** A Fetch (v4 on) of `topic`'s partition 0 from `fetchOffset`, as a consumer asks it. */
export function fetchRequest(topic: string, fetchOffset: bigint) {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 1000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: ZERO_UUID,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  }
}
