import type { BrokerMessage } from '../../actors/broker/broker-protocol.js'
import type { GroupRequest } from '../../actors/coordinator/coordinator-protocol.js'
import { refField } from '../../actors/protocol-fields.js'
import type { TransactionRequest } from '../../actors/transactions/transaction-protocol.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'
import type { ClusterConnection } from '../cluster.js'
import { BrokerListener, type ListenerShared } from './broker-listener.js'
import type { ListenerFaults } from './listener-gate.js'
import { RequestDispatcher } from './request-dispatcher.js'
import { REQUEST_HANDLERS } from './request-handlers.js'
import type { BrokerAddress, ListenerContext } from './serve-context.js'

/** `cluster.listen` options. */
export interface ListenOptions {
  /** Where the listeners bind and what Metadata advertises. Default 127.0.0.1 (loopback). */
  readonly host?: string
  /** Broker N listens on `port + N`; 0 (the default) gives each broker a free port. */
  readonly port?: number
  /** Kafka's `auto.create.topics.enable`: Metadata creates topics asked for. Default false. */
  readonly autoCreateTopics?: boolean
  /** Open connections across all listeners; more are refused. Default 1000. */
  readonly maxConnections?: number
  /** Where a closed connection's reason goes. Default: a line on stderr. */
  readonly log?: (line: string) => void
}

/** Where the listeners learn of the faults set on their brokers (`cluster.faults`). */
export interface ListenerFaultSource {
  watchListeners(watcher: (brokerId: number, faults: ListenerFaults) => void): () => void
}

const DEFAULT_HOST = '127.0.0.1'
const DEFAULT_MAX_CONNECTIONS = 1000
const CLUSTER_ID = 'samsa'

function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`)
}

/**
 * The cluster's Kafka wire face: one listener per broker, each serving that broker's requests
 * through the same brokers, coordinators and controller as the in-process clients.
 */
export class WireServer {
  readonly #listeners: BrokerListener[]
  readonly #addresses: ReadonlyMap<number, BrokerAddress>
  readonly #unwatchFaults: () => void

  private constructor(
    listeners: BrokerListener[],
    addresses: ReadonlyMap<number, BrokerAddress>,
    faults: ListenerFaultSource | undefined,
  ) {
    this.#listeners = listeners
    this.#addresses = addresses
    this.#unwatchFaults =
      faults?.watchListeners((brokerId, brokerFaults) =>
        listeners.find((listener) => listener.brokerId === brokerId)?.applyFaults(brokerFaults),
      ) ?? (() => {})
  }

  /** `host:port` of the first broker's listener, what a client takes as its bootstrap. */
  get bootstrap(): string {
    const first = this.#addresses.get(0) ?? [...this.#addresses.values()][0]
    return first === undefined ? '' : `${first.host}:${first.port}`
  }

  get addresses(): ReadonlyMap<number, BrokerAddress> {
    return this.#addresses
  }

  static async start(
    cluster: ClusterConnection,
    brokers: readonly ActorRef<BrokerMessage>[],
    options: ListenOptions = {},
    faults?: ListenerFaultSource,
  ): Promise<WireServer> {
    const host = options.host ?? DEFAULT_HOST
    const port = options.port ?? 0
    if (!Number.isInteger(port) || port < 0 || port + brokers.length - 1 > 65_535) {
      throw new InvalidArgumentError(
        `port must leave room for ${brokers.length} brokers below 65536, got ${String(port)}`,
      )
    }
    const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    let open = 0
    const shared: ListenerShared = {
      dispatcher: new RequestDispatcher(REQUEST_HANDLERS),
      log: options.log ?? logToStderr,
      admit: () => {
        if (open >= maxConnections) return false
        open++
        return true
      },
      release: () => {
        open--
      },
    }
    const addresses = new Map<number, BrokerAddress>()
    const listeners: BrokerListener[] = []
    try {
      for (const [brokerId, broker] of brokers.entries()) {
        const context = listenerContext(brokerId, broker, cluster, addresses, options, shared)
        const opened = await BrokerListener.open(
          context,
          shared,
          host,
          port === 0 ? 0 : port + brokerId,
        )
        listeners.push(opened.listener)
        addresses.set(brokerId, opened.address)
      }
    } catch (error) {
      await Promise.all(listeners.map((listener) => listener.close()))
      throw error
    }
    return new WireServer(listeners, addresses, faults)
  }

  /** Closes every listener and connection. */
  async close(): Promise<void> {
    this.#unwatchFaults()
    await Promise.all(this.#listeners.map((listener) => listener.close()))
  }
}

function listenerContext(
  brokerId: number,
  broker: ActorRef<BrokerMessage>,
  cluster: ClusterConnection,
  addresses: ReadonlyMap<number, BrokerAddress>,
  options: ListenOptions,
  shared: ListenerShared,
): ListenerContext {
  const groups = besideBroker<GroupRequest>(broker, 'group-coordinator')
  const transactions = besideBroker<TransactionRequest>(broker, 'transaction-coordinator')
  return {
    brokerId,
    broker,
    cluster,
    addresses,
    autoCreateTopics: options.autoCreateTopics === true,
    clusterId: CLUSTER_ID,
    supported: shared.dispatcher.supported,
    coordinator: groups.find,
    forgetCoordinator: groups.forget,
    transactionCoordinator: transactions.find,
    forgetTransactionCoordinator: transactions.forget,
  }
}

/**
 * A coordinator that runs beside `broker`, asked of it once and kept until it is forgotten
 * (a restarted broker has a new one).
 */
function besideBroker<Request>(
  broker: ActorRef<BrokerMessage>,
  type: 'group-coordinator' | 'transaction-coordinator',
): { find(): Promise<ActorRef<Request>>; forget(): void } {
  let found: Promise<ActorRef<Request>> | undefined
  return {
    find() {
      found ??= broker
        .ask<ActorRef<Request>>(
          { type },
          { parseReply: (value) => refField<Request>({ ref: value }, 'ref') },
        )
        .catch((error: unknown) => {
          found = undefined
          throw error
        })
      return found
    },
    forget() {
      found = undefined
    },
  }
}
