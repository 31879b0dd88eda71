import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import {
  type Acks,
  type BrokerMessage,
  type PartitionBatch,
  type PartitionProduced,
  type ProduceReply,
  type ProduceResponse,
  parseProduceReply,
  partitionBatch,
  producedOrThrow,
  produceRequest,
} from '../broker/broker-protocol.js'

interface QueuedBatch {
  readonly batch: PartitionBatch
  readonly resolve: (response: ProduceResponse) => void
  readonly reject: (error: unknown) => void
}

export interface BrokerProduceQueueOptions {
  readonly broker: ActorRef<BrokerMessage>
  readonly acks: Acks
  /** Requests to this broker unanswered at once, as Kafka's max.in.flight.requests.per.connection. */
  readonly maxInFlight: number
  readonly requestTimeoutMs: number
  readonly linkName: string | undefined
  /** Told each time a request is answered (or fails): a request's room is free again. */
  readonly onAnswered?: () => void
}

const NOT_ACKNOWLEDGED: ProduceResponse = { baseOffset: -1, logAppendTime: -1, logStartOffset: -1 }

/**
 * The batches a producer has for one broker (at one acks level), sent as Kafka's producer sends
 * them: one produce request carrying every partition's batch that is ready, so a request's cost
 * does not grow with the partition count. Batches queued in the same turn of the event loop go
 * together (at the end of the turn, or sooner when the producer calls `flush` after handing over
 * what it had); while `maxInFlight` requests are unanswered the rest wait for the next one.
 */
export class BrokerProduceQueue {
  #queued: QueuedBatch[] = []
  #inFlight = 0
  /** The end-of-turn flush, until the producer flushes sooner or it runs. */
  #scheduled: NodeJS.Immediate | undefined

  constructor(private readonly options: BrokerProduceQueueOptions) {}

  /** Whether `maxInFlight` requests are unanswered: what is sent now waits for one of them. */
  get saturated(): boolean {
    return this.#inFlight >= this.options.maxInFlight
  }

  /** Resolves with the broker's answer for this partition's batch, or its error. */
  send(topic: string, partition: number, batch: Uint8Array): Promise<ProduceResponse> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ batch: partitionBatch(topic, partition, batch), resolve, reject })
      this.#scheduled ??= setImmediate(() => this.flush())
    })
  }

  /** Sends what is queued now, in one request, unless `maxInFlight` requests are unanswered. */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled)
      this.#scheduled = undefined
    }
    if (this.#queued.length === 0 || this.#inFlight >= this.options.maxInFlight) return
    const sending = this.#queued
    this.#queued = []
    const { broker, acks, requestTimeoutMs, linkName } = this.options
    const request = produceRequest(
      acks,
      sending.map((queued) => queued.batch),
    )
    if (acks === 0) {
      broker.tell(request, { from: linkName })
      for (const queued of sending) queued.resolve(NOT_ACKNOWLEDGED)
      return
    }
    this.#inFlight++
    broker
      .ask<ProduceReply>(request, {
        timeoutMs: requestTimeoutMs,
        parseReply: parseProduceReply,
        from: linkName,
      })
      .then(
        (reply) => {
          if (reply.partitions.length !== sending.length) {
            const error = new MalformedMessageError(
              `a produce reply must answer ${sending.length} batches, it answers ${reply.partitions.length}`,
            )
            for (const queued of sending) queued.reject(error)
            return
          }
          sending.forEach((queued, index) => {
            const answer = reply.partitions[index] as PartitionProduced
            try {
              queued.resolve(producedOrThrow(answer))
            } catch (error) {
              queued.reject(error)
            }
          })
        },
        (error: unknown) => {
          for (const queued of sending) queued.reject(error)
        },
      )
      .finally(() => {
        this.#inFlight--
        this.flush()
        this.options.onAnswered?.()
      })
  }
}
