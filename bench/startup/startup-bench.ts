import { Cluster } from '../../src/api/cluster.js'
import type { RecordMetadata } from '../../src/api/producer.js'
import { measureSpawnBaselines } from '../baselines/spawn-baseline.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'

/*
 * How long an embedded cluster takes to become useful and to go away: from
 * `Cluster.start` to a created topic acknowledging its first produce (startMs, split into
 * its phases), and `cluster.stop()` (stopMs). Clusters start one after another in this
 * process. Every run starts fresh broker threads, which load their modules again; the first
 * run can also pay for cold disk and compile caches (and, from the sources, for building the
 * threads' JavaScript mirror), so each run is reported beside the medians.
 */

export interface StartupOptions {
  readonly brokers: number
  readonly runs: number
}

export interface StartupRun {
  readonly startMs: number
  /** The parts of startMs: Cluster.start, createTopics, the first produce (acks all). */
  readonly clusterMs: number
  readonly createTopicMs: number
  readonly firstProduceMs: number
  readonly stopMs: number
}

export interface StartupReport extends StartupOptions {
  /** Medians over the runs. */
  readonly startMs: number
  readonly stopMs: number
  readonly runDetails: readonly StartupRun[]
  readonly verified: boolean
  readonly problems: readonly string[]
}

const TOPIC = 'startup'

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const round2 = (value: number) => Math.round(value * 100) / 100

/** One cluster's life; a problem if the produce was not acknowledged at offset 0. */
async function startOnce(brokers: number): Promise<{ run: StartupRun; problem?: string }> {
  const started = performance.now()
  const cluster = await Cluster.start({ brokers })
  const clusterReady = performance.now()
  let topicReady: number
  let written: RecordMetadata | undefined
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
    topicReady = performance.now()
    const producer = cluster.producer()
    await producer.connect()
    ;[written] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'x' }] })
  } catch (error) {
    await cluster.stop()
    throw error
  }
  const produced = performance.now()
  await cluster.stop()
  const stopped = performance.now()
  const run: StartupRun = {
    startMs: round2(produced - started),
    clusterMs: round2(clusterReady - started),
    createTopicMs: round2(topicReady - clusterReady),
    firstProduceMs: round2(produced - topicReady),
    stopMs: round2(stopped - produced),
  }
  return written?.baseOffset === '0'
    ? { run }
    : { run, problem: `the first produce answered ${JSON.stringify(written)}` }
}

export async function runStartup(options: StartupOptions): Promise<StartupReport> {
  const runDetails: StartupRun[] = []
  const problems: string[] = []
  for (let index = 0; index < options.runs; index++) {
    const { run, problem } = await startOnce(options.brokers)
    runDetails.push(run)
    if (problem !== undefined) problems.push(`run ${index + 1}: ${problem}`)
  }
  return {
    ...options,
    startMs: round2(median(runDetails.map((run) => run.startMs))),
    stopMs: round2(median(runDetails.map((run) => run.stopMs))),
    runDetails,
    verified: problems.length === 0,
    problems,
  }
}

const OPTIONS = {
  brokers: { kind: 'integer', min: 1, help: 'brokers', default: 3 },
  runs: { kind: 'integer', min: 1, help: 'clusters started one after another', default: 5 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const startupBench: BenchScenario = {
  name: 'startup',
  summary:
    'Cluster.start → topic created → first produce acknowledged; cluster.stop(); beside bare worker threads',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const { brokers } = options
    const progress = new ProgressLine(options)
    progress.phase('starting and stopping clusters')
    const run = await runStartup({ brokers, runs: options.runs })
    progress.phase(`baselines: ${brokers} bare worker threads`)
    const baselines = await measureSpawnBaselines(brokers)
    progress.end()
    const output = {
      scenario: 'startup',
      ...run,
      baselines,
      ratios: {
        ...ratiosOf('startMs', run.startMs, baselines),
        ...ratiosOf('stopMs', run.stopMs, baselines),
      },
      charts: {
        bars: [
          barsOf('startMs', 'ms', run.startMs, baselines),
          barsOf('stopMs', 'ms', run.stopMs, baselines),
        ],
      },
    }
    await emitReport(output, options, () => {
      const lines = [
        `startup: ${run.brokers} broker(s), ${run.runs} run(s)`,
        `  median start ${run.startMs} ms (to the first produce acknowledged), stop ${run.stopMs} ms`,
      ]
      run.runDetails.forEach((detail, index) => {
        lines.push(
          `  run ${index + 1}: start ${detail.startMs} ms (cluster ${detail.clusterMs}, createTopics ${detail.createTopicMs}, first produce ${detail.firstProduceMs}), stop ${detail.stopMs} ms`,
        )
      })
      for (const [name, figures] of Object.entries(baselines)) {
        lines.push(`  ${name}: start ${figures.startMs} ms, stop ${figures.stopMs} ms`)
      }
      lines.push(
        `  ratios ${JSON.stringify(output.ratios)}`,
        `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
      )
      return lines
    })
  },
}
