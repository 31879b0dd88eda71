import type { Acks } from '../actors/broker/broker-protocol.js'
import type { RetryPolicy } from '../actors/client/retry-policy.js'
import { DefaultPartitioner } from '../actors/producer/partitioner.js'
import { ProducerClient } from '../actors/producer/producer-client.js'
import { TransactionManager } from '../actors/producer/transaction-manager.js'
import type { TopicMetadata } from '../actors/supervisor/supervisor-protocol.js'
import type { CompressionType } from '../runtime/log/compression.js'
import type { RecordHeaders } from '../runtime/log/record-batch-builder.js'
import type { ClusterConnection } from './cluster.js'
import { KafkaJSError, KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent } from './instrumentation.js'
import { validateProducerConfig, validateSendTimeout } from './producer-config.js'
import { type RetryOptions, resolveRetry, withRetries } from './retry.js'
import {
  checkTopicMessages,
  type Message,
  type Timestamps,
  toAcks,
  toCompression,
} from './send-arguments.js'
import { Transaction, type TransactionalSender } from './transaction.js'
import {
  describeValue,
  requireArray,
  requireObject,
  validatePartitionId,
  validateTopicName,
} from './validation.js'

/** KafkaJS's `ProducerConfig`, with samsa's accumulator settings beside it. */
export interface ProducerConfig {
  readonly retry?: RetryOptions
  /**
   * Requests in flight per broker. Default 5 (Kafka's default). An idempotent producer also keeps
   * at most this many batches, and never more than 5, unacknowledged per partition.
   */
  readonly maxInFlightRequests?: number
  /** Accepted for KafkaJS compatibility; topics are never created by a produce here. */
  readonly allowAutoTopicCreation?: boolean
  /**
   * Retries never duplicate or reorder a record (Kafka's default since 3.0). Requires acks all.
   * Default true; `false` gives up the guarantee for acks 0 or 1.
   */
  readonly idempotent?: boolean
  /** Makes the producer transactional (see `transaction()`); needs idempotence. */
  readonly transactionalId?: string
  /** Kafka's `transaction.timeout.ms`: an open transaction older than this is aborted. Default 60 s. */
  readonly transactionTimeout?: number
  /** How long a partition's batch waits for more records (Kafka's `linger.ms`). Default 0. */
  readonly lingerMs?: number
  /** Bytes at which a partition's batch is sent at once (Kafka's `batch.size`). */
  readonly batchSize?: number
  /** How long one produce request may go unanswered (KafkaJS's client `requestTimeout`). */
  readonly requestTimeout?: number
  /** KafkaJS's custom partitioner hook. */
  readonly createPartitioner?: () => (args: {
    topic: string
    partitionMetadata: readonly { partitionId: number; leader: number }[]
    message: Message
  }) => number
}

export interface ProducerRecord {
  readonly topic: string
  readonly messages: readonly Message[]
  readonly acks?: number
  readonly timeout?: number
  readonly compression?: number
}

export interface ProducerBatch {
  readonly topicMessages: readonly {
    readonly topic: string
    readonly messages: readonly Message[]
  }[]
  readonly acks?: number
  readonly timeout?: number
  readonly compression?: number
}

/** KafkaJS's `RecordMetadata`: one per partition written, numbers as strings. */
export interface RecordMetadata {
  readonly topicName: string
  readonly partition: number
  readonly errorCode: number
  readonly baseOffset: string
  readonly logAppendTime: string
  readonly logStartOffset: string
}

const EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const

/** One topic's messages, checked, with the partition each goes to. */
interface RoutedMessages {
  readonly topic: string
  readonly messages: readonly Message[]
  readonly partitions: Int32Array
  readonly numPartitions: number
  readonly timestamps: Timestamps
}

/** Whether every message goes to the same partition (one message, one partition, one key). */
function onePartition(partitions: Int32Array): boolean {
  const first = partitions[0]
  for (let index = 1; index < partitions.length; index++) {
    if (partitions[index] !== first) return false
  }
  return true
}

/**
 * The message indexes of each partition, in send order: a counting sort of `partitions`.
 * Partition p's messages are `order[start[p] .. start[p + 1])`.
 */
