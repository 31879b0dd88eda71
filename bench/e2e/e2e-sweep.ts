import type { ThroughputFigures } from '../baselines/throughput-baselines.js'
import type { BarGroup } from '../report/bench-report.js'
import type { ProgressSample } from '../report/progress-sampler.js'
import {
  type ApiEndToEndOptions,
  type ApiEndToEndReport,
  runApiEndToEnd,
} from './api-end-to-end.js'
import {
  accumulatorOf,
  type EndToEndOptions,
  type EndToEndReport,
  MAX_RECORDS_PER_PARTITION,
  runEndToEnd,
} from './end-to-end.js'

/*
 * `samsa bench e2e`: for each partition count asked for, the public API's three phases
 * (api-end-to-end.ts) and, beside them, the engine path (end-to-end.ts: ready-made batches
 * from load threads, read straight from the rings) with the same brokers, partitions,
 * replication, acks and record size; then what the report says of them: figures, ratios
 * (api ÷ engine, and each ÷ the baselines), bars and a table of how cost grows with the
 * partition count.
 */

/** `api`: the API's phases with the engine path beside; `engine`: the engine path alone. */
export type E2ePath = 'api' | 'engine' | 'api-only'

export interface E2eSweepOptions {
  readonly path: E2ePath
  /** One run of each path per entry, each on a cluster of its own. */
  readonly partitions: readonly number[]
  readonly api: Omit<ApiEndToEndOptions, 'partitions'>
  /** The engine path's records: rounded down to a multiple of each entry's partitions. */
  readonly engine: Omit<EndToEndOptions, 'partitions'>
}

type EngineFigures = Omit<EndToEndReport, 'samples'>
type ApiFigures = Omit<ApiEndToEndReport, 'samples'>

/** One partition count's runs. */
export interface SweepEntry {
  readonly partitions: number
  readonly api?: ApiFigures
  readonly engine?: EngineFigures
  /** Records consumed per second, sampled: the produce-and-consume phase's, else the engine's. */
  readonly samples: readonly ProgressSample[]
}

export interface SweepHooks {
  readonly phase?: (label: string) => void
  readonly sample?: (sample: ProgressSample) => void
}

export async function runE2eSweep(
  options: E2eSweepOptions,
  hooks: SweepHooks = {},
): Promise<SweepEntry[]> {
  const entries: SweepEntry[] = []
  for (const partitions of options.partitions) {
    const label = (what: string) =>
      options.partitions.length > 1 ? `${partitions} partitions, ${what}` : what
    let api: ApiEndToEndReport | undefined
    let engine: EndToEndReport | undefined
    if (options.path !== 'engine') {
      api = await runApiEndToEnd(
        { ...options.api, partitions },
        { phase: (what) => hooks.phase?.(label(what)), sample: hooks.sample },
      )
    }
    if (options.path !== 'api-only') {
      hooks.phase?.(label('engine path: starting the cluster and the load pool'))
      const { records } = options.engine
      engine = await runEndToEnd(
        {
          ...options.engine,
          partitions,
          records: records - (records % partitions) || partitions,
          producers: Math.min(options.engine.producers ?? 1, partitions),
          consumers: Math.min(options.engine.consumers ?? 1, partitions),
        },
        hooks.sample,
      )
    }
    const { samples: apiSamples, ...apiFigures } = api ?? { samples: undefined }
    const { samples: engineSamples, ...engineFigures } = engine ?? { samples: undefined }
    entries.push({
      partitions,
      ...(api === undefined ? {} : { api: apiFigures as ApiFigures }),
      ...(engine === undefined ? {} : { engine: engineFigures as EngineFigures }),
      samples: apiSamples ?? engineSamples ?? [],
    })
  }
  return entries
}

/** The engine path's records when none are given: enough to run for seconds. */
export const DEFAULT_ENGINE_RECORDS = 10_000_000
/** Records of each API phase when none are given. */
export const DEFAULT_API_RECORDS = 1_000_000

