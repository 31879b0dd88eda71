import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock, Timer } from '../../runtime/clock/clock.js'
import { AskTimeoutError } from '../../runtime/errors/actor-errors.js'
import { type CompressionType, CompressionTypes } from '../../runtime/log/compression.js'
import { TRANSACTIONAL_BIT } from '../../runtime/log/control-batch.js'
import {
  type BatchIdentity,
  RecordBatchBuilder,
  type RecordBytes,
  type RecordHeaders,
  stampIdentity,
} from '../../runtime/log/record-batch-builder.js'
import { compressRecordBatch, type RecordInput } from '../../runtime/log/record-batch-codec.js'
import type { Acks, BrokerMessage, ProduceResponse } from '../broker/broker-protocol.js'
import type { MetadataCache } from '../client/metadata-cache.js'
import {
  type ProducerIdentity,
  parseProducerIdentity,
  type SupervisorRequest,
} from '../supervisor/supervisor-protocol.js'
import { BrokerProduceQueue } from './broker-produce-queue.js'
import { MAX_UNACKNOWLEDGED_BATCHES, PartitionSequence } from './partition-sequence.js'
import { type Generation, ProducerGenerations } from './producer-generations.js'
import { type StagedBatch, StagingArea } from './staging-area.js'

export interface ProducerClientOptions {
  /** Kafka's `linger.ms`: how long a partition's batch waits for more records. Default 0. */
  readonly lingerMs?: number
  /** Kafka's `batch.size`: a batch is sent once its records reach this many bytes. */
  readonly batchSize?: number
  /** Produce requests in flight per broker, as Kafka's `max.in.flight.requests.per.connection`. */
  readonly maxInFlightRequests?: number
  /** Deadline of one produce request. */
  readonly requestTimeoutMs?: number
  /** Shared memory for outgoing batches (see StagingArea). Default 8 MiB. */
  readonly stagingBytes?: number
  /**
   * Kafka's idempotent producer: a producer id from the controller and a sequence number per
   * partition in every batch, so the leader appends a retried batch once and only in order;
   * up to five batches in flight per partition (fewer if `maxInFlightRequests` says so).
   */
  readonly idempotent?: boolean
  /** How to retry one request (a batch's produce: the same bytes each time); once by default. */
  readonly retrying?: <T>(attempt: () => Promise<T>) => Promise<T>
  /** Whom this producer's requests are from on their links (see SendOptions.from). */
  readonly linkName?: string
  /**
   * A transactional producer: its id and epoch come from its transaction coordinator, its
   * batches carry the transactional bit, and a broken sequence is left to the transaction's
   * abort rather than mended with a local epoch bump.
   */
  readonly transactional?: { readonly identity: () => Promise<ProducerIdentity> }
}

/** Where a record landed: the offset of the first of the caller's records in the partition. */
export interface Appended {
  readonly baseOffset: number
  readonly logStartOffset: number
}

interface Waiter {
  readonly firstIndex: number
  readonly resolve: (appended: Appended) => void
  readonly reject: (error: unknown) => void
}

/** A partition's batch being filled: records go straight into its builder. */
interface OpenBatch {
  readonly key: string
  readonly topic: string
  readonly partition: number
  readonly acks: Acks
  readonly compression: CompressionType
  readonly builder: RecordBatchBuilder
  readonly waiters: Waiter[]
  timer: Timer | undefined
}

/** Writes record `index` of an append into `builder`; false when it does not fit there. */
export type RecordWriter = (builder: RecordBatchBuilder, index: number) => boolean

const NO_ROOM_HELD = { release() {} }

const queueKey = (leader: ActorRef<BrokerMessage>, acks: Acks) =>
  `${leader.node}\u0000${leader.name}\u0000${acks}`

/** Record headers as the builder takes them: a name given more than once, all its values. */
function headersByName(headers: RecordInput['headers']): RecordHeaders | undefined {
  if (headers === undefined || headers.length === 0) return undefined
  const byName: Record<string, RecordBytes[]> = Object.create(null)
  for (const { key, value } of headers) {
    const values = byName[key] ?? []
    values.push(value)
    byName[key] = values
  }
  return byName
}

/**
 * The producer's core, usable on any thread that has a ref to the supervisor: metadata, a
 * record accumulator per partition (linger / batch size), and produce requests to partition
 * leaders with a bound on those in flight, each retried as the caller's policy says.
 */
