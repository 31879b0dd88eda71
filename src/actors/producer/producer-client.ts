import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock, Timer } from '../../runtime/clock/clock.js'
import { AskTimeoutError } from '../../runtime/errors/actor-errors.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { encodeRecordBatch, type RecordInput } from '../../runtime/log/record-batch-codec.js'
import {
  type Acks,
  type BrokerMessage,
  type ProduceResponse,
  parseProduceResponse,
  produceRequest,
} from '../broker/broker-protocol.js'
import {
  type MetadataSnapshot,
  type ProducerIdentity,
  parseProducerIdentity,
  type SupervisorRequest,
  type TopicMetadata,
} from '../supervisor/supervisor-protocol.js'
import { MAX_UNACKNOWLEDGED_BATCHES, PartitionSequence } from './partition-sequence.js'
import { StagingArea } from './staging-area.js'

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

interface OpenBatch {
  readonly topic: string
  readonly partition: number
  readonly acks: Acks
  readonly records: RecordInput[]
  readonly waiters: Waiter[]
  bytes: number
  /** Its send is scheduled: after `lingerMs` on the clock, or (linger 0) at the end of this turn. */
  sendScheduled: boolean
  timer: Timer | undefined
}

/** The largest producer epoch (an int16): past it, a producer takes a new id instead. */
const MAX_PRODUCER_EPOCH = 32_767

/** An idempotent producer's id and epoch, and its partitions' sequences under that epoch. */
interface Generation {
  readonly identity: ProducerIdentity
  readonly sequences: Map<string, PartitionSequence>
  /** A batch was given up on: batches from now on wait for the next epoch. */
  retired: boolean
}

/** A rough record size, enough to decide when a batch is full. */
function estimateBytes(record: RecordInput): number {
  let bytes = 16 + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  for (const header of record.headers ?? [])
    bytes += 8 + header.key.length + (header.value?.length ?? 0)
  return bytes
}