/** The engine path's record count for `records` given (or not) and a timed run (or not). */
export function engineRecords(
  records: number | undefined,
  seconds: number | undefined,
  partitions: readonly number[],
): number {
  if (records !== undefined) return records
  if (seconds === undefined) return DEFAULT_ENGINE_RECORDS
  // A timed run: records is only a cap, as high as every entry's partitions allow.
  return Math.min(...partitions) * MAX_RECORDS_PER_PARTITION
}

export type ThroughputBaselines = Readonly<Record<'sab-ring' | 'post-message', ThroughputFigures>>

/** An entry's headline figures, records/s: the API's three phases and the engine path's. */
export interface EntryFigures {
  readonly sendRecordsPerSec?: number
  readonly consumeRecordsPerSec?: number
  readonly produceConsumeRecordsPerSec?: number
  readonly idempotentSendRecordsPerSec?: number
  readonly transactionalSendRecordsPerSec?: number
  readonly engineRecordsPerSec?: number
}

const API_FIGURES = [
  'sendRecordsPerSec',
  'consumeRecordsPerSec',
  'produceConsumeRecordsPerSec',
  'idempotentSendRecordsPerSec',
  'transactionalSendRecordsPerSec',
]

export function figuresOf(entry: SweepEntry): EntryFigures {
  const { api, engine } = entry
  return {
    ...(api === undefined
      ? {}
      : {
          sendRecordsPerSec: api.send.recordsPerSec,
          consumeRecordsPerSec: api.consume.recordsPerSec,
          produceConsumeRecordsPerSec: api.produceConsume.recordsPerSec,
          ...(api.idempotentSend === undefined
            ? {}
            : { idempotentSendRecordsPerSec: api.idempotentSend.recordsPerSec }),
          ...(api.transactionalSend === undefined
            ? {}
            : { transactionalSendRecordsPerSec: api.transactionalSend.recordsPerSec }),
        }),
    ...(engine === undefined ? {} : { engineRecordsPerSec: engine.recordsPerSec }),
  }
}

const round3 = (value: number) => Math.round(value * 1000) / 1000

/**
 * An entry's ratios, keyed `figure/baseline` (samsa's figure ÷ the other's, records/s both):
 * each API phase over the engine path and over each baseline, and the engine path over each
 * baseline. On the engine path alone the figure is `recordsPerSec`, as it always was.
 */
export function ratiosOfEntry(
  path: E2ePath,
  entry: SweepEntry,
  baselines: ThroughputBaselines,
): Record<string, number> {
  const figures = figuresOf(entry) as Readonly<Record<string, number | undefined>>
  const against: Record<string, number | undefined> = {
    engine: figures.engineRecordsPerSec,
    'sab-ring': baselines['sab-ring'].recordsPerSec,
    'post-message': baselines['post-message'].recordsPerSec,
  }
  const ratios: Record<string, number> = {}
  const add = (name: string, value: number | undefined, others: readonly string[]) => {
    for (const other of others) {
      const base = against[other]
      if (value !== undefined && base !== undefined && base > 0) {
        ratios[`${name}/${other}`] = round3(value / base)
      }
    }
  }
  for (const figure of API_FIGURES) add(figure, figures[figure], Object.keys(against))
  // What transactions cost over idempotence alone, both with acks all.
  const idempotent = figures.idempotentSendRecordsPerSec
  const transactional = figures.transactionalSendRecordsPerSec
  if (idempotent !== undefined && transactional !== undefined && idempotent > 0) {
    ratios['transactionalSendRecordsPerSec/idempotentSendRecordsPerSec'] = round3(
      transactional / idempotent,
    )
  }
  const engineName = path === 'engine' ? 'recordsPerSec' : 'engineRecordsPerSec'
  add(engineName, figures.engineRecordsPerSec, ['sab-ring', 'post-message'])
  return ratios
}

