import {
  arrayField,
  type Fields,
  fieldsOf,
  integerField,
  numberField,
  optionalIntegerField,
  stringField,
} from '../../src/actors/protocol-fields.js'
import { MalformedMessageError } from '../../src/runtime/errors/actor-errors.js'
import type { PartitionLogHandle } from '../../src/runtime/log/log-layout.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { type GuestLinks, parseGuestLinks } from '../../src/runtime/thread/guest-links.js'

/*
 * What the benchmark's load generators are handed and hand back. Each is a piscina task on a
 * worker of the load pool: a producer runs its share of the partitions through the cluster's
 * producer client (its thread joins the actor network as a guest), a consumer reads its share
 * straight from the leaders' logs in shared memory. Both keep their counts in `progress`
 * (see LoadProgress).
 */

/** The shape of one partition's records: how many, how big, how batched. */
export interface RecordPlan {
  readonly recordsPerPartition: number
  readonly recordSize: number
  readonly batchRecords: number
}

export interface ProduceShare extends RecordPlan {
  readonly links: GuestLinks
  /** The supervisor's address: producers ask it for metadata and producer ids. */
  readonly supervisor: { readonly node: number; readonly name: string }
  readonly topic: string
  /** Partitions in the topic (the length of each count's row in `progress`). */
  readonly partitionCount: number
  /** The partitions this producer writes. */
  readonly partitions: readonly number[]
  readonly acks: -1 | 0 | 1
  readonly idempotent: boolean
  readonly maxLagRecords: number
  readonly progress: SharedArrayBuffer
  /**
   * Records one at a time through the producer client's accumulator, which batches them by
   * Kafka's linger.ms and batch.size, as an application's sends go. Absent: batches of
   * `batchRecords` encoded by the task.
   */
  readonly accumulator?: Accumulator
  /** Records per second for each partition (absent: as fast as the cluster takes them). */
  readonly partitionRate?: number
  /** Stop sending after this long (absent: after `recordsPerPartition`, its cap either way). */
  readonly durationMs?: number
}

export interface Accumulator {
  readonly lingerMs: number
  /** Bytes. */
  readonly batchSize: number
}

export interface ConsumeShare extends RecordPlan {
  readonly partitionCount: number
  /** The partitions this consumer reads, each with its leader's log. */
  readonly logs: readonly { readonly partition: number; readonly log: PartitionLogHandle }[]
  readonly progress: SharedArrayBuffer
}

/** A load generator's statistics. */
export interface ShareOutcome {
  readonly records: number
  /** From the task's start on its own thread to its last record. */
  readonly elapsedMs: number
  readonly error?: string
}

/** Int32 words of `progress` per partition: consumed, acknowledged, sent in all. */
const PROGRESS_WORDS = 3

/**
 * The counts a load run shares between its threads, one row per count, one Int32 per
 * partition in each: records consumed, records acknowledged, and records sent in all (unknown
 * until the partition's producer is done: a timed run learns its count at the end). The
 * consumers' counts keep each producer within the ring's reach of them (Kafka has no such flow
 * control, but a benchmark that overran its own ring would measure nothing); consumed and
 * acknowledged feed the progress display.
 */
