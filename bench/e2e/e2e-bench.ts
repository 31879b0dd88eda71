import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import {
  accumulatorOf,
  DEFAULT_BATCH_SIZE,
  type EndToEndOptions,
  MAX_RECORDS_PER_PARTITION,
  runEndToEnd,
} from './end-to-end.js'

/** How the producers sent, in the words of the options. */
function producing(run: EndToEndOptions): string {
  const accumulator = accumulatorOf(run)
  const batching =
    accumulator === undefined
      ? `ready-made batches of ${run.batchRecords} records`
      : `record by record, linger ${accumulator.lingerMs} ms, batch.size ${accumulator.batchSize} B`
  return run.rate === undefined ? batching : `${batching}, at ${run.rate} records/s`
}

const DEFAULT_RECORDS = 10_000_000

/** How long each throughput baseline writes. */
const BASELINE_MS = 1000

const OPTIONS = {
  brokers: { kind: 'integer', min: 1, help: 'brokers', default: 1 },
  partitions: { kind: 'integer', min: 1, help: 'partitions of the topic', default: 1 },
  replication: { kind: 'integer', min: 1, help: 'replicas of each partition', default: 1 },
  'record-size': { kind: 'integer', min: 17, help: 'value bytes per record', default: 100 },
  records: {
    kind: 'integer',
    min: 1,
    help: 'records in all; with --seconds, a cap',
    otherwise: DEFAULT_RECORDS.toString(),
  },
  seconds: {
    kind: 'decimal',
    help: 'produce for N seconds instead (the report counts what was sent)',
  },
  acks: { kind: 'acks', help: '0, 1 or all', default: 1 },
  'batch-records': {
    kind: 'integer',
    min: 1,
    help: 'records per produced batch; 8000 is about 900 KB',
    default: 8000,
  },
  linger: {
    kind: 'integer',
    min: 0,
    help: "Kafka's linger.ms: records go one by one through the producer client's accumulator, which batches them",
    otherwise: 'ready-made batches',
  },
  'batch-size': {
    kind: 'integer',
    min: 1,
    help: "Kafka's batch.size in bytes, with the accumulator",
    otherwise: DEFAULT_BATCH_SIZE.toString(),
  },
  rate: {
    kind: 'decimal',
    help: 'records per second over all partitions',
    otherwise: 'as fast as it goes',
  },
  idempotent: {
    kind: 'boolean',
    help: 'true or false',
    otherwise: 'true with acks all, else false',
  },
  producers: {
    kind: 'integer',
    min: 1,
    help: 'producer threads, each with its share of the partitions',
    default: 1,
  },
  consumers: {
    kind: 'integer',
    min: 1,
    help: 'consumer threads, each with its share of the partitions',
    default: 1,
  },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const e2eBench: BenchScenario = {
  name: 'e2e',
  summary: 'producer threads → brokers → consumer threads (a piscina pool), every record verified',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const { partitions, seconds } = options
    const progress = new ProgressLine(options)
    progress.phase('starting the cluster and the load pool')
    const run = await runEndToEnd(
      {
        brokers: options.brokers,
        partitions,
        replication: options.replication,
        recordSize: options['record-size'],
        records:
          options.records ??
          (seconds === undefined ? DEFAULT_RECORDS : partitions * MAX_RECORDS_PER_PARTITION),
        seconds,
        acks: options.acks,
        batchRecords: options['batch-records'],
        idempotent: options.idempotent,
        producers: options.producers,
        consumers: options.consumers,
        lingerMs: options.linger,
        batchSize: options['batch-size'],
        rate: options.rate,
      },
      (sample) => progress.update(sample),
    )
    progress.phase('baselines: SAB ring, postMessage')
    const baselines = await measureThroughputBaselines({
      recordSize: run.recordSize,
      durationMs: BASELINE_MS,
    })
    progress.end()
    const { samples, ...figures } = run
    const output = {
      scenario: 'e2e',
      ...figures,
      baselines,
      ratios: ratiosOf('recordsPerSec', run.recordsPerSec, baselines),
      charts: {
        throughput: samples,
        bars: [barsOf('recordsPerSec', 'records/s', run.recordsPerSec, baselines)],
      },
    }
    await emitReport(output, options, () => [
      `e2e: ${run.brokers} broker(s), ${run.partitions} partition(s), ${run.recordSize} B values, acks ${run.acks}, ${run.producers} producer(s), ${run.consumers} consumer(s), ${producing(run)}`,
      `  ${run.records.toLocaleString('en-US')} records in ${run.elapsedMs} ms: ${run.recordsPerSec.toLocaleString('en-US')} records/s, ${(run.bytesPerSec / 1e6).toFixed(0)} MB/s`,
      `  baselines: sab-ring ${baselines['sab-ring'].recordsPerSec.toLocaleString('en-US')} records/s, post-message ${baselines['post-message'].recordsPerSec.toLocaleString('en-US')} records/s`,
      `  ratios ${JSON.stringify(output.ratios)}`,
      `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
    ])
  },
}
