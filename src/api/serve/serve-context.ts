import type { BrokerMessage } from '../../actors/broker/broker-protocol.js'
import type { GroupRequest } from '../../actors/coordinator/coordinator-protocol.js'
import type { TransactionRequest } from '../../actors/transactions/transaction-protocol.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { SupportedVersions } from '../../runtime/kafka-protocol/index.js'
import type { ClusterConnection } from '../cluster.js'

/** Where a broker's listener can be reached, as Metadata advertises it. */
export interface BrokerAddress {
  readonly host: string
  readonly port: number
}

/** What every request on one broker's listener shares: that broker and the cluster behind it. */
export interface ListenerContext {
  /** The broker this listener fronts: requests go to it, as a Kafka broker serves its own. */
  readonly brokerId: number
  readonly broker: ActorRef<BrokerMessage>
  readonly cluster: ClusterConnection
  /** Every broker's advertised address, by broker id. */
  readonly addresses: ReadonlyMap<number, BrokerAddress>
  /** Kafka's `auto.create.topics.enable`. */
  readonly autoCreateTopics: boolean
  readonly clusterId: string
  /** The APIs and versions served, as ApiVersions answers them. */
  readonly supported: SupportedVersions
  /** The group coordinator beside this broker. */
  coordinator(): Promise<ActorRef<GroupRequest>>
  /** Forgets the coordinator found, after it died (a restarted broker has a new one). */
  forgetCoordinator(): void
  /** The transaction coordinator beside this broker. */
  transactionCoordinator(): Promise<ActorRef<TransactionRequest>>
  /** Forgets the transaction coordinator found, after it died. */
  forgetTransactionCoordinator(): void
}

/** One request as its handler sees it: the listener, the connection, the client. */
export interface RequestContext {
  readonly listener: ListenerContext
  readonly clientId: string
  /** Aborted when the connection closes: a long poll stops waiting then. */
  readonly connectionClosed: AbortSignal
}
