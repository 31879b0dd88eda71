import { measureLatencyBaselines } from '../baselines/latency-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import type { LatencySummary } from './latency-histogram.js'
import { runLatency } from './latency-run.js'
import { MIN_TIMED_RECORD_BYTES } from './timed-records.js'

const microseconds = (value: number) => `${value.toFixed(1)} µs`

const OPTIONS = {
  rate: { kind: 'decimal', help: 'records per second, on a fixed schedule', default: 50_000 },
  seconds: { kind: 'decimal', help: 'length of the schedule', default: 5 },
  'record-size': {
    kind: 'integer',
    min: MIN_TIMED_RECORD_BYTES,
    help: `value bytes per record, at least ${MIN_TIMED_RECORD_BYTES}`,
    default: 100,
  },
  brokers: {
    kind: 'integer',
    min: 1,
    help: 'brokers; the one partition has one leader',
    default: 1,
  },
  acks: { kind: 'acks', help: '0, 1 or all', default: 1 },
  spin: {
    kind: 'integer',
    min: 0,
    help: 'log checks the consumer makes before it sleeps',
    default: 0,
  },
  'max-in-flight': {
    kind: 'integer',
    min: 1,
    help: "produce requests in flight, as Kafka's max.in.flight.requests.per.connection",
    default: 5,
  },
  'warm-up': {
    kind: 'decimal',
    zero: true,
    help: 'seconds of the schedule sent first and not timed',
    default: 1,
  },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const latencyBench: BenchScenario = {
  name: 'latency',
  summary:
    'fixed-rate producer thread → broker → consumer thread, per-record latency (HDR), beside a bare SAB ring, postMessage and a bare relay thread',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const progress = new ProgressLine(options)
    progress.phase(`samsa: a fixed schedule for ${options.seconds} s`)
    const run = await runLatency({
      brokers: options.brokers,
      rate: options.rate,
      seconds: options.seconds,
      recordSize: options['record-size'],
      acks: options.acks,
      spinIterations: options.spin,
      maxInFlight: options['max-in-flight'],
      warmUpSeconds: options['warm-up'],
    })
    progress.phase(`baselines: the same schedule through a SAB ring, postMessage, then a relay`)
    const baselines = await measureLatencyBaselines({
      rate: run.rate,
      seconds: run.seconds,
      recordSize: run.recordSize,
      warmUpSeconds: run.warmUpSeconds,
    })
    progress.end()
    const { distribution, ...latency } = run.latency
    const output = {
      scenario: 'latency',
      ...run,
      latency,
      baselines: Object.fromEntries(
        Object.entries(baselines).map(([name, { distribution: _, ...figures }]) => [name, figures]),
      ),
      ratios: {
        ...ratiosOf('p50Us', latency.p50Us, baselines),
        ...ratiosOf('p99Us', latency.p99Us, baselines),
      },
      charts: {
        latency: {
          samsa: distribution,
          'sab-ring': baselines['sab-ring'].distribution,
          'post-message': baselines['post-message'].distribution,
          relay: baselines.relay.distribution,
        },
        bars: [
          barsOf('p50Us', 'µs', latency.p50Us, baselines),
          barsOf('p99Us', 'µs', latency.p99Us, baselines),
        ],
      },
    }
    const percentiles = (figures: LatencySummary) =>
      `p50 ${microseconds(figures.p50Us)}  p90 ${microseconds(figures.p90Us)}  p99 ${microseconds(figures.p99Us)}  p99.9 ${microseconds(figures.p999Us)}  max ${microseconds(figures.maxUs)}`
    await emitReport(output, options, () => [
      `latency: ${run.rate.toLocaleString('en-US')} records/s for ${run.seconds} s, ${run.recordSize} B values, ${run.brokers} broker(s), acks ${run.acks}, consumer spin ${run.spinIterations}, ${run.maxInFlight} in flight`,
      `  ${run.records.toLocaleString('en-US')} records, achieved ${run.achievedRate.toLocaleString('en-US')} records/s`,
      `  samsa         ${percentiles(latency)}`,
      `  sab-ring      ${percentiles(baselines['sab-ring'])}`,
      `  post-message  ${percentiles(baselines['post-message'])}`,
      `  relay         ${percentiles(baselines.relay)}`,
      `  ratios ${JSON.stringify(output.ratios)}`,
      `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
    ])
  },
}