export class LoadProgress {
  readonly #counts: Int32Array

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly partitionCount: number,
  ) {
    this.#counts = new Int32Array(buffer, 0, PROGRESS_WORDS * partitionCount)
  }

  static create(partitionCount: number): LoadProgress {
    const progress = new LoadProgress(
      new SharedArrayBuffer(PROGRESS_WORDS * 4 * partitionCount),
      partitionCount,
    )
    progress.#counts.fill(-1, progress.#sentAt(0))
    return progress
  }

  consumed(partition: number): number {
    return Atomics.load(this.#counts, partition)
  }

  setConsumed(partition: number, records: number): void {
    Atomics.store(this.#counts, partition, records)
    Atomics.notify(this.#counts, partition)
  }

  /** Resolves once the partition's consumed count is no longer `seen`, or after `timeoutMs`. */
  async consumedPast(partition: number, seen: number, timeoutMs: number): Promise<void> {
    const waiting = Atomics.waitAsync(this.#counts, partition, seen, timeoutMs)
    if (waiting.async) await waiting.value
  }

  setAcknowledged(partition: number, records: number): void {
    Atomics.store(this.#counts, this.partitionCount + partition, records)
  }

  /** Records the partition's producer sent in all, or undefined while it is still sending. */
  sent(partition: number): number | undefined {
    const sent = Atomics.load(this.#counts, this.#sentAt(partition))
    return sent >= 0 ? sent : undefined
  }

  setSent(partition: number, records: number): void {
    Atomics.store(this.#counts, this.#sentAt(partition), records)
  }

  totalConsumed(): number {
    return this.#total(0)
  }

  totalAcknowledged(): number {
    return this.#total(this.partitionCount)
  }

  #sentAt(partition: number): number {
    return 2 * this.partitionCount + partition
  }

  #total(from: number): number {
    let total = 0
    for (let at = from; at < from + this.partitionCount; at++) total += this.#counts[at] as number
    return total
  }
}

function acksField(fields: Fields): -1 | 0 | 1 {
  const acks = fields.acks
  if (acks !== -1 && acks !== 0 && acks !== 1)
    throw new MalformedMessageError('acks must be -1, 0 or 1')
  return acks
}

function progressField(fields: Fields, partitionCount: number): SharedArrayBuffer {
  const progress = fields.progress
  if (
    !(progress instanceof SharedArrayBuffer) ||
    progress.byteLength < PROGRESS_WORDS * 4 * partitionCount
  ) {
    throw new MalformedMessageError(
      `progress must be a SharedArrayBuffer of ${PROGRESS_WORDS} Int32 per partition`,
    )
  }
  return progress
}

function partitionNumber(value: unknown, partitionCount: number): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= partitionCount) {
    throw new MalformedMessageError(`a partition must be an integer in [0, ${partitionCount})`)
  }
  return value as number
}

function recordPlan(fields: Fields): RecordPlan {
  return {
    recordsPerPartition: integerField(fields, 'recordsPerPartition', 1),
    recordSize: integerField(fields, 'recordSize', 9),
    batchRecords: integerField(fields, 'batchRecords', 1),
  }
}

function accumulatorField(fields: Fields): Accumulator | undefined {
  if (fields.accumulator === undefined) return undefined
  const accumulator = fieldsOf(fields.accumulator, 'accumulator')
  return {
    lingerMs: integerField(accumulator, 'lingerMs', 0),
    batchSize: integerField(accumulator, 'batchSize', 1),
  }
}

export function parseProduceShare(value: unknown): ProduceShare {
  const fields = fieldsOf(value, 'produce share')
  const supervisor = fieldsOf(fields.supervisor, 'supervisor')
  const partitionCount = integerField(fields, 'partitionCount', 1)
  if (typeof fields.idempotent !== 'boolean') {
    throw new MalformedMessageError('idempotent must be a boolean')
  }
  return {
    ...recordPlan(fields),
    links: parseGuestLinks(fields.links),
    supervisor: {
      node: integerField(supervisor, 'node', 0),
      name: stringField(supervisor, 'name'),
    },
    topic: stringField(fields, 'topic'),
    partitionCount,
    partitions: arrayField(fields, 'partitions').map((entry) =>
      partitionNumber(entry, partitionCount),
    ),
    acks: acksField(fields),
    idempotent: fields.idempotent,
    maxLagRecords: integerField(fields, 'maxLagRecords', 1),
    progress: progressField(fields, partitionCount),
    accumulator: accumulatorField(fields),
    partitionRate:
      fields.partitionRate === undefined
        ? undefined
        : numberField(fields, 'partitionRate', Number.MIN_VALUE),
    durationMs: optionalIntegerField(fields, 'durationMs', 1),
  }
}

export function parseConsumeShare(value: unknown): ConsumeShare {
  const fields = fieldsOf(value, 'consume share')
  const partitionCount = integerField(fields, 'partitionCount', 1)
  return {
    ...recordPlan(fields),
    partitionCount,
    logs: arrayField(fields, 'logs').map((entry) => {
      const log = fieldsOf(entry, 'partition log')
      return {
        partition: partitionNumber(log.partition, partitionCount),
        log: PartitionLogReader.open(log.log).handle(),
      }
    }),
    progress: progressField(fields, partitionCount),
  }
}

export function parseShareOutcome(value: unknown): ShareOutcome {
  const fields = fieldsOf(value, 'load generator outcome')
  const elapsedMs = numberField(fields, 'elapsedMs', 0)
  const records = integerField(fields, 'records', 0)
  if (fields.error === undefined || fields.error === null) return { records, elapsedMs }
  return { records, elapsedMs, error: stringField(fields, 'error') }
}
