import { parseArgs } from 'node:util'
import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import {
  acksOption,
  booleanOption,
  integerOption,
  optional,
  positiveNumberOption,
} from '../options.js'
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
import {
  accumulatorOf,
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

export const e2eBench: BenchScenario = {
  name: 'e2e',
  summary: 'producer threads → brokers → consumer threads (a piscina pool), every record verified',
  usage: [
    '--brokers N        brokers (default 1)',
    '--partitions N     partitions of the topic (default 1)',
    '--replication N    replicas of each partition (default 1)',
    '--record-size N    value bytes per record (default 100)',
    '--records N        records in all (default 10000000; with --seconds, a cap)',
    '--seconds N        produce for N seconds instead (the report counts what was sent)',
    '--acks N           0, 1 or all (default 1)',
    '--batch-records N  records per produced batch (default 8000, about 900 KB)',
    "--linger N         Kafka's linger.ms: records go one by one through the producer",
    "                   client's accumulator, which batches them (default: ready-made batches)",
    "--batch-size N     Kafka's batch.size in bytes, with the accumulator (default 16384)",
    '--rate N           records per second over all partitions (default: as fast as it goes)',
    '--idempotent B     true or false (default: true with acks all, else false)',
    '--producers N      producer threads, each with its share of the partitions (default 1)',
    '--consumers N      consumer threads, each with its share of the partitions (default 1)',
    ...REPORT_USAGE,
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        brokers: { type: 'string', default: '1' },
        partitions: { type: 'string', default: '1' },
        replication: { type: 'string', default: '1' },
        'record-size': { type: 'string', default: '100' },
        records: { type: 'string' },
        seconds: { type: 'string' },
        acks: { type: 'string', default: '1' },
        'batch-records': { type: 'string', default: '8000' },
        linger: { type: 'string' },
        'batch-size': { type: 'string' },
        rate: { type: 'string' },
        idempotent: { type: 'string' },
        producers: { type: 'string', default: '1' },
        consumers: { type: 'string', default: '1' },
        ...REPORT_ARGS,
      },
      strict: true,
    })
    const report = reportOptions(values)
    const partitions = integerOption(values, 'partitions', 1)
    const seconds = optional(values, 'seconds', positiveNumberOption)
    const progress = new ProgressLine(report)
    progress.phase('starting the cluster and the load pool')
    const run = await runEndToEnd(
      {
        brokers: integerOption(values, 'brokers', 1),
        partitions,
        replication: integerOption(values, 'replication', 1),
        recordSize: integerOption(values, 'record-size', 17),
        records:
          optional(values, 'records', (given, name) => integerOption(given, name, 1)) ??
          (seconds === undefined ? DEFAULT_RECORDS : partitions * MAX_RECORDS_PER_PARTITION),
        seconds,
        acks: acksOption(values),
        batchRecords: integerOption(values, 'batch-records', 1),
        idempotent:
          values.idempotent === undefined ? undefined : booleanOption(values, 'idempotent'),
        producers: integerOption(values, 'producers', 1),
        consumers: integerOption(values, 'consumers', 1),
        lingerMs: optional(values, 'linger', (given, name) => integerOption(given, name, 0)),
        batchSize: optional(values, 'batch-size', (given, name) => integerOption(given, name, 1)),
        rate: optional(values, 'rate', positiveNumberOption),
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
    await emitReport(output, report, () => [
      `e2e: ${run.brokers} broker(s), ${run.partitions} partition(s), ${run.recordSize} B values, acks ${run.acks}, ${run.producers} producer(s), ${run.consumers} consumer(s), ${producing(run)}`,
      `  ${run.records.toLocaleString('en-US')} records in ${run.elapsedMs} ms: ${run.recordsPerSec.toLocaleString('en-US')} records/s, ${(run.bytesPerSec / 1e6).toFixed(0)} MB/s`,
      `  baselines: sab-ring ${baselines['sab-ring'].recordsPerSec.toLocaleString('en-US')} records/s, post-message ${baselines['post-message'].recordsPerSec.toLocaleString('en-US')} records/s`,
      `  ratios ${JSON.stringify(output.ratios)}`,
      `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
    ])
  },
}