export class ProducerClient {
  readonly #lingerMs: number
  readonly #batchSize: number
  readonly #maxInFlight: number
  readonly #requestTimeoutMs: number
  readonly #open = new Map<string, OpenBatch>()
  /** Batches that took all they could, waiting for the end of the turn. */
  readonly #full: OpenBatch[] = []
  readonly #queues = new Map<string, BrokerProduceQueue>()
  readonly #spareBuilders: RecordBatchBuilder[] = []
  readonly #stagingBytes: number
  readonly #idempotent: boolean
  readonly #retrying: <T>(attempt: () => Promise<T>) => Promise<T>
  readonly #linkName: string | undefined
  readonly #transactional: ProducerClientOptions['transactional']
  #sendScheduled = false
  /** The last batch being compressed: the next waits for it, so batches keep their order. */
  #compressing: Promise<unknown> = Promise.resolve()
  readonly #generations = new ProducerGenerations(() => this.#initProducerId())
  #staging: StagingArea | undefined

  constructor(
    /** The connection's metadata, shared with its other clients. */
    readonly metadata: MetadataCache,
    private readonly supervisor: ActorRef<SupervisorRequest>,
    private readonly clock: Clock,
    options: ProducerClientOptions = {},
  ) {
    this.#lingerMs = options.lingerMs ?? 0
    this.#batchSize = options.batchSize ?? 16_384
    this.#maxInFlight = options.maxInFlightRequests ?? 5
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#stagingBytes = options.stagingBytes ?? 8 * 1024 * 1024
    this.#idempotent = options.idempotent ?? false
    this.#retrying = options.retrying ?? ((attempt) => attempt())
    this.#linkName = options.linkName
    this.#transactional = options.transactional
  }

  /** Forgets the producer id and epoch: the next batch takes them anew (a transactional re-init). */
  resetIdentity(): void {
    this.#generations.reset()
  }