interface PartitionGroups {
  readonly order: Int32Array
  readonly start: Int32Array
}

function byPartition(partitions: Int32Array, numPartitions: number): PartitionGroups {
  const start = new Int32Array(numPartitions + 1)
  for (const partition of partitions) start[partition + 1] = (start[partition + 1] as number) + 1
  for (let partition = 0; partition < numPartitions; partition++) {
    start[partition + 1] = (start[partition + 1] as number) + (start[partition] as number)
  }
  const filled = start.slice(0, numPartitions)
  const order = new Int32Array(partitions.length)
  partitions.forEach((partition, index) => {
    const at = filled[partition] as number
    order[at] = index
    filled[partition] = at + 1
  })
  return { order, start }
}

/**
 * A KafkaJS-shaped producer. `send` resolves one RecordMetadata per partition written (none
 * with acks 0), retrying retriable errors after a metadata refresh as KafkaJS does.
 */
export class Producer implements TransactionalSender {
  readonly events = EVENTS
  readonly #client: ProducerClient
  readonly #instrumentation: InstrumentationEmitter
  readonly #partitioner: DefaultPartitioner
  readonly #customPartitioner:
    | ReturnType<NonNullable<ProducerConfig['createPartitioner']>>
    | undefined
  #connected = false
  readonly #idempotent: boolean
  readonly #retry: RetryPolicy
  /** Idempotence asked for in so many words: then, as in Kafka, a conflict is an error. */
  readonly #idempotenceRequired: boolean
  readonly #transactions: TransactionManager | undefined
  #transaction: Transaction | undefined

