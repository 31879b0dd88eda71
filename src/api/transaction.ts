import type { OffsetToCommit } from '../actors/coordinator/coordinator-protocol.js'
import type { TransactionManager } from '../actors/producer/transaction-manager.js'
import { parseOffset } from './consumer-config.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import type { ProducerBatch, ProducerRecord, RecordMetadata } from './producer.js'
import { describeValue, requireArray, requireObject, validateTopicName } from './validation.js'

/** KafkaJS's `sendOffsets` argument: the group, and per partition the next offset to consume. */
export interface TransactionOffsets {
  readonly consumerGroupId: string
  readonly topics: readonly {
    readonly topic: string
    readonly partitions: readonly { readonly partition: number; readonly offset: string }[]
  }[]
}

/** What a transaction asks of its producer: sends that join the transaction. */
export interface TransactionalSender {
  sendInTransaction(batch: ProducerBatch): Promise<RecordMetadata[]>
}

function offsetsToCommit(topics: TransactionOffsets['topics']): OffsetToCommit[] {
  return requireArray(topics, 'topics').flatMap((entry) => {
    const { topic, partitions } = requireObject(entry, 'topics entry')
    const name = validateTopicName(topic)
    return requireArray(partitions, `partitions of topic "${name}"`).map((item) => {
      const { partition, offset } = requireObject(item, 'partition offset')
      if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
        throw new KafkaJSNonRetriableError(
          `Invalid partition: expected a partition number, got ${describeValue(partition)}`,
        )
      }
      return { topic: name, partition, offset: parseOffset(offset), metadata: null }
    })
  })
}

/**
 * KafkaJS's Transaction: what is sent through it, and the offsets sent with it, become visible
 * to read-committed consumers together when it commits, and never when it aborts. Every call
 * after it ended rejects.
 */
export class Transaction {
  #ended = false

  constructor(
    private readonly sender: TransactionalSender,
    private readonly manager: TransactionManager,
  ) {}

  isActive(): boolean {
    return !this.#ended
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.#guard(() => {
      requireObject(record, 'send record')
      return this.sender.sendInTransaction({
        topicMessages: [{ topic: record.topic, messages: record.messages }],
        acks: record.acks,
        timeout: record.timeout,
        compression: record.compression,
      })
    })
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#guard(() => this.sender.sendInTransaction(batch))
  }

  sendOffsets({ consumerGroupId, topics }: TransactionOffsets): Promise<void> {
    return this.#guard(async () => {
      if (typeof consumerGroupId !== 'string' || consumerGroupId.length === 0) {
        throw new KafkaJSNonRetriableError('Missing consumerGroupId')
      }
      if (topics === undefined || topics === null) {
        throw new KafkaJSNonRetriableError('Missing offset topics')
      }
      await this.manager.sendOffsets(consumerGroupId, offsetsToCommit(topics))
    })
  }

  commit(): Promise<void> {
    return this.#guard(async () => {
      await this.manager.end(true)
      this.#ended = true
    })
  }

  abort(): Promise<void> {
    return this.#guard(async () => {
      await this.manager.end(false)
      this.#ended = true
    })
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.#ended) {
      throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended')
    }
    try {
      return await work()
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }
}
