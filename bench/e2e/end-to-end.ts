import { Cluster } from '../../src/api/cluster.js'
import { siblingEntry } from '../../src/runtime/thread/spawn-thread.js'
import type { E2EOutcome, E2ERun } from './e2e-actors.js'

/*
 * End to end: a producer thread sends encoded RecordBatch v2 batches through the cluster's
 * producer client to partition leaders (broker threads), and a consumer thread reads every
 * record back from the leaders' logs in shared memory and checks it (offset, sequence, CRC).
 * The figure counts only a run whose every record was consumed once, in order, intact.
 */

export interface EndToEndOptions {
  readonly brokers: number
  readonly partitions: number
  /** Replicas of each partition (at most `brokers`). */
  readonly replication?: number
  readonly recordSize: number
  readonly records: number
  readonly acks: -1 | 0 | 1
  readonly batchRecords: number
  /** An idempotent producer (the default with acks all, as in Kafka). */
  readonly idempotent?: boolean
}

export interface EndToEndProgress {
  readonly produced: number
  readonly consumed: number
  readonly elapsedMs: number
}

export interface EndToEndReport extends EndToEndOptions {
  readonly recordsPerSec: number
  readonly bytesPerSec: number
  readonly elapsedMs: number
  readonly verified: boolean
  readonly problems: readonly string[]
}

const LOG_CAPACITY_BYTES = 16 * 1024 * 1024
const PROGRESS_EVERY_MS = 250

export async function runEndToEnd(
  options: EndToEndOptions,
  onProgress?: (progress: EndToEndProgress) => void,
): Promise<EndToEndReport> {
  const { brokers, partitions, recordSize, records, acks, batchRecords } = options
  if (records % partitions !== 0) throw new Error('records must divide evenly by partitions')
  const cluster = await Cluster.start({ brokers, logCapacityBytes: LOG_CAPACITY_BYTES })
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'bench', numPartitions: partitions, replicationFactor: options.replication ?? 1 },
      ],
    })
    const module = siblingEntry(import.meta.url, 'e2e-actors')
    const spawn = (exportName: string) =>
      cluster.system.spawnOnThread<E2ERun>({
        module,
        exportName,
        name: exportName,
        args: undefined,
        supervision: { strategy: 'stop' },
      })
    const [producer, consumer] = await Promise.all([spawn('e2eProducer'), spawn('e2eConsumer')])
    const progress = new SharedArrayBuffer(8 * partitions)
    const run: E2ERun = {
      type: 'run',
      supervisor: cluster.supervisor,
      topic: 'bench',
      partitions,
      recordsPerPartition: records / partitions,
      recordSize,
      batchRecords,
      acks,
      // Half the ring: the producer never gets so far ahead that it overwrites unread records.
      maxLagRecords: Math.floor(LOG_CAPACITY_BYTES / 2 / (recordSize + 12)),
      progress,
      idempotent: options.idempotent ?? acks === -1,
    }
    const counts = new Int32Array(progress)
    const sum = (from: number) =>
      counts.slice(from, from + partitions).reduce((total, count) => total + count, 0)
    const started = performance.now()
    const ticker =
      onProgress === undefined
        ? undefined
        : setInterval(() => {
            onProgress({
              produced: sum(partitions),
              consumed: sum(0),
              elapsedMs: performance.now() - started,
            })
          }, PROGRESS_EVERY_MS)
    let outcomes: E2EOutcome[]
    try {
      outcomes = await Promise.all([
        producer.ask<E2EOutcome>(run, { timeoutMs: 120_000 }),
        consumer.ask<E2EOutcome>(run, { timeoutMs: 120_000 }),
      ])
    } finally {
      clearInterval(ticker)
    }
    const elapsedSeconds = (performance.now() - started) / 1000
    const [produced, consumed] = outcomes as [E2EOutcome, E2EOutcome]
    const problems = [produced.error, consumed.error].filter(
      (problem): problem is string => problem !== undefined,
    )
    return {
      ...options,
      recordsPerSec: Math.round(records / elapsedSeconds),
      bytesPerSec: Math.round((records * recordSize) / elapsedSeconds),
      elapsedMs: Math.round(elapsedSeconds * 1000),
      verified: problems.length === 0 && consumed.records === records,
      problems,
    }
  } finally {
    await cluster.stop()
  }
}
