import { measureAllocationBaseline } from '../baselines/allocation-baseline.js'
import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import { runScale, type ScalePhase } from './scale-run.js'

const PHASES: Readonly<Record<ScalePhase, string>> = {
  starting: 'starting the cluster',
  creating: 'creating the partitions',
  producing: 'producing',
  stopping: 'stopping the cluster',
}
/** How long each throughput baseline writes. */
const BASELINE_MS = 500
const MAX_PARTITIONS = 10_000

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const OPTIONS = {
  partitions: {
    kind: 'integer',
    min: 1,
    max: MAX_PARTITIONS,
    help: `partitions of the one topic, up to ${MAX_PARTITIONS.toLocaleString('en-US')}`,
    default: 1000,
  },
  brokers: { kind: 'integer', min: 1, help: 'brokers', default: 3 },
  replication: { kind: 'integer', min: 1, help: 'replicas of each partition', default: 3 },
  'log-bytes': {
    kind: 'integer',
    min: 256,
    help: 'bytes of each replica ring, a power of two',
    default: 65_536,
  },
  records: { kind: 'integer', min: 1, help: 'records per partition, one batch', default: 4 },
  'record-size': { kind: 'integer', min: 9, help: 'value bytes per record', default: 100 },
  acks: { kind: 'acks', help: '0, 1 or all', default: 1 },
  producers: { kind: 'integer', min: 1, help: 'producer threads', default: 1 },
  consumers: { kind: 'integer', min: 1, help: 'consumer threads', default: 1 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const scaleBench: BenchScenario = {
  name: 'scale',
  summary:
    'many partitions (RF 3, small logs): start time, memory per partition, every partition produced and consumed',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const { partitions } = options
    const progress = new ProgressLine(options)
    progress.phase('starting the load pool')
    const run = await runScale(
      {
        brokers: options.brokers,
        partitions,
        replication: options.replication,
        logCapacityBytes: options['log-bytes'],
        recordsPerPartition: options.records,
        recordSize: options['record-size'],
        acks: options.acks,
        producers: options.producers,
        consumers: options.consumers,
      },
      (phase) =>
        progress.phase(`${PHASES[phase]} (${partitions.toLocaleString('en-US')} partitions)`),
      (sample) => progress.update(sample),
    )
    progress.phase('baselines: bare SharedArrayBuffers, SAB ring, postMessage')
    const perReplica = run.sharedBytes / (run.partitions * run.replication)
    const allocation = measureAllocationBaseline(run.partitions * run.replication, [perReplica])
    const throughput = await measureThroughputBaselines({
      recordSize: run.recordSize,
      durationMs: BASELINE_MS,
    })
    progress.end()
    const baselines = { 'bare-sab': allocation, ...throughput }
    const { samples, ...figures } = run
    const output = {
      scenario: 'scale',
      ...figures,
      baselines,
      ratios: {
        ...ratiosOf('createTopicMs', run.createTopicMs, baselines),
        ...ratiosOf('recordsPerSec', run.recordsPerSec, baselines),
      },
      charts: {
        throughput: samples,
        bars: [
          barsOf('createTopicMs', 'ms', run.createTopicMs, baselines),
          barsOf('recordsPerSec', 'records/s', run.recordsPerSec, baselines),
        ],
      },
    }
    await emitReport(output, options, () => [
      `scale: ${run.partitions.toLocaleString('en-US')} partitions × ${run.replication} replicas on ${run.brokers} brokers, ${kib(run.logCapacityBytes)} rings`,
      `  start ${run.startMs} ms (cluster ${run.clusterStartMs} ms, topic ${run.createTopicMs} ms; bare SharedArrayBuffers ${allocation.createTopicMs} ms), stop ${run.stopMs} ms`,
      `  memory: RSS +${mib(run.rssBytes)} (${kib(run.rssBytesPerPartition)} per partition), shared ${mib(run.sharedBytes)} (${kib(run.sharedBytesPerPartition)} per partition)`,
      `  ${run.recordsPerPartition} records into every partition and back (${(run.partitions * run.recordsPerPartition).toLocaleString('en-US')}) in ${run.elapsedMs} ms: ${run.recordsPerSec.toLocaleString('en-US')} records/s`,
      `  ratios ${JSON.stringify(output.ratios)}`,
      `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
    ])
  },
}
