import type { ProgressSample } from './progress-sampler.js'

/*
 * The progress display: one line on stderr, rewritten in place with \r, while a scenario
 * runs on a terminal; nothing when stderr is not a terminal or the output is JSON. One line
 * of text needs no library, and stderr keeps stdout for the report.
 */

const format = (value: number) => Math.round(value).toLocaleString('en-US')
const REFRESH_MS = 250

export class ProgressLine {
  readonly #enabled: boolean
  readonly #started = performance.now()
  #phase: string | undefined
  #timer: NodeJS.Timeout | undefined
  #shown = false

  constructor(options: { readonly json: boolean }) {
    this.#enabled = !options.json && process.stderr.isTTY === true
  }

  /** Shows a phase with no counters of its own (starting, creating topics), timing it. */
  phase(label: string): void {
    if (!this.#enabled) return
    this.#phase = label
    this.#timer ??= setInterval(() => this.#drawPhase(), REFRESH_MS)
    this.#drawPhase()
  }

  /** Shows a sample of a running load: elapsed, counts, lag, rate. */
  update(sample: ProgressSample): void {
    if (!this.#enabled) return
    this.#stopPhase()
    this.#write(
      `  ${(sample.elapsedMs / 1000).toFixed(1)} s  produced ${format(sample.produced)}  consumed ${format(sample.consumed)}  lag ${format(Math.max(0, sample.produced - sample.consumed))}  ${format(sample.recordsPerSec)} records/s`,
    )
  }

  /** Clears the line, so that the report starts on a clean one. */
  end(): void {
    this.#stopPhase()
    if (this.#shown) process.stderr.write('\r\u001b[K')
    this.#shown = false
  }

  #drawPhase(): void {
    const elapsed = ((performance.now() - this.#started) / 1000).toFixed(1)
    this.#write(`  ${this.#phase ?? ''}  ${elapsed} s`)
  }

  #stopPhase(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#phase = undefined
  }

  #write(line: string): void {
    this.#shown = true
    process.stderr.write(`\r${line}\u001b[K`)
  }
}
