import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { emitReport, REPORT_OPTIONS } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import {
  DEFAULT_API_RECORDS,
  DEFAULT_ENGINE_RECORDS,
  type E2ePath,
  type E2eSweepOptions,
  engineRecords,
  runE2eSweep,
  sweepReport,
  sweepText,
} from './e2e-sweep.js'
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE } from './end-to-end.js'
import { MIN_SEQUENCED_BYTES } from './sequenced-messages.js'

/** How long each throughput baseline writes. */
const BASELINE_MS = 1000
const MAX_PARTITIONS = 10_000
/** Kafka's max.message.bytes default: a ready-made batch must fit in it. */
const MAX_BATCH_BYTES = 1_048_576

const OPTIONS = {
  path: {
    kind: 'choice',
    values: ['api', 'engine', 'api-only'],
    help: "api: the public API's three phases on this thread (send, consume, both at once), with the engine path and the baselines beside them; engine: the engine path alone (ready-made batches from load threads, logs read from shared memory), as before; api-only: the API's phases and the baselines",
    default: 'api',
  },
  brokers: { kind: 'integer', min: 1, help: 'brokers', default: 3 },
  partitions: {
    kind: 'integers',
    min: 1,
    max: MAX_PARTITIONS,
    help: 'partitions of the topic; a list (1,4,64,1000) runs each on a cluster of its own and tabulates how the cost grows',
    default: [4],
  },
  replication: { kind: 'integer', min: 1, help: 'replicas of each partition', default: 3 },
  acks: { kind: 'acks', help: '0, 1 or all', default: 1 },
  'record-size': {
    kind: 'integer',
    min: MIN_SEQUENCED_BYTES,
    help: 'value bytes per record',
    default: 100,
  },
  records: {
    kind: 'integer',
    min: 1,
    help: 'records of each API phase and of the engine path; with --seconds, the engine path’s cap',
    otherwise: `${DEFAULT_API_RECORDS.toLocaleString('en-US')} per API phase, ${DEFAULT_ENGINE_RECORDS.toLocaleString('en-US')} on the engine path`,
  },
  'warm-up': {
    kind: 'integer',
    min: 0,
    help: 'API: records produced and consumed through a topic of their own first, not timed',
    default: 300_000,
  },
  'messages-per-send': {
    kind: 'integer',
    min: 1,
    help: 'API: messages in each producer.send, each send awaited before the next',
    default: 1000,
  },
  'transaction-sends': {
    kind: 'integer',
    min: 1,
    help: 'API: also an idempotent producer (acks all) and a transactional one committing every N sends, each on a topic of its own with a read_committed consumer checking along',
  },
  handler: {
    kind: 'choice',
    values: ['eachBatch', 'eachMessage'],
    help: "API: the consumer's run handler",
    default: 'eachBatch',
  },
  seconds: {
    kind: 'decimal',
    help: 'engine path: produce for N seconds instead (the report counts what was sent)',
  },
  'batch-bytes': {
    kind: 'integer',
    min: 128,
    max: MAX_BATCH_BYTES,
    help: 'engine path: bytes per ready-made batch (at most an eighth of a ring); the records per batch follow from --record-size',
    default: DEFAULT_BATCH_BYTES,
  },
  'batch-records': {
    kind: 'integer',
    min: 1,
    help: 'engine path: records per ready-made batch instead',
    otherwise: 'as many as --batch-bytes holds',
  },
  linger: {
    kind: 'integer',
    min: 0,
    help: "engine path: Kafka's linger.ms: records go one by one through the producer client's accumulator, which batches them",
    otherwise: 'ready-made batches',
  },
  'batch-size': {
    kind: 'integer',
    min: 1,
    help: "engine path: Kafka's batch.size in bytes, with the accumulator",
    otherwise: DEFAULT_BATCH_SIZE.toString(),
  },
  rate: {
    kind: 'decimal',
    help: 'engine path: records per second over all partitions',
    otherwise: 'as fast as it goes',
  },
  idempotent: {
    kind: 'boolean',
    help: 'engine path: true or false (the API producer is the default one: idempotent with acks all only, as in Kafka)',
    otherwise: 'true with acks all, else false',
  },
  producers: {
    kind: 'integer',
    min: 1,
    help: 'engine path: producer threads, each with its share of the partitions',
    default: 1,
  },
  consumers: {
    kind: 'integer',
    min: 1,
    help: 'engine path: consumer threads, each with its share of the partitions',
    default: 1,
  },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const e2eBench: BenchScenario = {
  name: 'e2e',
  summary:
    'producer → brokers → group consumer through the public API (send, consume, both), beside the engine path (load threads); every record verified',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const path: E2ePath = options.path
    const { partitions, seconds } = options
    const progress = new ProgressLine(options)
    const common = {
      brokers: options.brokers,
      replication: options.replication,
      acks: options.acks,
      recordSize: options['record-size'],
    }
    const sweep: E2eSweepOptions = {
      path,
      partitions,
      api: {
        ...common,
        records: options.records ?? DEFAULT_API_RECORDS,
        messagesPerSend: options['messages-per-send'],
        handler: options.handler,
        warmUpRecords: options['warm-up'],
        transactionSends: options['transaction-sends'],
      },
      engine: {
        ...common,
        records: engineRecords(options.records, seconds, partitions),
        seconds,
        batchBytes: options['batch-bytes'],
        batchRecords: options['batch-records'],
        idempotent: options.idempotent,
        producers: options.producers,
        consumers: options.consumers,
        lingerMs: options.linger,
        batchSize: options['batch-size'],
        rate: options.rate,
      },
    }
    const entries = await runE2eSweep(sweep, {
      phase: (label) => progress.phase(label),
      sample: (sample) => progress.update(sample),
    })
    progress.phase('baselines: SAB ring, postMessage')
    const baselines = await measureThroughputBaselines({
      recordSize: common.recordSize,
      durationMs: BASELINE_MS,
    })
    progress.end()
    const report = sweepReport(path, entries, baselines)
    const [only] = entries
    const [row] = report.sweep
    // One partition count: its figures at the top as well (on the engine path alone, the
    // engine's own, as the report always had them).
    let single: object = {}
    if (report.sweep.length === 1 && row !== undefined) {
      const { partitions: _, ratios: __, ...figures } = row
      single = path === 'engine' ? (row.engine ?? {}) : figures
    }
    const output = {
      scenario: 'e2e',
      path,
      ...single,
      ...common,
      partitions,
      sweep: report.sweep,
      verified: report.verified,
      problems: report.problems,
      baselines,
      ratios: report.ratios,
      charts: {
        throughput: only?.samples ?? [],
        bars: report.bars,
      },
    }
    await emitReport(output, options, () => sweepText(sweep, entries, baselines, report))
  },
}