  /**
   * Adds `count` records to their partition's open batch, each written by `write`, and
   * resolves once every batch holding them is acknowledged, with the offset of the first (-1
   * with acks 0, as Kafka gives no offset then). A batch that reaches `batchSize` takes no
   * more records and goes at the end of the turn; the records after it go into the next one.
   */
  appendWith(
    topic: string,
    partition: number,
    acks: Acks,
    compression: CompressionType,
    count: number,
    write: RecordWriter,
  ): Promise<Appended> {
    let open = this.#openBatch(topic, partition, acks, compression)
    const parts: Promise<Appended>[] = []
    let waitingOn: OpenBatch | undefined
    for (let index = 0; index < count; index++) {
      if (!write(open.builder, index)) {
        this.#markFull(open)
        open = this.#openBatch(topic, partition, acks, compression)
        // An empty batch takes any record.
        write(open.builder, index)
      }
      // Waited on from the first record of these that went into it.
      if (waitingOn !== open) {
        parts.push(this.#waitFor(open, open.builder.recordCount - 1))
        waitingOn = open
      }
    }
    if (open.builder.byteLength >= this.#batchSize) this.#markFull(open)
    else if (open.timer === undefined) this.#sendAtEndOfTurn()
    return parts.length === 1
      ? (parts[0] as Promise<Appended>)
      : Promise.all(parts).then((appended) => appended[0] as Appended)
  }

  /** `appendWith` for records given as objects. */
  append(
    topic: string,
    partition: number,
    acks: Acks,
    records: readonly RecordInput[],
  ): Promise<Appended> {
    const now = this.clock.now()
    const none = CompressionTypes.None
    return this.appendWith(topic, partition, acks, none, records.length, (builder, index) => {
      const { key, value, headers, timestamp } = records[index] as RecordInput
      return builder.tryAdd(key, value, headersByName(headers), timestamp ?? now)
    })
  }

  /**
   * One already-encoded RecordBatch v2, straight to the partition leader. The bytes are copied
   * before this returns, so the caller may reuse `batch` at once.
   */
  async produceEncoded(
    topic: string,
    partition: number,
    acks: Acks,
    batch: Uint8Array,
  ): Promise<ProduceResponse> {
    const owned = this.#own(batch, acks)
    try {
      return await this.#dispatch(topic, partition, acks, owned.view)
    } finally {
      owned.release()
    }
  }

  /** Sends every open batch now (used by disconnect, so nothing accepted is dropped). */
  flushAll(): void {
    this.#sendFull()
    for (const batch of [...this.#open.values()]) this.#send(batch)
    this.#flushRequests()
  }

  #openBatch(
    topic: string,
    partition: number,
    acks: Acks,
    compression: CompressionType,
  ): OpenBatch {
    const key = `${topic}\u0000${partition}\u0000${acks}\u0000${compression}`
    let open = this.#open.get(key)
    if (open === undefined) {
      open = {
        key,
        topic,
        partition,
        acks,
        compression,
        builder: this.#spareBuilders.pop() ?? new RecordBatchBuilder(this.#batchSize),
        waiters: [],
        timer: undefined,
      }
      this.#open.set(key, open)
      if (this.#lingerMs > 0) {
        const lingering = open
        open.timer = this.clock.schedule(this.#lingerMs, () => {
          lingering.timer = undefined
          // Full batches waiting for the end of the turn are older: they go first.
          this.#sendFull()
          this.#sendUnlessLeaderBusy(lingering)
          this.#flushRequests()
        })
      }
    }
    return open
  }

  #waitFor(open: OpenBatch, firstIndex: number): Promise<Appended> {
    return new Promise<Appended>((resolve, reject) => {
      open.waiters.push({ firstIndex, resolve, reject })
    })
  }

  /** A full batch takes no more records and goes with the next send, whatever its linger. */
  #markFull(open: OpenBatch): void {
    if (!this.#close(open)) return
    this.#full.push(open)
    this.#sendAtEndOfTurn()
  }

  /** Takes an open batch out of the accumulator; false when it was out already. */
  #close(open: OpenBatch): boolean {
    if (this.#open.get(open.key) !== open) return false
    this.#open.delete(open.key)
    if (open.timer !== undefined) this.clock.cancel(open.timer)
    open.timer = undefined
    return true
  }

  /**
   * Sends every batch that is full or does not linger, at the end of this turn: Kafka's "send
   * as soon as the sender is free" for linger 0, not a timer (a timer of 0 is at least 1 ms in
   * Node, and every send() would wait it). What is appended in one turn goes together: one
   * request per broker.
   */
  #sendAtEndOfTurn(): void {
    if (this.#sendScheduled) return
    this.#sendScheduled = true
    setImmediate(() => {
      this.#sendScheduled = false
      this.#sendFull()
      for (const batch of [...this.#open.values()]) {
        if (batch.timer === undefined) this.#sendUnlessLeaderBusy(batch)
      }
      this.#flushRequests()
    })
  }

  /**
   * Sends a batch that is ready, unless its leader already has `maxInFlight` requests
   * unanswered: then, as in Kafka's producer, it stays open and takes the records that come
   * meanwhile, and goes when an answer frees a request's room. Under load, sends made one
   * record at a time still travel in batches.
   */
  #sendUnlessLeaderBusy(open: OpenBatch): void {
    if (!this.#leaderBusy(open)) this.#send(open)
  }

  #leaderBusy({ topic, partition, acks }: OpenBatch): boolean {
    const snapshot = this.metadata.current()
    if (snapshot === undefined) return false
    try {
      const leader = this.metadata.leaderIn(snapshot, topic, partition)
      return this.#queues.get(queueKey(leader, acks))?.saturated === true
    } catch {
      // No leader to be busy: the batch goes, and its sending finds out why.
      return false
    }
  }

  #sendFull(): void {
    for (const batch of this.#full.splice(0)) this.#deliverBatch(batch)
  }

  #flushRequests(): void {
    for (const queue of this.#queues.values()) queue.flush()
  }

  /** Closes an open batch (its linger is over, or it is not to linger) and sends it. */
  #send(open: OpenBatch): void {
    if (this.#close(open)) this.#deliverBatch(open)
  }

  #deliverBatch(open: OpenBatch): void {
    const { topic, partition, acks, compression, builder, waiters } = open
    const recordCount = builder.recordCount
    const settle = (response: ProduceResponse) => {
      for (const waiter of waiters) {
        waiter.resolve({
          baseOffset: response.baseOffset < 0 ? -1 : response.baseOffset + waiter.firstIndex,
          logStartOffset: response.logStartOffset,
        })
      }
    }
    const fail = (error: unknown) => {
      for (const waiter of waiters) waiter.reject(error)
    }
    const deliver = (owned: StagedBatch) => {
      this.#deliver(topic, partition, acks, recordCount, owned.view)
        .finally(() => owned.release())
        .then(settle, fail)
    }
    const attributes = this.#transactional === undefined ? 0 : TRANSACTIONAL_BIT
    if (compression === CompressionTypes.None) {
      deliver(this.#own(builder.finish(attributes), acks))
      this.#spare(builder)
      return
    }
    // Compressed batches finish in the order they were sealed, so a partition's batches
    // still go out in order.
    const compressing = this.#compressing.then(() =>
      compressRecordBatch(builder.finish(attributes), compression),
    )
    this.#compressing = compressing.then(
      () => this.#spare(builder),
      () => this.#spare(builder),
    )
    compressing.then((compressed) => deliver(this.#own(compressed, acks)), fail)
  }

  #spare(builder: RecordBatchBuilder): void {
    builder.reset()
    this.#spareBuilders.push(builder)
  }

