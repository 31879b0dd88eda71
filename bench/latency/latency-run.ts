import type { MetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster } from '../../src/api/cluster.js'
import type { PartitionLogHandle } from '../../src/runtime/log/log-layout.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { guestPorts } from '../../src/runtime/thread/guest-links.js'
import { LoadPool } from '../load/load-pool.js'
import { type LatencyRun, parseConsumerOutcome, parseProducerOutcome } from './latency-ends.js'
import type { LatencyFigures } from './latency-histogram.js'
import { scheduleOf } from './timed-records.js'

/*
 * Fixed-rate end-to-end latency: a producer (a task on a thread of the load pool) sends records
 * on a schedule through the cluster to the leader of one partition; a consumer (another task)
 * reads them from the leader's log in shared memory. Each record's latency runs from the moment it was due (not sent) to the
 * moment the consumer decoded it. The figures count only if every record arrived once, in
 * order, intact, and nothing else was appended.
 */

export interface LatencyOptions {
  readonly brokers: number
  /** Records per second the producer's schedule asks for. */
  readonly rate: number
  readonly seconds: number
  readonly recordSize: number
  readonly acks: -1 | 0 | 1
  /** Checks of the log the consumer makes before it sleeps (`waitForData`'s spinIterations). */
  readonly spinIterations: number
  /** Produce requests in flight (Kafka's max.in.flight.requests.per.connection). */
  readonly maxInFlight: number
  /**
   * Seconds of the schedule sent first, verified but not timed: the first records meet code
   * not yet compiled and buffers not yet grown, which is not what a running cluster shows.
   */
  readonly warmUpSeconds: number
}

export interface LatencyReport extends LatencyOptions {
  /** Every record produced and verified, the warm-up's included. */
  readonly records: number
  readonly warmUpRecords: number
  /** Records consumed per second, from the first record's due time to the last's arrival. */
  readonly achievedRate: number
  readonly latency: LatencyFigures
  readonly verified: boolean
  readonly problems: readonly string[]
}

const LOG_CAPACITY_BYTES = 16 * 1024 * 1024
const TOPIC = 'latency'
// Sequences travel as uint32 in each record.

export async function runLatency(options: LatencyOptions): Promise<LatencyReport> {
  const { brokers, rate, recordSize, acks, spinIterations, maxInFlight } = options
  const { warmUpRecords, records } = scheduleOf(options)
  const cluster = await Cluster.start({ brokers, logCapacityBytes: LOG_CAPACITY_BYTES })
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
    const [pool, log] = await Promise.all([LoadPool.open(2), leaderLog(cluster)])
    const run: LatencyRun = {
      supervisor: { node: cluster.supervisor.node, name: cluster.supervisor.name },
      topic: TOPIC,
      log,
      records,
      rate,
      recordSize,
      acks,
      spinIterations,
      maxInFlight,
      warmUpRecords,
      control: new SharedArrayBuffer(4),
    }
    const links = cluster.system.connectGuest()
    const [produced, consumed] = await Promise.all([
      pool
        .runTask('latencyProducer', { ...run, links }, parseProducerOutcome, guestPorts(links))
        .finally(() => cluster.system.disconnectGuest(links.node)),
      pool.runTask('latencyConsumer', run, parseConsumerOutcome),
    ]).finally(() => pool.close())
    const problems = [produced.error, consumed.error].filter(
      (problem): problem is string => problem !== undefined,
    )
    if (consumed.consumed !== records) {
      problems.push(`${consumed.consumed} of ${records} records consumed`)
    }
    const appended = await highWatermark(cluster)
    if (appended !== records) problems.push(`the log holds ${appended} records, not ${records}`)
    const elapsedMs = consumed.lastArrivalAt - produced.startAt
    return {
      ...options,
      records,
      warmUpRecords,
      achievedRate: elapsedMs > 0 ? Math.round((consumed.consumed / elapsedMs) * 1000) : 0,
      latency: consumed.latency,
      verified: problems.length === 0,
      problems,
    }
  } finally {
    await cluster.stop()
  }
}

/** The log of partition 0's leader, which the consumer reads. */
async function leaderLog(cluster: Cluster): Promise<PartitionLogHandle> {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [TOPIC],
  })
  const partition = metadata.topics[0]?.partitions[0]
  if (partition === undefined) throw new Error(`topic ${TOPIC} has no partition 0`)
  return partition.log
}

/** The partition's high watermark once both ends are done: duplicates would show up here. */
async function highWatermark(cluster: Cluster): Promise<number> {
  return PartitionLogReader.open(await leaderLog(cluster)).highWatermark
}
