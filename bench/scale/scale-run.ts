import type {
  MetadataSnapshot,
  TopicResult,
} from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster } from '../../src/api/cluster.js'
import { type LoadResult, runLoad } from '../e2e/end-to-end.js'
import { LoadPool } from '../load/load-pool.js'
import type { ProgressSample } from '../report/progress-sampler.js'

/*
 * Many partitions: a cluster with one topic of `partitions` partitions (RF `replication`,
 * small rings), timed from Cluster.start to the topic created, with the memory it took, and
 * then a produce and consume of a few records in every partition, each verified as in e2e
 * (every record once, in order, intact, in every partition).
 *
 * Memory: RSS is the whole process (every thread shares it), read before the cluster starts
 * and once the topic exists; SharedArrayBuffer bytes are counted from the replicas' logs
 * (header, data ring and offset index of each). Both divide by the partition count, so a run
 * at several counts plots how cost grows.
 */

export interface ScaleOptions {
  readonly brokers: number
  readonly partitions: number
  readonly replication: number
  /** Bytes of each replica's data ring (a power of two). */
  readonly logCapacityBytes: number
  readonly recordsPerPartition: number
  readonly recordSize: number
  readonly acks: -1 | 0 | 1
  readonly producers: number
  readonly consumers: number
}

export interface ScaleReport extends ScaleOptions, Omit<LoadResult, 'samples'> {
  /** Cluster.start to every broker up. */
  readonly clusterStartMs: number
  /** The topic's creation, to every replica of every partition created. */
  readonly createTopicMs: number
  /** Both: what a user waits before the first produce. */
  readonly startMs: number
  readonly stopMs: number
  readonly rssBytes: number
  readonly rssBytesPerPartition: number
  readonly sharedBytes: number
  readonly sharedBytesPerPartition: number
  readonly samples: readonly ProgressSample[]
}

const TOPIC = 'scale'
/** The topic's creation may take a while at 10,000 partitions: it is what is measured. */
const CREATE_TIMEOUT_MS = 120_000

export type ScalePhase = 'starting' | 'creating' | 'producing' | 'stopping'

export async function runScale(
  options: ScaleOptions,
  onPhase: (phase: ScalePhase) => void = () => {},
  onProgress?: (sample: ProgressSample) => void,
): Promise<ScaleReport> {
  const { partitions, replication, recordsPerPartition } = options
  // The pool's workers and their modules are not the cluster's cost: they load first.
  const pool = await LoadPool.open(options.producers + options.consumers)
  const rssBefore = process.memoryUsage().rss
  onPhase('starting')
  const started = performance.now()
  const cluster = await Cluster.start({
    brokers: options.brokers,
    logCapacityBytes: options.logCapacityBytes,
  })
  try {
    const clusterUp = performance.now()
    onPhase('creating')
    const [created] = await cluster.supervisor.ask<TopicResult[]>(
      {
        type: 'create-topics',
        topics: [{ topic: TOPIC, numPartitions: partitions, replicationFactor: replication }],
      },
      { timeoutMs: CREATE_TIMEOUT_MS },
    )
    if (created?.outcome !== 'done') {
      throw new Error(`creating ${partitions} partitions failed: ${JSON.stringify(created)}`)
    }
    const topicUp = performance.now()
    const rssBytes = process.memoryUsage().rss - rssBefore
    const sharedBytes = await sharedBytesOf(cluster)
    onPhase('producing')
    const load = await runLoad(
      cluster,
      pool,
      {
        brokers: options.brokers,
        partitions,
        replication,
        recordSize: options.recordSize,
        records: partitions * recordsPerPartition,
        acks: options.acks,
        batchRecords: recordsPerPartition,
        producers: options.producers,
        consumers: options.consumers,
        logCapacityBytes: options.logCapacityBytes,
        topic: TOPIC,
      },
      onProgress,
    )
    onPhase('stopping')
    const stopping = performance.now()
    await cluster.stop()
    const round = (value: number) => Math.round(value * 10) / 10
    return {
      ...options,
      ...load,
      clusterStartMs: round(clusterUp - started),
      createTopicMs: round(topicUp - clusterUp),
      startMs: round(topicUp - started),
      stopMs: round(performance.now() - stopping),
      rssBytes,
      rssBytesPerPartition: Math.round(rssBytes / partitions),
      sharedBytes,
      sharedBytesPerPartition: Math.round(sharedBytes / partitions),
    }
  } finally {
    await Promise.all([pool.close(), cluster.stop()])
  }
}

/** Bytes of SharedArrayBuffer behind the topic: every replica's header, ring and index. */
async function sharedBytesOf(cluster: Cluster): Promise<number> {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [TOPIC],
  })
  let bytes = 0
  for (const partition of metadata.topics[0]?.partitions ?? []) {
    const { header, data, index } = partition.log
    // Every replica of a partition has the leader's sizes (one topic config).
    bytes += partition.replicas.length * (header.byteLength + data.byteLength + index.byteLength)
  }
  return bytes
}
