import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { TopicPartition } from '../broker/broker-protocol.js'
import { CoordinatorClient } from '../consumer/coordinator-client.js'
import {
  type GroupRequest,
  type OffsetToCommit,
  parseTrue,
} from '../coordinator/coordinator-protocol.js'
import {
  type ProducerIdentity,
  parseProducerIdentity,
  type SupervisorRequest,
} from '../supervisor/supervisor-protocol.js'
import type { TransactionRequest } from '../transactions/transaction-protocol.js'

export interface TransactionManagerOptions {
  readonly transactionalId: string
  /** Kafka's `transaction.timeout.ms` (KafkaJS's `transactionTimeout`, default 60 s). */
  readonly transactionTimeoutMs: number
  readonly linkName?: string
  /** The producer's retry policy, for the coordinators' retriable refusals. */
  readonly retrying: <T>(attempt: () => Promise<T>) => Promise<T>
}

const partitionName = ({ topic, partition }: TopicPartition) => `${topic}\u0000${partition}`

/**
 * A transactional producer's side of Kafka's transaction protocol: InitProducerId with its
 * transactional id, partitions and groups added to the transaction as it goes, EndTxn; the
 * groups' offsets go to their coordinators (TxnOffsetCommit).
 */
export class TransactionManager {
  readonly #supervisor: ActorRef<SupervisorRequest>
  readonly #clock: Clock
  readonly #options: TransactionManagerOptions
  readonly #coordinator: CoordinatorClient<TransactionRequest>
  #identity: ProducerIdentity | undefined
  readonly #partitions = new Set<string>()
  readonly #groups = new Set<string>()

  constructor(
    supervisor: ActorRef<SupervisorRequest>,
    clock: Clock,
    options: TransactionManagerOptions,
  ) {
    this.#supervisor = supervisor
    this.#clock = clock
    this.#options = options
    this.#coordinator = new CoordinatorClient<TransactionRequest>(
      supervisor,
      clock,
      options.transactionalId,
      options.linkName,
      'transaction',
    )
  }

  get identity(): ProducerIdentity | undefined {
    return this.#identity
  }

  /** Kafka's InitProducerId: this incarnation's epoch, which fences every older one. */
  async initProducerId(): Promise<ProducerIdentity> {
    const identity = await this.#options.retrying(() =>
      this.#coordinator.request(
        {
          type: 'init-transactional-producer',
          transactionalId: this.#options.transactionalId,
          transactionTimeoutMs: this.#options.transactionTimeoutMs,
        },
        parseProducerIdentity,
      ),
    )
    this.#identity = identity
    return identity
  }

  begin(): void {
    this.#partitions.clear()
    this.#groups.clear()
  }

  /** Whether the transaction has anything to end (KafkaJS sends no EndTxn otherwise). */
  isOngoing(): boolean {
    return this.#partitions.size > 0 || this.#groups.size > 0
  }

  /** AddPartitionsToTxn for the partitions not yet in the transaction. */
  async addPartitions(partitions: readonly TopicPartition[]): Promise<void> {
    const added = new Map<string, TopicPartition>()
    for (const partition of partitions) {
      if (!this.#partitions.has(partitionName(partition))) {
        added.set(partitionName(partition), partition)
      }
    }
    if (added.size === 0) return
    await this.#ask({ type: 'add-partitions-to-txn', partitions: [...added.values()] })
    for (const name of added.keys()) this.#partitions.add(name)
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator. */
  async sendOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    const { producerId, producerEpoch } = this.#current()
    await this.#ask({ type: 'add-offsets-to-txn', groupId })
    this.#groups.add(groupId)
    const group = new CoordinatorClient<GroupRequest>(
      this.#supervisor,
      this.#clock,
      groupId,
      this.#options.linkName,
    )
    await this.#options.retrying(() =>
      group.request(
        { type: 'txn-offset-commit', groupId, producerId, producerEpoch, offsets },
        parseTrue,
      ),
    )
  }

  /** EndTxn: resolves once every partition has its marker. */
  async end(commit: boolean): Promise<void> {
    if (this.isOngoing()) await this.#ask({ type: 'end-txn', commit })
    this.begin()
  }

  #current(): ProducerIdentity {
    const identity = this.#identity
    if (identity === undefined) {
      throw new KafkaProtocolError(
        'INVALID_TXN_STATE',
        'the transactional producer has no producer id yet',
      )
    }
    return identity
  }

  async #ask(
    request:
      | { readonly type: 'add-partitions-to-txn'; readonly partitions: readonly TopicPartition[] }
      | { readonly type: 'add-offsets-to-txn'; readonly groupId: string }
      | { readonly type: 'end-txn'; readonly commit: boolean },
  ): Promise<void> {
    const { producerId, producerEpoch } = this.#current()
    const message = {
      ...request,
      transactionalId: this.#options.transactionalId,
      producerId,
      producerEpoch,
    } as TransactionRequest
    await this.#options.retrying(() => this.#coordinator.request(message, parseTrue))
  }
}
