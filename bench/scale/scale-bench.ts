import { parseArgs } from 'node:util'
import { measureAllocationBaseline } from '../baselines/allocation-baseline.js'
import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import { acksOption, integerOption } from '../options.js'
import {
  barsOf,
  emitReport,
  REPORT_ARGS,
  REPORT_USAGE,
  ratiosOf,
  reportOptions,
} from '../report/bench-report.js'
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

export const scaleBench: BenchScenario = {
  name: 'scale',
  summary:
    'many partitions (RF 3, small logs): start time, memory per partition, every partition produced and consumed',
  usage: [
    `--partitions N     partitions of the one topic, up to ${MAX_PARTITIONS.toLocaleString('en-US')} (default 1000)`,
    '--brokers N        brokers (default 3)',
    '--replication N    replicas of each partition (default 3)',
    '--log-bytes N      bytes of each replica ring, a power of two (default 65536)',
    '--records N        records per partition, one batch (default 4)',
    '--record-size N    value bytes per record (default 100)',
    '--acks N           0, 1 or all (default 1)',
    '--producers N      producer threads (default 1)',
    '--consumers N      consumer threads (default 1)',
    ...REPORT_USAGE,
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        partitions: { type: 'string', default: '1000' },
        brokers: { type: 'string', default: '3' },
        replication: { type: 'string', default: '3' },
        'log-bytes': { type: 'string', default: '65536' },
        records: { type: 'string', default: '4' },
        'record-size': { type: 'string', default: '100' },
        acks: { type: 'string', default: '1' },
        producers: { type: 'string', default: '1' },
        consumers: { type: 'string', default: '1' },
        ...REPORT_ARGS,
      },
      strict: true,
    })
    const report = reportOptions(values)
    const partitions = integerOption(values, 'partitions', 1)
    if (partitions > MAX_PARTITIONS) {
      throw new Error(`--partitions must be at most ${MAX_PARTITIONS.toLocaleString('en-US')}`)
    }
    const progress = new ProgressLine(report)
    progress.phase('starting the load pool')
    const run = await runScale(
      {
        brokers: integerOption(values, 'brokers', 1),
        partitions,
        replication: integerOption(values, 'replication', 1),
        logCapacityBytes: integerOption(values, 'log-bytes', 256),
        recordsPerPartition: integerOption(values, 'records', 1),
        recordSize: integerOption(values, 'record-size', 9),
        acks: acksOption(values),
        producers: integerOption(values, 'producers', 1),
        consumers: integerOption(values, 'consumers', 1),
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
    await emitReport(output, report, () => [
      `scale: ${run.partitions.toLocaleString('en-US')} partitions × ${run.replication} replicas on ${run.brokers} brokers, ${kib(run.logCapacityBytes)} rings`,
      `  start ${run.startMs} ms (cluster ${run.clusterStartMs} ms, topic ${run.createTopicMs} ms; bare SharedArrayBuffers ${allocation.createTopicMs} ms), stop ${run.stopMs} ms`,
      `  memory: RSS +${mib(run.rssBytes)} (${kib(run.rssBytesPerPartition)} per partition), shared ${mib(run.sharedBytes)} (${kib(run.sharedBytesPerPartition)} per partition)`,
      `  ${run.recordsPerPartition} records into every partition and back (${(run.partitions * run.recordsPerPartition).toLocaleString('en-US')}) in ${run.elapsedMs} ms: ${run.recordsPerSec.toLocaleString('en-US')} records/s`,
      `  ratios ${JSON.stringify(output.ratios)}`,
      `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
    ])
  },
}
