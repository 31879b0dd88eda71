import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import { kafkajsConsume, kafkajsProduce, prepareTopic } from './kafkajs-load.js'
import { kcatConsume, kcatInput, kcatProduce } from './kcat-load.js'
import { startLibrdkafkaMock, startSamsaServe, type WireTarget } from './wire-targets.js'

/*
 * Real clients over TCP: KafkaJS and kcat (librdkafka) against `samsa serve`, and the same
 * clients with the same records against librdkafka's mock cluster (hosted by kcat), the
 * in-process stand-in librdkafka's own tests use. Each cluster runs in its own process and
 * is measured alone; the mock first, so its topics' partition count is the one both use.
 */

export interface WireOptions {
  readonly records: number
  readonly recordBytes: number
  /** Records per KafkaJS send. */
  readonly batch: number
  readonly brokers: number
}

/** Records per second through one cluster, per client and direction. */
export interface WireFigures {
  readonly kafkajsProduceRecordsPerSec: number
  readonly kafkajsConsumeRecordsPerSec: number
  readonly kcatProduceRecordsPerSec: number
  readonly kcatConsumeRecordsPerSec: number
}

export interface WireReport extends WireOptions {
  readonly partitions: number
  readonly samsa: WireFigures
  readonly mock: WireFigures
  readonly verified: boolean
  readonly problems: readonly string[]
}

const KAFKAJS_TOPIC = 'bench-kafkajs'
const KCAT_TOPIC = 'bench-kcat'

async function measure(
  target: WireTarget,
  name: string,
  options: WireOptions,
  partitions: number | undefined,
  progress: ProgressLine,
  problems: string[],
): Promise<{ figures: WireFigures; partitions: number }> {
  try {
    const made = await prepareTopic(target.bootstrap, KAFKAJS_TOPIC, partitions)
    await prepareTopic(target.bootstrap, KCAT_TOPIC, partitions)
    const { records, recordBytes } = options
    progress.phase(`${name}: KafkaJS produce`)
    const kafkajsProduced = await kafkajsProduce(
      target.bootstrap,
      KAFKAJS_TOPIC,
      records,
      recordBytes,
      options.batch,
    )
    progress.phase(`${name}: KafkaJS consume`)
    const kafkajsRead = await kafkajsConsume(target.bootstrap, KAFKAJS_TOPIC, records)
    progress.phase(`${name}: kcat produce`)
    const kcatProduced = await kcatProduce(
      target.bootstrap,
      KCAT_TOPIC,
      kcatInput(records, recordBytes),
      records,
    )
    progress.phase(`${name}: kcat consume`)
    const kcatRead = await kcatConsume(target.bootstrap, KCAT_TOPIC, records)
    if (kafkajsRead.records !== records) {
      problems.push(`${name}: KafkaJS read ${kafkajsRead.records} of ${records} records`)
    }
    if (kcatRead.records !== records) {
      problems.push(`${name}: kcat read ${kcatRead.records} of ${records} records`)
    }
    return {
      partitions: made,
      figures: {
        kafkajsProduceRecordsPerSec: kafkajsProduced.recordsPerSec,
        kafkajsConsumeRecordsPerSec: kafkajsRead.recordsPerSec,
        kcatProduceRecordsPerSec: kcatProduced.recordsPerSec,
        kcatConsumeRecordsPerSec: kcatRead.recordsPerSec,
      },
    }
  } finally {
    await target.stop()
  }
}

export async function runWire(
  options: WireOptions,
  progress: ProgressLine = new ProgressLine({ json: true }),
): Promise<WireReport> {
  const problems: string[] = []
  progress.phase('starting librdkafka mock cluster')
  const mockRun = await measure(
    await startLibrdkafkaMock(options.brokers),
    'mock',
    options,
    undefined,
    progress,
    problems,
  )
  progress.phase('starting samsa serve')
  const samsaRun = await measure(
    await startSamsaServe(options.brokers),
    'samsa',
    options,
    mockRun.partitions,
    progress,
    problems,
  )
  return {
    ...options,
    partitions: mockRun.partitions,
    samsa: samsaRun.figures,
    mock: mockRun.figures,
    verified: problems.length === 0,
    problems,
  }
}

const OPTIONS = {
  records: {
    kind: 'integer',
    min: 1,
    help: 'records each client produces and consumes',
    default: 200_000,
  },
  recordBytes: { kind: 'integer', min: 1, help: 'bytes per record value', default: 100 },
  batch: { kind: 'integer', min: 1, help: 'records per KafkaJS send', default: 1000 },
  brokers: { kind: 'integer', min: 1, help: 'brokers in each cluster', default: 3 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

const FIGURES = [
  'kafkajsProduceRecordsPerSec',
  'kafkajsConsumeRecordsPerSec',
  'kcatProduceRecordsPerSec',
  'kcatConsumeRecordsPerSec',
] as const

export const wireBench: BenchScenario = {
  name: 'wire',
  summary:
    'KafkaJS and kcat over TCP: samsa serve beside librdkafka’s mock cluster, same records, produce and consume',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const progress = new ProgressLine(options)
    const report = await runWire(
      {
        records: options.records,
        recordBytes: options.recordBytes,
        batch: options.batch,
        brokers: options.brokers,
      },
      progress,
    )
    progress.end()
    const baselines = { 'librdkafka-mock': report.mock }
    const output = {
      scenario: 'wire',
      ...report,
      baselines,
      ratios: Object.assign(
        {},
        ...FIGURES.map((figure) => ratiosOf(figure, report.samsa[figure], baselines)),
      ) as Record<string, number>,
      charts: {
        bars: FIGURES.map((figure) => barsOf(figure, 'records/s', report.samsa[figure], baselines)),
      },
    }
    await emitReport(output, options, () => [
      `wire: ${report.records} records × ${report.recordBytes} B, ${report.brokers} brokers, ${report.partitions} partitions, acks all`,
      `  ${'records/s'.padEnd(16)} ${'samsa serve'.padStart(12)} ${'librdkafka mock'.padStart(16)} ${'ratio'.padStart(7)}`,
      ...FIGURES.map(
        (figure) =>
          `  ${figure.replace('RecordsPerSec', '').padEnd(16)} ${String(report.samsa[figure]).padStart(12)} ${String(report.mock[figure]).padStart(16)} ${String(output.ratios[`${figure}/librdkafka-mock`] ?? '-').padStart(7)}`,
      ),
      `  verified: ${report.verified}${report.problems.length > 0 ? ` (${report.problems.join('; ')})` : ''}`,
    ])
  },
}
