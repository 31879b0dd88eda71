import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import type { PercentilePoint } from '../latency/latency-histogram.js'
import type { OptionTable } from '../options.js'
import { renderHtmlReport } from './html-report.js'

/*
 * What every scenario reports, and how: a text summary on a terminal, or with `--json` one
 * JSON object as the last line of stdout; with `--out DIR` also that JSON and an HTML report
 * in DIR. Every report has the scenario's options and figures, `verified`, the baselines
 * measured in the same run (name → figures), `ratios` (samsa's figure ÷ the same figure of a
 * baseline, keyed `figure/baseline`), the data of its charts, and the machine's facts.
 */

/** A baseline's figures: an object whose number fields are compared by name. */
export type Baselines = Readonly<Record<string, object>>

function numberField(figures: object, figure: string): number | undefined {
  const value = (figures as Readonly<Record<string, unknown>>)[figure]
  return typeof value === 'number' ? value : undefined
}

export interface BarGroup {
  /** The figure compared, as named in the report (`recordsPerSec`, `p99Us`, `startMs`). */
  readonly figure: string
  readonly unit: string
  /** samsa first, then each baseline. */
  readonly values: Readonly<Record<string, number>>
}

export interface ChartData {
  /** Records consumed per second, sampled while the run went on. */
  readonly throughput?: readonly { readonly elapsedMs: number; readonly recordsPerSec: number }[]
  /** Latency percentile distributions: samsa's and each baseline's. */
  readonly latency?: Readonly<Record<string, readonly PercentilePoint[]>>
  /** samsa's headline figures beside the baselines' (drawn as bars). */
  readonly bars?: readonly BarGroup[]
}

export interface BenchOutput {
  readonly scenario: string
  readonly verified: boolean
  readonly baselines: Baselines
  readonly ratios: Readonly<Record<string, number>>
  readonly charts: ChartData
  /** The scenario's options and figures. */
  readonly [field: string]: unknown
}

export interface ReportOptions {
  readonly json: boolean
  readonly out: string | undefined
}

/** The options every scenario takes for its report. */
export const REPORT_OPTIONS = {
  json: { kind: 'flag', help: 'print one JSON object as the last line (no progress display)' },
  out: {
    kind: 'directory',
    help: 'also write <scenario>.json and <scenario>.html (the report) in DIR',
  },
} as const satisfies OptionTable

/** What a reader needs to compare a figure with one measured elsewhere. */
function machineFacts() {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
  }
}

const round3 = (value: number) => Math.round(value * 1000) / 1000

/** samsa's `figure` over each baseline's same figure, keyed `figure/baseline`. */
export function ratiosOf(
  figure: string,
  samsa: number,
  baselines: Baselines,
): Record<string, number> {
  const ratios: Record<string, number> = {}
  for (const [name, figures] of Object.entries(baselines)) {
    const baseline = numberField(figures, figure)
    if (baseline !== undefined && baseline > 0)
      ratios[`${figure}/${name}`] = round3(samsa / baseline)
  }
  return ratios
}

/** A bar group: samsa's `figure` beside each baseline's. */
export function barsOf(
  figure: string,
  unit: string,
  samsa: number,
  baselines: Baselines,
): BarGroup {
  const values: Record<string, number> = { samsa }
  for (const [name, figures] of Object.entries(baselines)) {
    const value = numberField(figures, figure)
    if (value !== undefined) values[name] = value
  }
  return { figure, unit, values }
}

/**
 * Prints the report (text, or the JSON line) and writes the files of `--out`; an unverified
 * run sets a failing exit code.
 */
export async function emitReport(
  output: BenchOutput,
  options: ReportOptions,
  textLines: () => readonly string[],
): Promise<void> {
  const full = { ...output, ...machineFacts() }
  const json = JSON.stringify(full)
  if (options.out !== undefined) {
    const dir = resolve(options.out)
    await mkdir(dir, { recursive: true })
    const base = join(dir, output.scenario)
    await writeFile(`${base}.json`, `${json}\n`)
    await writeFile(`${base}.html`, renderHtmlReport(full))
    // On stderr, so that the JSON stays the last line of stdout.
    process.stderr.write(`report: ${base}.html (data: ${base}.json)\n`)
  }
  if (options.json) process.stdout.write(`${json}\n`)
  else process.stdout.write(`${textLines().join('\n')}\n`)
  if (!output.verified) process.exitCode = 1
}