const BAR_NAMES: Readonly<Record<keyof EntryFigures, string>> = {
  sendRecordsPerSec: 'api send',
  consumeRecordsPerSec: 'api consume',
  produceConsumeRecordsPerSec: 'api produce+consume',
  idempotentSendRecordsPerSec: 'api idempotent send',
  transactionalSendRecordsPerSec: 'api transactional send',
  engineRecordsPerSec: 'engine',
}

/** Records/s of an entry beside the baselines', as one group of bars. */
export function barsOfEntry(
  entry: SweepEntry,
  baselines: ThroughputBaselines,
  sweep: boolean,
): BarGroup {
  const values: Record<string, number> = {}
  for (const [figure, value] of Object.entries(figuresOf(entry))) {
    values[BAR_NAMES[figure as keyof EntryFigures]] = value
  }
  values['sab-ring'] = baselines['sab-ring'].recordsPerSec
  values['post-message'] = baselines['post-message'].recordsPerSec
  const figure = sweep ? `recordsPerSec, ${entry.partitions} partitions` : 'recordsPerSec'
  return { figure, unit: 'records/s', values }
}

/** What the report holds of a sweep: each entry, and the whole run's ratios and problems. */
export function sweepReport(
  path: E2ePath,
  entries: readonly SweepEntry[],
  baselines: ThroughputBaselines,
) {
  const sweep = entries.length > 1
  const rows = entries.map(({ samples: _, ...entry }) => ({
    ...entry,
    ...figuresOf(entry as SweepEntry),
    ratios: ratiosOfEntry(path, entry as SweepEntry, baselines),
  }))
  const ratios: Record<string, number> = {}
  for (const row of rows) {
    for (const [key, value] of Object.entries(row.ratios)) {
      ratios[sweep ? `${key}@${row.partitions}` : key] = value
    }
  }
  const problems = entries.flatMap((entry) => {
    const where = sweep ? `${entry.partitions} partitions: ` : ''
    return [
      ...(entry.api?.problems ?? []).map((problem) => `${where}api: ${problem}`),
      ...(entry.engine?.problems ?? []).map((problem) => `${where}engine: ${problem}`),
    ]
  })
  return {
    sweep: rows,
    ratios,
    problems,
    verified: entries.every(
      (entry) => entry.api?.verified !== false && entry.engine?.verified !== false,
    ),
    bars: entries.map((entry) => barsOfEntry(entry, baselines, sweep)),
  }
}

const count = (value: number) => Math.round(value).toLocaleString('en-US')
const MIB = 2 ** 20
const size = (bytes: number) =>
  bytes >= MIB ? `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB` : `${bytes / 1024} KiB`

/** How the engine path's producers sent, in the words of the options. */
export function producing(run: EngineFigures): string {
  const accumulator = accumulatorOf(run)
  const batching =
    accumulator === undefined
      ? `ready-made batches of ${count(run.batchRecords)} records`
      : `record by record, linger ${accumulator.lingerMs} ms, batch.size ${accumulator.batchSize} B`
  return run.rate === undefined ? batching : `${batching}, at ${run.rate} records/s`
}

function ratioCell(value: number | undefined, base: number | undefined): string {
  return value === undefined || base === undefined || base === 0 ? '—' : (value / base).toFixed(2)
}

