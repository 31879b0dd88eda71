import type { MetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster } from '../../src/api/cluster.js'
import { guestPorts } from '../../src/runtime/thread/guest-links.js'
import { LoadPool } from '../load/load-pool.js'
import {
  type Accumulator,
  type ConsumeShare,
  LoadProgress,
  type ProduceShare,
  type ShareOutcome,
} from '../load/load-protocol.js'
import { checkRate } from '../load/pacer.js'
import { type ProgressSample, ProgressSampler } from '../report/progress-sampler.js'

/*
 * End to end: producers send encoded RecordBatch v2 batches through the cluster's producer
 * client to partition leaders (broker threads), and consumers read every record back from the
 * leaders' logs in shared memory and check it (offset, sequence, CRC). Producers and consumers
 * are tasks of a piscina pool, each with its share of the partitions (partition p goes to
 * producer p mod producers and consumer p mod consumers). The figure counts only a run whose
 * every record was consumed once, in order, intact.
 */

export interface EndToEndOptions {
  readonly brokers: number
  readonly partitions: number
  /** Replicas of each partition (at most `brokers`). */
  readonly replication?: number
  readonly recordSize: number
  readonly records: number
  readonly acks: -1 | 0 | 1
  /** Records per ready-made batch (default: as many as `batchBytes` holds). */
  readonly batchRecords?: number
  /** Bytes per ready-made batch, when `batchRecords` is not given (default 512 KiB). */
  readonly batchBytes?: number
  /** An idempotent producer (the default with acks all, as in Kafka). */
  readonly idempotent?: boolean
  /** Load-generator threads of each kind (default 1 each, at most `partitions`). */
  readonly producers?: number
  readonly consumers?: number
  /** Bytes of each replica's ring (default 16 MiB, less for many partitions: engineLogCapacity). */
  readonly logCapacityBytes?: number
  /**
   * Kafka's linger.ms. With it or `batchSize`, producers send records one at a time through
   * the producer client's accumulator, which makes the batches (as an application's sends
   * go); without either, they send ready-made batches of `batchRecords`.
   */
  readonly lingerMs?: number
  /** Kafka's batch.size, in bytes (with the accumulator; default 16384, Kafka's). */
  readonly batchSize?: number
  /** Records per second over all partitions (default: as fast as the cluster takes them). */
  readonly rate?: number
  /** Produce for this long; `records` is then a cap, and the report gives what was sent. */
  readonly seconds?: number
}

/** Records of one partition at most: counts travel as Int32 and sequences as uint32. */
export const MAX_RECORDS_PER_PARTITION = 2 ** 31 - 1

/** Kafka's batch.size default. */
export const DEFAULT_BATCH_SIZE = 16_384

/** The accumulator's settings when the options ask for one (see EndToEndOptions.lingerMs). */
export function accumulatorOf(options: {
  readonly lingerMs?: number
  readonly batchSize?: number
}): Accumulator | undefined {
  if (options.lingerMs === undefined && options.batchSize === undefined) return undefined
  return { lingerMs: options.lingerMs ?? 0, batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE }
}

export interface EndToEndReport extends EndToEndOptions, LoadResult {
  readonly producers: number
  readonly consumers: number
  readonly batchRecords: number
  readonly logCapacityBytes: number
}

/** Bytes of a ready-made batch by default: well under Kafka's max.message.bytes (1 MiB). */
export const DEFAULT_BATCH_BYTES = 512 * 1024
const DEFAULT_LOG_CAPACITY_BYTES = 16 * 1024 * 1024
/** Rings of every replica of the topic, together, unless each would then be under the least. */
const LOG_CAPACITY_BUDGET = 512 * 1024 * 1024
const MIN_LOG_CAPACITY_BYTES = 1024 * 1024
/** A RecordBatch v2 header, and the most a record's framing adds to its value (< 2 MiB). */
const BATCH_HEADER_BYTES = 61
const RECORD_FRAMING_BYTES = 17
const TOPIC = 'bench'

/**
 * Each replica's ring: 16 MiB, or less when the topic has many partitions, so that all the
 * rings together stay near 512 MiB (at least 1 MiB each). The producers never run more than
 * half a ring ahead of the consumers, so a small ring costs speed only, never records.
 */
