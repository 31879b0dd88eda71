import { parseArgs } from 'node:util'
import { measureLatencyBaselines } from '../baselines/latency-baselines.js'
import {
  acksOption,
  integerOption,
  nonNegativeNumberOption,
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
import type { LatencySummary } from './latency-histogram.js'
import { runLatency } from './latency-run.js'
import { MIN_TIMED_RECORD_BYTES } from './timed-records.js'

const microseconds = (value: number) => `${value.toFixed(1)} µs`

export const latencyBench: BenchScenario = {
  name: 'latency',
  summary:
    'fixed-rate producer thread → broker → consumer thread, per-record latency (HDR), beside a bare SAB ring, postMessage and a bare relay thread',
  usage: [
    '--rate N           records per second, on a fixed schedule (default 50000)',
    '--seconds N        length of the schedule (default 5)',
    `--record-size N    value bytes per record, at least ${MIN_TIMED_RECORD_BYTES} (default 100)`,
    '--brokers N        brokers (default 1); the one partition has one leader',
    '--acks N           -1, 0 or 1 (default 1)',
    '--spin N           log checks the consumer makes before it sleeps (default 0)',
    "--max-in-flight N  produce requests in flight (default 5, Kafka's)",
    '--warm-up N        seconds of the schedule sent first and not timed (default 1)',
    ...REPORT_USAGE,
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        rate: { type: 'string', default: '50000' },
        seconds: { type: 'string', default: '5' },
        'record-size': { type: 'string', default: '100' },
        brokers: { type: 'string', default: '1' },
        acks: { type: 'string', default: '1' },
        spin: { type: 'string', default: '0' },
        'max-in-flight': { type: 'string', default: '5' },
        'warm-up': { type: 'string', default: '1' },
        ...REPORT_ARGS,
      },
      strict: true,
    })
    const report = reportOptions(values)
    const progress = new ProgressLine(report)
    const seconds = positiveNumberOption(values, 'seconds')
    progress.phase(`samsa: a fixed schedule for ${seconds} s`)
    const run = await runLatency({
      brokers: integerOption(values, 'brokers', 1),
      rate: positiveNumberOption(values, 'rate'),
      seconds,
      recordSize: integerOption(values, 'record-size', MIN_TIMED_RECORD_BYTES),
      acks: acksOption(values),
      spinIterations: integerOption(values, 'spin', 0),
      maxInFlight: integerOption(values, 'max-in-flight', 1),
      warmUpSeconds: nonNegativeNumberOption(values, 'warm-up'),
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
    await emitReport(output, report, () => [
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