/** The sweep as a table: one row per partition count, records/s and api ÷ engine. */
export function sweepTable(entries: readonly SweepEntry[]): string[] {
  const header = [
    'partitions',
    'api send/s',
    'api consume/s',
    'api both/s',
    'engine/s',
    'send/eng',
    'consume/eng',
    'both/eng',
    'api ring',
    'engine ring',
    'verified',
  ]
  const rows = entries.map((entry) => {
    const figures = figuresOf(entry)
    const rate = (value: number | undefined) => (value === undefined ? '—' : count(value))
    const engine = figures.engineRecordsPerSec
    return [
      count(entry.partitions),
      rate(figures.sendRecordsPerSec),
      rate(figures.consumeRecordsPerSec),
      rate(figures.produceConsumeRecordsPerSec),
      rate(engine),
      ratioCell(figures.sendRecordsPerSec, engine),
      ratioCell(figures.consumeRecordsPerSec, engine),
      ratioCell(figures.produceConsumeRecordsPerSec, engine),
      entry.api === undefined ? '—' : size(entry.api.logCapacityBytes),
      entry.engine === undefined ? '—' : size(entry.engine.logCapacityBytes),
      String(entry.api?.verified !== false && entry.engine?.verified !== false),
    ]
  })
  // Columns of a path that did not run are left out.
  const shown = header.flatMap((_, column) =>
    rows.every((row) => row[column] === '—') ? [] : [column],
  )
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  )
  const line = (cells: readonly string[]) =>
    `  ${shown.map((column) => (cells[column] as string).padStart(widths[column] as number)).join('  ')}`
  return [line(header), ...rows.map(line)]
}

/** The text report: what ran, each entry's phases, the table, the baselines and ratios. */
export function sweepText(
  options: E2eSweepOptions,
  entries: readonly SweepEntry[],
  baselines: ThroughputBaselines,
  report: ReturnType<typeof sweepReport>,
): string[] {
  const { api } = options
  const lines = [
    `e2e: ${api.brokers} broker(s), replication ${api.replication}, acks ${api.acks}, ${api.recordSize} B values, partitions ${options.partitions.join(', ')}`,
  ]
  if (options.path !== 'engine') {
    lines.push(
      `  api (this thread): ${count(api.records)} records per phase, ${count(api.messagesPerSend)} messages per send (each awaited), ${api.handler}`,
    )
  }
  for (const entry of entries) {
    const where = entries.length > 1 ? ` (${entry.partitions} partitions)` : ''
    if (entry.api !== undefined) {
      const { send, consume, produceConsume, logCapacityBytes, consumeLogCapacityBytes } = entry.api
      const phase = (name: string, figures: typeof send, extra = '') =>
        `    ${name.padEnd(16)}${count(figures.records).padStart(12)} records in ${count(figures.elapsedMs)} ms: ${count(figures.recordsPerSec)} records/s, ${(figures.bytesPerSec / 1e6).toFixed(0)} MB/s${extra}`
      lines.push(
        `  api${where}, ${size(logCapacityBytes)} rings (the consume phase's topic: ${size(consumeLogCapacityBytes)}):`,
        phase('send', send),
        phase('consume', consume, ` (first record after ${count(consume.firstRecordMs)} ms)`),
        phase('produce+consume', produceConsume),
      )
      const { idempotentSend, transactionalSend } = entry.api
      if (idempotentSend !== undefined) lines.push(phase('idempotent send', idempotentSend))
      if (transactionalSend !== undefined) {
        lines.push(
          phase(
            'transactional',
            transactionalSend,
            ` (a commit every ${options.api.transactionSends} sends)`,
          ),
        )
      }
    }
    if (entry.engine !== undefined) {
      const run = entry.engine
      lines.push(
        `  engine${where}: ${producing(run)}, ${run.producers} producer and ${run.consumers} consumer thread(s), ${size(run.logCapacityBytes)} rings`,
        `    ${count(run.records)} records in ${count(run.elapsedMs)} ms: ${count(run.recordsPerSec)} records/s, ${(run.bytesPerSec / 1e6).toFixed(0)} MB/s`,
      )
    }
  }
  if (options.path === 'api' || entries.length > 1) lines.push(...sweepTable(entries))
  lines.push(
    `  baselines: sab-ring ${count(baselines['sab-ring'].recordsPerSec)} records/s, post-message ${count(baselines['post-message'].recordsPerSec)} records/s`,
    entries.length > 1
      ? '  ratios: all of them in the JSON (--json), keyed figure/other@partitions'
      : `  ratios ${JSON.stringify(report.ratios)}`,
    `  verified: ${report.verified}${report.problems.length > 0 ? ` (${report.problems.join('; ')})` : ''}`,
  )
  return lines
}
