import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { writeSeedOutput } from '../src/api/chaos/chaos-output.js'
import { ANOMALY_KINDS, type AnomalyKind } from '../src/api/chaos/checker.js'
import { describeStep, NEMESIS_KINDS, type NemesisKind } from '../src/api/chaos/nemesis.js'
import {
  type ChaosOptions,
  type ChaosSeedReport,
  runChaosSeed,
} from '../src/api/chaos/run-chaos.js'
import { summarizeSeed } from '../src/api/chaos/timeline-summary.js'
import { InvalidArgumentError } from '../src/runtime/errors/samsa-error.js'

export const CHAOS_USAGE = `Usage: samsa chaos [options]

Runs a seeded fault schedule against a cluster while producers send numbered records and a
consumer group reads them, then heals, reads everything back and checks Kafka's guarantees.

  --seeds LIST        seeds: 1,2,5 or a range 1..10 (default 1)
  --seconds N         length of each seed's workload and schedule (default 10)
  --brokers N         (default 3)            --partitions N     (default 3)
  --replication N     (default 3)            --min-insync N     (default 2)
  --acks all|1        (default all)          --idempotent true|false (default true)
  --unclean           allow unclean leader elections
  --producers N       (default 2)            --consumers N      group members (default 2)
  --nemesis KINDS     among ${NEMESIS_KINDS.join(',')} (default all)
  --json              print one JSON object as the last line
  --out DIR           write each seed's history summary (seed-N.json) and timeline page
                      (seed-N.html), and the run's JSON object (summary.json)
`

function whole(value: string, name: string, least: number): number {
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < least) {
    throw new InvalidArgumentError(`--${name} takes a whole number ≥ ${least}, got '${value}'`)
  }
  return number
}

function seedsOf(text: string): number[] {
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(text)
  if (range !== null) {
    const [from, to] = [Number(range[1]), Number(range[2])]
    if (to < from || to - from > 10_000)
      throw new InvalidArgumentError(`bad --seeds range '${text}'`)
    return Array.from({ length: to - from + 1 }, (_, index) => from + index)
  }
  return text.split(',').map((seed) => {
    if (!/^-?\d+$/.test(seed)) throw new InvalidArgumentError(`bad seed '${seed}' in --seeds`)
    return Number(seed)
  })
}

function nemesisOf(text: string): NemesisKind[] {
  return text.split(',').map((kind) => {
    const known = NEMESIS_KINDS.find((candidate) => candidate === kind)
    if (known === undefined) {
      throw new InvalidArgumentError(`unknown nemesis '${kind}': ${NEMESIS_KINDS.join(', ')}`)
    }
    return known
  })
}

/** The options as a command line, to replay one seed exactly. */
function replayCommand(seed: number, options: ChaosOptions): string {
  return [
    'npx samsa chaos',
    `--seeds ${seed}`,
    `--seconds ${options.seconds}`,
    `--brokers ${options.brokers}`,
    `--partitions ${options.partitions}`,
    `--replication ${options.replication}`,
    `--min-insync ${options.minInsync}`,
    `--acks ${options.acks === -1 ? 'all' : '1'}`,
    `--idempotent ${options.idempotent}`,
    ...(options.unclean ? ['--unclean'] : []),
    `--producers ${options.producers}`,
    `--consumers ${options.consumers}`,
    `--nemesis ${options.nemesis.join(',')}`,
  ].join(' ')
}

function seedLines(report: ChaosSeedReport, options: ChaosOptions): string[] {
  const { check, seed } = report
  const found = ANOMALY_KINDS.filter((kind) => check.counts[kind] > 0)
    .map(
      (kind) => `${kind} ${check.counts[kind]}${report.allowed.includes(kind) ? ' (allowed)' : ''}`,
    )
    .join(', ')
  const lines = [
    `seed ${seed}: ${report.verified ? 'verified' : 'FAILED'}, ${check.acknowledged} of ${report.sends} sends acknowledged, ${report.schedule.length} faults${found === '' ? '' : `; ${found}`}`,
    ...report.failures.map((failure) => `  client call failed: ${failure}`),
  ]
  const first = check.anomalies.find((anomaly) => !report.allowed.includes(anomaly.kind))
  if (first !== undefined) {
    lines.push(`  first anomaly at ${first.time.toFixed(0)} ms: ${first.description}`)
    const at = (scheduled: number) => report.scheduleStartMs + scheduled
    for (const step of report.schedule.filter((each) => at(each.atMs) <= first.time).slice(-3)) {
      lines.push(
        `  fault at ${at(step.atMs)} ms (healed ${at(step.healAtMs)} ms): ${describeStep(step)}`,
      )
    }
  }
  lines.push(`  replay: ${replayCommand(seed, options)}`)
  return lines
}

/** `samsa chaos`: each seed in turn; the exit code says whether every seed was verified. */
export async function chaos(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seeds: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '10' },
      brokers: { type: 'string', default: '3' },
      partitions: { type: 'string', default: '3' },
      replication: { type: 'string', default: '3' },
      'min-insync': { type: 'string', default: '2' },
      acks: { type: 'string', default: 'all' },
      idempotent: { type: 'string', default: 'true' },
      unclean: { type: 'boolean', default: false },
      producers: { type: 'string', default: '2' },
      consumers: { type: 'string', default: '2' },
      nemesis: { type: 'string', default: NEMESIS_KINDS.join(',') },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
    strict: true,
  })
  if (values.acks !== 'all' && values.acks !== '1' && values.acks !== '-1') {
    throw new InvalidArgumentError(`--acks takes all or 1, got '${values.acks}'`)
  }
  if (values.idempotent !== 'true' && values.idempotent !== 'false') {
    throw new InvalidArgumentError(`--idempotent takes true or false, got '${values.idempotent}'`)
  }
  const options: ChaosOptions = {
    seconds: whole(values.seconds, 'seconds', 1),
    brokers: whole(values.brokers, 'brokers', 1),
    partitions: whole(values.partitions, 'partitions', 1),
    replication: whole(values.replication, 'replication', 1),
    minInsync: whole(values['min-insync'], 'min-insync', 1),
    acks: values.acks === '1' ? 1 : -1,
    idempotent: values.idempotent === 'true',
    unclean: values.unclean,
    producers: whole(values.producers, 'producers', 1),
    consumers: whole(values.consumers, 'consumers', 1),
    nemesis: nemesisOf(values.nemesis),
  }
  const reports: ChaosSeedReport[] = []
  for (const seed of seedsOf(values.seeds)) {
    const report = await runChaosSeed(seed, options)
    reports.push(report)
    process.stdout.write(`${seedLines(report, options).join('\n')}\n`)
    if (values.out !== undefined) {
      const written = await writeSeedOutput(
        values.out,
        summarizeSeed(report, replayCommand(seed, options)),
      )
      process.stdout.write(`  timeline: ${written.html}\n`)
    }
  }
  const totals = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<
    AnomalyKind,
    number
  >
  for (const { check } of reports)
    for (const kind of ANOMALY_KINDS) totals[kind] += check.counts[kind]
  const seeds = reports.map(({ seed, check, verified }) => ({
    seed,
    verified,
    acked: check.acknowledged,
    anomalies: check.counts,
  }))
  const summary = JSON.stringify({ seeds, anomalies: totals })
  if (values.out !== undefined) await writeFile(join(values.out, 'summary.json'), `${summary}\n`)
  if (values.json) process.stdout.write(`${summary}\n`)
  return reports.every(({ verified }) => verified) ? 0 : 1
}
