import { createServer, type Server, type Socket } from 'node:net'
import { type ListenerFaults, ListenerGate } from './listener-gate.js'
import type { RequestDispatcher } from './request-dispatcher.js'
import type { BrokerAddress, ListenerContext } from './serve-context.js'
import { WireConnection } from './wire-connection.js'

/** What one broker's listener shares with the others: the dispatcher and the connection limit. */
export interface ListenerShared {
  readonly dispatcher: RequestDispatcher
  readonly log: (line: string) => void
  /** Takes a connection slot, or says there is none left (the connection is refused). */
  readonly admit: () => boolean
  readonly release: () => void
}

/**
 * One broker's TCP listener: its connections, each serving requests for this broker. It knows
 * its broker id, so a fault on the broker can close or stall exactly its connections.
 */
export class BrokerListener {
  readonly #server: Server
  readonly #connections = new Set<WireConnection>()
  readonly #context: ListenerContext
  readonly #shared: ListenerShared
  readonly #gate: ListenerGate
  /** Its broker is killed or dead: no connection is kept or taken until it is restarted. */
  #down = false

  private constructor(server: Server, context: ListenerContext, shared: ListenerShared) {
    this.#server = server
    this.#context = context
    this.#shared = shared
    this.#gate = new ListenerGate(context.cluster.clock)
    server.on('connection', (socket) => this.#accept(socket))
  }

  get brokerId(): number {
    return this.#context.brokerId
  }

  /** Listens on `host:port` (port 0: a free one) and resolves with where it listens. */
  static async open(
    context: ListenerContext,
    shared: ListenerShared,
    host: string,
    port: number,
  ): Promise<{ listener: BrokerListener; address: BrokerAddress }> {
    const server = createServer({ noDelay: true })
    const listener = new BrokerListener(server, context, shared)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const bound = server.address()
    const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port
    return { listener, address: { host, port: boundPort } }
  }

  /** Acts out the faults now set on its broker, as a Kafka broker's clients would see them. */
  applyFaults(faults: ListenerFaults): void {
    this.#gate.apply(faults)
    if (faults.down && !this.#down) {
      for (const connection of this.#connections) connection.close()
    }
    this.#down = faults.down
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    for (const connection of this.#connections) connection.close()
    await closed
  }

  #accept(socket: Socket): void {
    if (this.#down) {
      socket.destroy()
      return
    }
    if (!this.#shared.admit()) {
      this.#shared.log(
        `samsa serve: broker ${this.brokerId}: refusing ${socket.remoteAddress}:${socket.remotePort}: too many connections`,
      )
      socket.destroy()
      return
    }
    const connection = new WireConnection(
      socket,
      this.#shared.dispatcher,
      this.#context,
      this.#gate,
      this.#shared.log,
    )
    this.#connections.add(connection)
    socket.once('close', () => {
      this.#connections.delete(connection)
      this.#shared.release()
    })
  }
}