export function engineLogCapacity(partitions: number, replication: number): number {
  const share = LOG_CAPACITY_BUDGET / (partitions * replication)
  const fits = 2 ** Math.floor(Math.log2(share))
  return Math.max(MIN_LOG_CAPACITY_BYTES, Math.min(DEFAULT_LOG_CAPACITY_BYTES, fits))
}

/**
 * Records per ready-made batch: as many as `batchBytes` holds (an eighth of the ring at
 * most, so that batches in flight never overrun it), and at least one.
 */
export function batchRecordsFor(
  batchBytes: number,
  recordSize: number,
  logCapacityBytes: number,
): number {
  const bytes = Math.min(batchBytes, logCapacityBytes / 8) - BATCH_HEADER_BYTES
  return Math.max(1, Math.floor(bytes / (recordSize + RECORD_FRAMING_BYTES)))
}

/** The partitions of share `index` of `shares`. */
function shareOf(partitions: number, shares: number, index: number): number[] {
  const mine: number[] = []
  for (let partition = index; partition < partitions; partition += shares) mine.push(partition)
  return mine
}

/** Checks the options a run cannot work with, before anything starts. */
function checkOptions(options: EndToEndOptions, producers: number, consumers: number): void {
  const { partitions, records, lingerMs, batchSize, batchRecords, batchBytes } = options
  if (records % partitions !== 0) throw new Error('records must divide evenly by partitions')
  if (lingerMs !== undefined && !(Number.isInteger(lingerMs) && lingerMs >= 0)) {
    throw new Error('lingerMs must be an integer ≥ 0')
  }
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error('batchSize must be an integer ≥ 1')
  }
  if (batchRecords !== undefined && !(Number.isInteger(batchRecords) && batchRecords >= 1)) {
    throw new Error('batchRecords must be an integer ≥ 1')
  }
  if (batchBytes !== undefined && !(Number.isInteger(batchBytes) && batchBytes >= 1)) {
    throw new Error('batchBytes must be an integer ≥ 1')
  }
  checkRate(options.rate)
  if (options.seconds !== undefined && !(Number.isFinite(options.seconds) && options.seconds > 0)) {
    throw new Error('seconds must be a number > 0')
  }
  if (records / partitions > MAX_RECORDS_PER_PARTITION) {
    throw new Error(`at most ${MAX_RECORDS_PER_PARTITION} records per partition`)
  }
  if (producers < 1 || producers > partitions) {
    throw new Error(`producers must be from 1 to the partition count (${partitions})`)
  }
  if (consumers < 1 || consumers > partitions) {
    throw new Error(`consumers must be from 1 to the partition count (${partitions})`)
  }
}

/** Starts a cluster and the load pool, creates the topic, runs the load, stops both. */
export async function runEndToEnd(
  options: EndToEndOptions,
  onProgress?: (sample: ProgressSample) => void,
): Promise<EndToEndReport> {
  const producers = options.producers ?? 1
  const consumers = options.consumers ?? 1
  checkOptions(options, producers, consumers)
  const logCapacityBytes =
    options.logCapacityBytes ?? engineLogCapacity(options.partitions, options.replication ?? 1)
  const batchRecords =
    options.batchRecords ??
    Math.min(
      batchRecordsFor(
        options.batchBytes ?? DEFAULT_BATCH_BYTES,
        options.recordSize,
        logCapacityBytes,
      ),
      options.records / options.partitions,
    )
  const [cluster, pool] = await Promise.all([
    Cluster.start({ brokers: options.brokers, logCapacityBytes }),
    LoadPool.open(producers + consumers),
  ])
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        {
          topic: TOPIC,
          numPartitions: options.partitions,
          replicationFactor: options.replication ?? 1,
        },
      ],
    })
    const load = await runLoad(
      cluster,
      pool,
      { ...options, producers, consumers, logCapacityBytes, batchRecords, topic: TOPIC },
      onProgress,
    )
    return { ...options, producers, consumers, batchRecords, logCapacityBytes, ...load }
  } finally {
    await Promise.all([pool.close(), cluster.stop()])
  }
}

export interface LoadOptions extends EndToEndOptions {
  readonly batchRecords: number
  readonly topic: string
  readonly producers: number
  readonly consumers: number
  readonly logCapacityBytes: number
}