/** A counting semaphore: at most `limit` produce requests to one broker at a time. */
class InFlightLimit {
  #active = 0
  readonly #queue: (() => void)[] = []

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#queue.push(resolve))
    this.#active++
    try {
      return await work()
    } finally {
      this.#active--
      this.#queue.shift()?.()
    }
  }
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
  readonly #inFlight = new Map<number, InFlightLimit>()
  readonly #stagingBytes: number
  readonly #idempotent: boolean
  readonly #retrying: <T>(attempt: () => Promise<T>) => Promise<T>
  readonly #linkName: string | undefined
  #generation: Promise<Generation> | undefined
  #staging: StagingArea | undefined
  #metadata: MetadataSnapshot | undefined
  #changes: Int32Array | undefined
  #refreshing: Promise<MetadataSnapshot> | undefined

  constructor(
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
  }

  /** Fetches fresh metadata; concurrent callers share one request. */
  refreshMetadata(): Promise<MetadataSnapshot> {
    this.#refreshing ??= this.supervisor
      .ask<MetadataSnapshot>(
        { type: 'metadata' },
        { timeoutMs: this.#requestTimeoutMs, from: this.#linkName },
      )
      .then((snapshot) => {
        this.#metadata = snapshot
        return snapshot
      })
      .finally(() => {
        this.#refreshing = undefined
      })
    return this.#refreshing
  }

  /** The topic's metadata, fetched once if not known; UNKNOWN_TOPIC_OR_PARTITION if absent. */
  async topic(name: string): Promise<TopicMetadata> {
    const cached = this.#fresh()?.topics.find((topic) => topic.topic === name)
    if (cached !== undefined) return cached
    const fresh = (await this.refreshMetadata()).topics.find((topic) => topic.topic === name)
    if (fresh === undefined) {
      throw new KafkaProtocolError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `this server does not host topic '${name}'`,
      )
    }
    return fresh
  }

  /**
   * Adds records to their partition's open batch and resolves once the batch holding them is
   * acknowledged (at once with acks 0, with offset -1, as Kafka gives no offset then).
   */
  append(
    topic: string,
    partition: number,
    acks: Acks,
    records: readonly RecordInput[],
  ): Promise<Appended> {
    const key = `${topic}/${partition}/${acks}`
    let batch = this.#open.get(key)
    if (batch === undefined) {
      batch = {
        topic,
        partition,
        acks,
        records: [],
        waiters: [],
        bytes: 0,
        sendScheduled: false,
        timer: undefined,
      }
      this.#open.set(key, batch)
    }
    const open = batch
    const appended = new Promise<Appended>((resolve, reject) => {
      open.waiters.push({ firstIndex: open.records.length, resolve, reject })
    })
    for (const record of records) {
      open.records.push(record)
      open.bytes += estimateBytes(record)
    }
    if (open.bytes >= this.#batchSize) this.#send(key, open)
    else if (!open.sendScheduled) {
      open.sendScheduled = true
      // Linger 0 is Kafka's "send as soon as the sender is free", not a timer: a timer of 0
      // is at least 1 ms in Node, and every send() would wait it. Records appended in the
      // same turn still go together.
      if (this.#lingerMs > 0) {
        open.timer = this.clock.schedule(this.#lingerMs, () => this.#send(key, open))
      } else {
        setImmediate(() => this.#send(key, open))
      }
    }
    return appended
  }

  /**
   * One already-encoded RecordBatch v2, straight to the partition leader. The bytes are copied
   * before this returns, so the caller may reuse `batch` at once.
   */
  produceEncoded(
    topic: string,
    partition: number,
    acks: Acks,
    batch: Uint8Array,
  ): Promise<ProduceResponse> {
    // With acks 0 no reply says when the broker is done with shared room: send a copy.
    const staged = acks === 0 ? undefined : this.#stage(batch)
    const payload = staged?.view ?? batch.slice()
    const sent = (async () => {
      const leader = await this.#leaderOf(topic, partition)
      return this.#limitFor(leader.id).run(() =>
        this.#produce(leader.ref, topic, partition, acks, payload),
      )
    })()
    if (staged === undefined) return sent
    return sent.then(
      (response) => {
        staged.release()
        return response
      },
      (error: unknown) => {
        // A broker that timed out may still read the room later: leave the whole area to it
        // rather than hand that room to the next batch.
        if (error instanceof AskTimeoutError) this.#staging = undefined
        else staged.release()
        throw error
      },
    )
  }

  #stage(batch: Uint8Array) {
    if (batch.length > this.#stagingBytes / 4) return undefined
    this.#staging ??= new StagingArea(this.#stagingBytes)
    return this.#staging.stage(batch)
  }

  /** Sends every open batch now (used by disconnect, so nothing accepted is dropped). */
  flushAll(): void {
    for (const [key, batch] of this.#open) this.#send(key, batch)
  }

  #send(key: string, batch: OpenBatch): void {
    if (this.#open.get(key) !== batch) return
    this.#open.delete(key)
    if (batch.timer !== undefined) this.clock.cancel(batch.timer)
    const { topic, partition, acks, records, waiters } = batch
    this.#deliver(topic, partition, acks, records).then(
      (response) => {
        for (const waiter of waiters) {
          waiter.resolve({
            baseOffset: response.baseOffset < 0 ? -1 : response.baseOffset + waiter.firstIndex,
            logStartOffset: response.logStartOffset,
          })
        }
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error)
      },
    )
  }

  /** Encodes the batch once, so that every retry sends the very same bytes, and delivers it. */
  async #deliver(
    topic: string,
    partition: number,
    acks: Acks,
    records: readonly RecordInput[],
  ): Promise<ProduceResponse> {
    const timestamp = this.clock.now()
    if (!this.#idempotent) {
      const encoded = encodeRecordBatch({ records, timestamp })
      return this.#retrying(() => this.produceEncoded(topic, partition, acks, encoded))
    }
    let generation = await this.#currentGeneration()
    // A batch given up on meanwhile retired it: this one waits for the next epoch.
    while (generation.retired) generation = await this.#currentGeneration()
    const { producerId, producerEpoch } = generation.identity
    return this.#sequenceOf(generation, topic, partition).add(records.length, (baseSequence) =>
      encodeRecordBatch({ records, timestamp, producerId, producerEpoch, baseSequence }),
    )
  }

  #sequenceOf(generation: Generation, topic: string, partition: number): PartitionSequence {
    const key = `${topic}/${partition}`
    let sequence = generation.sequences.get(key)
    if (sequence === undefined) {
      sequence = new PartitionSequence({
        partitionName: `${topic}-${partition}`,
        maxInFlight: Math.min(MAX_UNACKNOWLEDGED_BATCHES, this.#maxInFlight),
        // Acks all: the idempotent producer's only mode (its callers refuse any other).
        send: (batch) => this.produceEncoded(topic, partition, -1, batch),
        retrying: this.#retrying,
        onBroken: () => this.#nextEpoch(generation),
      })
      generation.sequences.set(key, sequence)
    }
    return sequence
  }

  /** The producer id and epoch batches are encoded with now (the id asked for once). */
  #currentGeneration(): Promise<Generation> {
    return this.#generation ?? this.#adopt(this.#initProducerId())
  }

  #initProducerId(): Promise<Generation> {
    return this.#retrying(() =>
      this.supervisor.ask<ProducerIdentity>(
        { type: 'init-producer-id' },
        {
          timeoutMs: this.#requestTimeoutMs,
          parseReply: parseProducerIdentity,
          from: this.#linkName,
        },
      ),
    ).then((identity) => ({ identity, sequences: new Map(), retired: false }))
  }

  #adopt(next: Promise<Generation>): Promise<Generation> {
    this.#generation = next
    // A failed start is not kept: the next batch asks again.
    next.catch(() => {
      if (this.#generation === next) this.#generation = undefined
    })
    return next
  }

  /**
   * A batch was given up on, so a partition's sequence has a gap no retry fills (and whether
   * that batch is in the log cannot be known). As Kafka's idempotent producer does (KIP-360),
   * go on under the next epoch of the same producer id, every partition's sequence from 0
   * again — once every batch under this epoch is answered, so that none is retried after a
   * batch of the new epoch, which the leader would take for a zombie's.
   */
  #nextEpoch(retiring: Generation): void {
    if (retiring.retired) return
    retiring.retired = true
    const { producerId, producerEpoch } = retiring.identity
    const sequences = [...retiring.sequences.values()]
    this.#adopt(
      Promise.all(sequences.map((sequence) => sequence.idle())).then(() =>
        producerEpoch < MAX_PRODUCER_EPOCH
          ? {
              identity: { producerId, producerEpoch: producerEpoch + 1 },
              sequences: new Map(),
              retired: false,
            }
          : this.#initProducerId(),
      ),
    )
  }

  async #produce(
    leader: ActorRef<BrokerMessage>,
    topic: string,
    partition: number,
    acks: Acks,
    batch: Uint8Array,
  ): Promise<ProduceResponse> {
    const request = produceRequest(topic, partition, acks, batch)
    if (acks === 0) {
      leader.tell(request, { from: this.#linkName })
      return { baseOffset: -1, logAppendTime: -1, logStartOffset: -1 }
    }
    return leader.ask<ProduceResponse>(request, {
      timeoutMs: this.#requestTimeoutMs,
      parseReply: parseProduceResponse,
      from: this.#linkName,
    })
  }

  async #leaderOf(
    topic: string,
    partition: number,
  ): Promise<{ readonly id: number; readonly ref: ActorRef<BrokerMessage> }> {
    const metadata = await this.topic(topic)
    const found = metadata.partitions.find((entry) => entry.partition === partition)
    if (found === undefined) {
      throw new KafkaProtocolError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `topic '${topic}' has no partition ${partition}`,
      )
    }
    const broker = this.#metadata?.brokers.find((entry) => entry.nodeId === found.leader)
    if (broker === undefined || !broker.alive) {
      throw new KafkaProtocolError(
        'LEADER_NOT_AVAILABLE',
        `partition ${topic}-${partition} has no live leader`,
      )
    }
    return { id: broker.nodeId, ref: broker.ref }
  }

  /** The metadata held, unless the supervisor has published a newer version since. */
  #fresh(): MetadataSnapshot | undefined {
    const held = this.#metadata
    if (held === undefined) return undefined
    if (this.#changes?.buffer !== held.changes) this.#changes = new Int32Array(held.changes)
    return Atomics.load(this.#changes, 0) === held.version ? held : undefined
  }

  #limitFor(brokerId: number): InFlightLimit {
    let limit = this.#inFlight.get(brokerId)
    if (limit === undefined) {
      limit = new InFlightLimit(this.#maxInFlight)
      this.#inFlight.set(brokerId, limit)
    }
    return limit
  }
}