  /**
   * Delivers one finished batch, stamped with who sends it; every retry sends the very same
   * bytes. An idempotent producer's batch (acks all only) takes its partition's next sequence.
   */
  async #deliver(
    topic: string,
    partition: number,
    acks: Acks,
    recordCount: number,
    batch: Uint8Array,
  ): Promise<ProduceResponse> {
    if (!this.#idempotent || acks !== -1) {
      stampIdentity(batch)
      return this.#retrying(() => this.#dispatch(topic, partition, acks, batch))
    }
    // The generation in use is taken without an await (see #dispatch).
    let generation = this.#generations.adopted ?? (await this.#generations.current())
    // A batch given up on meanwhile retired it: this one waits for the next epoch.
    while (generation.retired) generation = await this.#generations.current()
    const { producerId, producerEpoch } = generation.identity
    return this.#sequenceOf(generation, topic, partition).add(recordCount, (baseSequence) => {
      const identity: BatchIdentity = { producerId, producerEpoch, baseSequence }
      stampIdentity(batch, identity)
      return batch
    })
  }

  /**
   * The batch in memory this client owns until its answer: shared staging memory, so the
   * request carries only a view, or a copy when the area is full or (acks 0) no answer will
   * say when the broker is done with it.
   */
  #own(batch: Uint8Array, acks: Acks): StagedBatch {
    if (acks !== 0 && batch.length <= this.#stagingBytes / 4) {
      this.#staging ??= new StagingArea(this.#stagingBytes)
      const staged = this.#staging.stage(batch)
      if (staged !== undefined) return staged
    }
    // Uint8Array's slice copies; a Buffer's would be a view of memory the caller reuses.
    return { view: Uint8Array.prototype.slice.call(batch), ...NO_ROOM_HELD }
  }

  /** One attempt: the batch to its partition's leader, in that broker's next request. */
  async #dispatch(
    topic: string,
    partition: number,
    acks: Acks,
    batch: Uint8Array,
  ): Promise<ProduceResponse> {
    // Current metadata is used without an await, so the batch reaches its broker's queue in
    // this turn and goes with the flush at its end, not a turn later.
    const snapshot = this.metadata.current() ?? (await this.metadata.latest())
    const leader = this.metadata.leaderIn(snapshot, topic, partition)
    try {
      return await this.#queueFor(leader, acks).send(topic, partition, batch)
    } catch (error) {
      // A broker that timed out may still read staged room later: leave the whole area to it
      // rather than hand that room to the next batch.
      if (error instanceof AskTimeoutError) this.#staging = undefined
      throw error
    }
  }

  #queueFor(leader: ActorRef<BrokerMessage>, acks: Acks): BrokerProduceQueue {
    const key = queueKey(leader, acks)
    let queue = this.#queues.get(key)
    if (queue === undefined) {
      queue = new BrokerProduceQueue({
        broker: leader,
        acks,
        maxInFlight: this.#maxInFlight,
        requestTimeoutMs: this.#requestTimeoutMs,
        linkName: this.#linkName,
        // Batches held open while this broker was busy may go now.
        onAnswered: () => this.#sendAtEndOfTurn(),
      })
      this.#queues.set(key, queue)
    }
    return queue
  }

  #sequenceOf(generation: Generation, topic: string, partition: number): PartitionSequence {
    const key = `${topic}/${partition}`
    let sequence = generation.sequences.get(key)
    if (sequence === undefined) {
      sequence = new PartitionSequence({
        partitionName: `${topic}-${partition}`,
        maxInFlight: Math.min(MAX_UNACKNOWLEDGED_BATCHES, this.#maxInFlight),
        // Acks all: the idempotent producer's only mode (its callers refuse any other).
        send: (batch) => this.#dispatch(topic, partition, -1, batch),
        retrying: this.#retrying,
        onBroken: () => {
          if (this.#transactional === undefined) this.#generations.nextEpoch(generation)
        },
      })
      generation.sequences.set(key, sequence)
    }
    return sequence
  }

  #initProducerId(): Promise<ProducerIdentity> {
    const transactional = this.#transactional
    if (transactional !== undefined) return transactional.identity()
    return this.#retrying(() =>
      this.supervisor.ask<ProducerIdentity>(
        { type: 'init-producer-id' },
        {
          timeoutMs: this.#requestTimeoutMs,
          parseReply: parseProducerIdentity,
          from: this.#linkName,
        },
      ),
    )
  }
}