export interface LoadResult {
  /** Records produced and consumed: `records`, or what a timed run sent. */
  readonly records: number
  readonly recordsPerSec: number
  readonly bytesPerSec: number
  readonly elapsedMs: number
  /** What each producer and consumer task reported, in share order. */
  readonly producerShares: readonly ShareOutcome[]
  readonly consumerShares: readonly ShareOutcome[]
  /** Records produced and consumed, sampled while it ran. */
  readonly samples: readonly ProgressSample[]
  readonly verified: boolean
  readonly problems: readonly string[]
}

/** Runs producers and consumers over an existing topic of the cluster, on the pool's threads. */
export async function runLoad(
  cluster: Cluster,
  pool: LoadPool,
  options: LoadOptions,
  onProgress?: (sample: ProgressSample) => void,
): Promise<LoadResult> {
  const { partitions, records, recordSize, producers, consumers } = options
  checkOptions(options, producers, consumers)
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [options.topic],
  })
  const logs = metadata.topics[0]?.partitions
  if (logs === undefined || logs.length !== partitions) {
    throw new Error(`topic ${options.topic} does not have ${partitions} partitions`)
  }
  const progress = LoadProgress.create(partitions)
  const plan = {
    recordsPerPartition: records / partitions,
    recordSize,
    batchRecords: options.batchRecords,
    partitionCount: partitions,
    progress: progress.buffer,
  }
  const sampler = new ProgressSampler(
    () => ({ produced: progress.totalAcknowledged(), consumed: progress.totalConsumed() }),
    onProgress,
  )
  const consumerRuns = Array.from({ length: consumers }, (_, index) => {
    const share: ConsumeShare = {
      ...plan,
      logs: shareOf(partitions, consumers, index).map((partition) => ({
        partition,
        log: (logs[partition] as (typeof logs)[number]).log,
      })),
    }
    return pool.run('consumeShare', share)
  })
  const producerRuns = Array.from({ length: producers }, (_, index) => {
    const links = cluster.system.connectGuest()
    const share: ProduceShare = {
      ...plan,
      links,
      supervisor: { node: cluster.supervisor.node, name: cluster.supervisor.name },
      topic: options.topic,
      partitions: shareOf(partitions, producers, index),
      acks: options.acks,
      idempotent: options.idempotent ?? options.acks === -1,
      accumulator: accumulatorOf(options),
      partitionRate: options.rate === undefined ? undefined : options.rate / partitions,
      durationMs: options.seconds === undefined ? undefined : Math.round(options.seconds * 1000),
      // Half the ring: a producer never gets so far ahead that it overwrites unread records.
      maxLagRecords: Math.floor(options.logCapacityBytes / 2 / (recordSize + 12)),
    }
    return pool
      .run('produceShare', share, guestPorts(links))
      .finally(() => cluster.system.disconnectGuest(links.node))
  })
  let producerShares: ShareOutcome[]
  let consumerShares: ShareOutcome[]
  try {
    ;[producerShares, consumerShares] = await Promise.all([
      Promise.all(producerRuns),
      Promise.all(consumerRuns),
    ])
  } finally {
    sampler.stop()
  }
  const elapsedSeconds = sampler.elapsedMs() / 1000
  const problems = [...producerShares, ...consumerShares].flatMap((share) =>
    share.error === undefined ? [] : [share.error],
  )
  const produced = producerShares.reduce((total, share) => total + share.records, 0)
  const consumed = consumerShares.reduce((total, share) => total + share.records, 0)
  // A timed run's count is what its producers sent; the consumers must have read just that.
  const expected = options.seconds === undefined ? records : produced
  if (produced !== expected) problems.push(`${produced} of ${expected} records produced`)
  if (consumed !== expected) problems.push(`${consumed} of ${expected} records consumed`)
  return {
    records: expected,
    recordsPerSec: Math.round(expected / elapsedSeconds),
    bytesPerSec: Math.round((expected * recordSize) / elapsedSeconds),
    elapsedMs: Math.round(elapsedSeconds * 1000),
    producerShares,
    consumerShares,
    samples: sampler.samples(),
    verified: problems.length === 0,
    problems,
  }
}
