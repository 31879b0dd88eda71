import { measureLatencyBaselines } from '../baselines/latency-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import { type ApiLatencyReport, runApiLatency } from './latency-api.js'
import type { LatencyFigures, LatencySummary, PercentilePoint } from './latency-histogram.js'
import { type LatencyReport, runLatency } from './latency-run.js'
import { MIN_TIMED_RECORD_BYTES } from './timed-records.js'

/** A latency in µs, or in ms once it is over 10 ms (a backlog's latencies run to seconds). */
const microseconds = (value: number) =>
  value < 10_000
    ? `${value.toFixed(1)} µs`
    : `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`

export type LatencyPath = 'api' | 'engine' | 'api-only'

const OPTIONS = {
  path: {
    kind: 'choice',
    values: ['api', 'engine', 'api-only'],
    help: "api: the public API on this thread (a producer firing one send per record on schedule, a group consumer's eachMessage), with the engine path and the baselines beside it; engine: the engine path alone (producer and consumer tasks on load threads), as before; api-only: the API and the baselines",
    default: 'api',
  },
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
    help: 'engine path: log checks the consumer makes before it sleeps',
    default: 0,
  },
  'max-in-flight': {
    kind: 'integer',
    min: 1,
    help: "produce requests in flight, as Kafka's max.in.flight.requests.per.connection (the API producer's maxInFlightRequests)",
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

/** A run's figures as the report gives them: percentiles without the chart's distribution. */
function summary<Run extends { readonly latency: LatencyFigures }>(run: Run) {
  const { distribution: _, ...latency } = run.latency
  return { ...run, latency }
}

function withoutDistribution(figures: LatencyFigures): LatencySummary {
  const { distribution: _, ...rest } = figures
  return rest
}

export const latencyBench: BenchScenario = {
  name: 'latency',
  summary:
    'fixed-rate producer → broker → group consumer through the public API, per-record latency (HDR), beside the engine path (load threads), a bare SAB ring, postMessage and a bare relay thread',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const path: LatencyPath = options.path
    const progress = new ProgressLine(options)
    const schedule = {
      brokers: options.brokers,
      rate: options.rate,
      seconds: options.seconds,
      recordSize: options['record-size'],
      acks: options.acks,
      maxInFlight: options['max-in-flight'],
      warmUpSeconds: options['warm-up'],
    }
    let api: ApiLatencyReport | undefined
    let engine: LatencyReport | undefined
    if (path !== 'engine') {
      progress.phase(`api: a fixed schedule for ${options.seconds} s`)
      api = await runApiLatency(schedule)
    }
    if (path !== 'api-only') {
      progress.phase(`engine path: a fixed schedule for ${options.seconds} s`)
      engine = await runLatency({ ...schedule, spinIterations: options.spin })
    }
    progress.phase(`baselines: the same schedule through a SAB ring, postMessage, then a relay`)
    const measured = await measureLatencyBaselines({
      rate: schedule.rate,
      seconds: schedule.seconds,
      recordSize: schedule.recordSize,
      warmUpSeconds: schedule.warmUpSeconds,
    })
    progress.end()
    const baselines = Object.fromEntries(
      Object.entries(measured).map(([name, { distribution: _, ...figures }]) => [name, figures]),
    )
    const headline = (api ?? engine) as ApiLatencyReport | LatencyReport
    const latency = withoutDistribution(headline.latency)
    // What the headline is compared with: the engine path (when it ran beside) and each baseline.
    const others =
      api !== undefined && engine !== undefined
        ? { engine: withoutDistribution(engine.latency), ...baselines }
        : baselines
    const ratios = {
      ...ratiosOf('p50Us', latency.p50Us, others),
      ...ratiosOf('p99Us', latency.p99Us, others),
    }
    const engineRatios =
      api !== undefined && engine !== undefined
        ? {
            ...ratiosOf('p50Us', engine.latency.p50Us, baselines),
            ...ratiosOf('p99Us', engine.latency.p99Us, baselines),
          }
        : undefined
    const problems = [
      ...(api?.problems ?? []).map((problem) =>
        engine === undefined ? problem : `api: ${problem}`,
      ),
      ...(engine?.problems ?? []).map((problem) =>
        api === undefined ? problem : `engine: ${problem}`,
      ),
    ]
    const series: Record<string, readonly PercentilePoint[]> = {}
    if (api !== undefined) series.api = api.latency.distribution
    if (engine !== undefined) series.engine = engine.latency.distribution
    for (const [name, figures] of Object.entries(measured)) series[name] = figures.distribution
    const name = api === undefined ? 'engine' : 'api'
    const bars = (figure: 'p50Us' | 'p99Us') => {
      const group = barsOf(figure, 'µs', latency[figure], others)
      const { samsa, ...rest } = group.values
      return { ...group, values: { [name]: samsa as number, ...rest } }
    }
    const output = {
      scenario: 'latency',
      path,
      ...summary(headline),
      spinIterations: options.spin,
      latency,
      ...(api === undefined ? {} : { api: summary(api) }),
      ...(engine === undefined || api === undefined
        ? {}
        : { engine: { ...summary(engine), ratios: engineRatios } }),
      verified: (api?.verified ?? true) && (engine?.verified ?? true),
      problems,
      baselines,
      ratios,
      charts: { latency: series, bars: [bars('p50Us'), bars('p99Us')] },
    }
    const percentiles = (figures: LatencySummary) =>
      `p50 ${microseconds(figures.p50Us)}  p90 ${microseconds(figures.p90Us)}  p99 ${microseconds(figures.p99Us)}  p99.9 ${microseconds(figures.p999Us)}  max ${microseconds(figures.maxUs)}`
    const count = (value: number) => value.toLocaleString('en-US')
    await emitReport(output, options, () => [
      `latency: ${count(schedule.rate)} records/s for ${schedule.seconds} s (after ${schedule.warmUpSeconds} s not timed), ${schedule.recordSize} B values, ${schedule.brokers} broker(s), acks ${schedule.acks}, ${schedule.maxInFlight} in flight`,
      ...(api === undefined
        ? []
        : [
            `  api (this thread: one send per record fired on schedule, eachMessage): ${count(api.records)} records, achieved ${count(api.achievedRate)} records/s, at most ${count(api.maxOutstandingSends)} sends outstanding`,
          ]),
      ...(engine === undefined
        ? []
        : [
            `  engine (load threads: batches of what is due, consumer spin ${engine.spinIterations}): ${count(engine.records)} records, achieved ${count(engine.achievedRate)} records/s`,
          ]),
      ...(api === undefined ? [] : [`  api           ${percentiles(api.latency)}`]),
      ...(engine === undefined ? [] : [`  engine        ${percentiles(engine.latency)}`]),
      `  sab-ring      ${percentiles(measured['sab-ring'])}`,
      `  post-message  ${percentiles(measured['post-message'])}`,
      `  relay         ${percentiles(measured.relay)}`,
      `  ratios (${name}) ${JSON.stringify(ratios)}`,
      ...(engineRatios === undefined ? [] : [`  ratios (engine) ${JSON.stringify(engineRatios)}`]),
      `  verified: ${output.verified}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`,
    ])
  },
}