  constructor(
    private readonly connection: ClusterConnection,
    /**
     * samsa: whom this producer's requests are from on their links (`$producer-1`, … per
     * cluster), so that `cluster.faults.setLinkFault({ from: producer.linkName, … })` can drop
     * or duplicate this producer's messages alone.
     */
    readonly linkName: string,
    config: ProducerConfig = {},
  ) {
    validateProducerConfig(config)
    const { transactionalId } = config
    if (transactionalId !== undefined && config.idempotent === false) {
      throw new KafkaJSNonRetriableError('A transactional producer must be idempotent')
    }
    // Kafka's rule (≥ 3.2): on by default when nothing conflicts. A send with acks 0 or 1 on
    // such a producer simply goes without it; more than 5 requests in flight turn it off.
    this.#idempotenceRequired = config.idempotent === true || transactionalId !== undefined
    this.#idempotent =
      transactionalId !== undefined || (config.idempotent ?? (config.maxInFlightRequests ?? 5) <= 5)
    this.#retry = resolveRetry(config.retry, 'producer retry')
    const refresh = () => connection.metadata.refresh()
    const transactions =
      transactionalId === undefined
        ? undefined
        : new TransactionManager(connection.supervisor, connection.clock, {
            transactionalId,
            transactionTimeoutMs: config.transactionTimeout ?? 60_000,
            linkName,
            retrying: (attempt) => withRetries(attempt, this.#retry, connection.clock, refresh),
          })
    this.#transactions = transactions
    const client = new ProducerClient(
      connection.metadata,
      connection.supervisor,
      connection.clock,
      {
        lingerMs: config.lingerMs,
        batchSize: config.batchSize,
        maxInFlightRequests: config.maxInFlightRequests,
        requestTimeoutMs: config.requestTimeout,
        idempotent: this.#idempotent,
        linkName: this.linkName,
        transactional:
          transactions === undefined
            ? undefined
            : { identity: async () => transactions.identity ?? transactions.initProducerId() },
        retrying: (attempt) => withRetries(attempt, this.#retry, connection.clock, refresh),
      },
    )
    this.#client = client
    this.#instrumentation = new InstrumentationEmitter(EVENTS, () => connection.clock.now())
    this.#partitioner = new DefaultPartitioner()
    this.#customPartitioner = config.createPartitioner?.()
  }

  async connect(): Promise<void> {
    if (this.connection.isStopped()) throw new KafkaJSError('the cluster is stopped')
    await withRetries(
      () => this.connection.metadata.latest(),
      this.#retry,
      this.connection.clock,
      async () => {},
    )
    this.#connected = true
    this.#instrumentation.emit(EVENTS.CONNECT)
  }

  async disconnect(): Promise<void> {
    if (!this.#connected) return
    this.#client.flushAll()
    this.#connected = false
    this.#instrumentation.emit(EVENTS.DISCONNECT)
  }

  isIdempotent(): boolean {
    return this.#idempotent
  }

  /**
   * KafkaJS's `transaction()`: begins a transaction (the first one runs InitProducerId, which
   * fences any older producer with the same transactional id).
   */
  async transaction(): Promise<Transaction> {
    const transactions = this.#transactions
    if (transactions === undefined) {
      throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer')
    }
    if (this.#transaction?.isActive()) {
      throw new KafkaJSNonRetriableError(
        'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
      )
    }
    this.#assertConnected()
    if (transactions.identity === undefined) {
      await transactions.initProducerId().catch((error: unknown) => {
        throw toKafkaJSError(error)
      })
      this.#client.resetIdentity()
    }
    transactions.begin()
    this.#transaction = new Transaction(this, transactions)
    return this.#transaction
  }

  on(eventName: string, listener: (event: InstrumentationEvent) => void): () => void {
    return this.#instrumentation.on(eventName, listener)
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (typeof record !== 'object' || record === null) {
      return Promise.reject(
        new KafkaJSNonRetriableError(
          `send takes { topic, messages }, got ${describeValue(record)}`,
        ),
      )
    }
    return this.sendBatch({
      topicMessages: [{ topic: record.topic, messages: record.messages }],
      acks: record.acks,
      timeout: record.timeout,
      compression: record.compression,
    })
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.#transactions !== undefined) {
      return Promise.reject(
        new KafkaJSNonRetriableError(
          'A transactional producer sends within a transaction: producer.transaction()',
        ),
      )
    }
    return this.#sendBatch(batch, undefined)
  }

  /** A send that joins the producer's transaction (see Transaction). */
  sendInTransaction(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#sendBatch(batch, this.#transactions)
  }

  async #sendBatch(
    batch: ProducerBatch,
    transaction: TransactionManager | undefined,
  ): Promise<RecordMetadata[]> {
    this.#assertConnected()
    if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.topicMessages)) {
      throw new KafkaJSNonRetriableError('sendBatch takes { topicMessages: [{ topic, messages }] }')
    }
    validateSendTimeout(batch.timeout)
    const compression = toCompression(batch.compression)
    const acks = toAcks(batch.acks)
    if (this.#idempotenceRequired && acks !== -1) {
      throw new KafkaJSNonRetriableError(
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
      )
    }
    const now = this.connection.clock.now()
    // Everything is checked and routed before the first record is written: a bad message
    // fails the whole send, and nothing of it goes out.
    const checked = requireArray(batch.topicMessages, 'topicMessages').map((entry) => {
      const { topic, messages } = requireObject(entry, 'topicMessages entry')
      return checkTopicMessages(topic, messages, now)
    })
    const routed: RoutedMessages[] = []
    for (const { topic, messages, timestamps } of checked) {
      const metadata =
        this.connection.metadata.topicNow(topic) ??
        (await withRetries(
          () => this.connection.metadata.topic(topic),
          this.#retry,
          this.connection.clock,
          () => this.connection.metadata.refresh(),
        ))
      routed.push({
        topic,
        messages,
        timestamps,
        partitions: this.#route(metadata, messages),
        numPartitions: metadata.partitions.length,
      })
    }
    if (transaction !== undefined) {
      // Kafka 4's leaders take a transaction's batch only in a partition it has added.
      await transaction
        .addPartitions(
          routed.flatMap(({ topic, partitions }) =>
            [...new Set(partitions)].map((partition) => ({ topic, partition })),
          ),
        )
        .catch((error: unknown) => {
          throw toKafkaJSError(error)
        })
    }
    const written: Promise<RecordMetadata>[] = []
    for (const { topic, messages, partitions, timestamps, numPartitions } of routed) {
      // KafkaJS sends nothing for a topic without messages, and answers nothing for it.
      if (messages.length === 0) continue
      if (onePartition(partitions)) {
        const partition = partitions[0] as number
        written.push(
          this.#write(topic, { partition, acks, compression }, null, messages, timestamps),
        )
        continue
      }
      const { order, start } = byPartition(partitions, numPartitions)
      for (let partition = 0; partition < numPartitions; partition++) {
        const from = start[partition] as number
        const to = start[partition + 1] as number
        if (from === to) continue
        const indexes = order.subarray(from, to)
        written.push(
          this.#write(topic, { partition, acks, compression }, indexes, messages, timestamps),
        )
      }
    }
    const metadata =
      written.length === 1
        ? [await (written[0] as Promise<RecordMetadata>)]
        : await Promise.all(written)
    return acks === 0 ? [] : metadata
  }

  /**
   * samsa's zero-copy path for benchmarks: one RecordBatch v2 already encoded (for instance by
   * `encodeRecordBatch`), appended to one partition with no per-message work.
   */
  async sendEncodedBatch(request: {
    readonly topic: string
    readonly partition: number
    readonly batch: Uint8Array
    readonly acks?: number
  }): Promise<RecordMetadata | undefined> {
    this.#assertConnected()
    const fields = requireObject(request, 'sendEncodedBatch request')
    validateTopicName(fields.topic)
    validatePartitionId(fields.partition, 'partition')
    if (!(fields.batch instanceof Uint8Array)) {
      throw new KafkaJSNonRetriableError(
        `Invalid batch: expected an encoded RecordBatch as bytes, got ${describeValue(fields.batch)}`,
      )
    }
    const acks = toAcks(request.acks)
    const response = await withRetries(
      () => this.#client.produceEncoded(request.topic, request.partition, acks, request.batch),
      this.#retry,
      this.connection.clock,
      () => this.connection.metadata.refresh(),
    )
    if (acks === 0) return undefined
    return {
      topicName: request.topic,
      partition: request.partition,
      errorCode: 0,
      baseOffset: String(response.baseOffset),
      logAppendTime: '-1',
      logStartOffset: String(response.logStartOffset),
    }
  }

  #assertConnected(): void {
    if (!this.#connected || this.connection.isStopped()) {
      throw new KafkaJSError('The producer is disconnected', { retriable: true })
    }
  }

  /** The partition of each message, by the custom partitioner or KafkaJS's default one. */
  #route(metadata: TopicMetadata, messages: readonly Message[]): Int32Array {
    const { topic } = metadata
    const numPartitions = metadata.partitions.length
    const partitions = new Int32Array(messages.length)
    const custom = this.#customPartitioner
    const partitionMetadata =
      custom === undefined
        ? []
        : metadata.partitions.map((entry) => ({
            partitionId: entry.partition,
            leader: entry.leader,
          }))
    try {
      messages.forEach((message, index) => {
        partitions[index] =
          custom !== undefined && message.partition === undefined
            ? custom({ topic, partitionMetadata, message })
            : this.#partitioner.choosePartition({
                topic,
                key: message.key,
                partition: message.partition,
                numPartitions,
              })
      })
    } catch (error) {
      throw toKafkaJSError(error)
    }
    return partitions
  }

  async #write(
    topic: string,
    {
      partition,
      acks,
      compression,
    }: { partition: number; acks: Acks; compression: CompressionType },
    /** Which messages go, in order; null: all of them. */
    indexes: Int32Array | null,
    messages: readonly Message[],
    { now, given }: Timestamps,
  ): Promise<RecordMetadata> {
    const count = indexes === null ? messages.length : indexes.length
    // The client retries each batch as it was encoded (see ProducerClientOptions.retrying).
    const appended = await this.#client
      .appendWith(topic, partition, acks, compression, count, (builder, at) => {
        const index = indexes === null ? at : (indexes[at] as number)
        const message = messages[index] as Message
        return builder.tryAdd(
          message.key ?? null,
          message.value,
          (message.headers ?? undefined) as RecordHeaders | undefined,
          given === undefined ? now : (given[index] as number),
        )
      })
      .catch((error: unknown) => {
        throw toKafkaJSError(error)
      })
    return {
      topicName: topic,
      partition,
      errorCode: 0,
      baseOffset: String(appended.baseOffset),
      logAppendTime: '-1',
      logStartOffset: String(appended.logStartOffset),
    }
  }
}
