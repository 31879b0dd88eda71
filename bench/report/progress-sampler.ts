/*
 * Samples a run's counters on a timer: each sample is a point of the report's throughput
 * chart and, on a terminal, a refresh of the progress line.
 */

export interface ProgressCounts {
  readonly produced: number
  readonly consumed: number
}

export interface ProgressSample extends ProgressCounts {
  readonly elapsedMs: number
  /** Records consumed per second since the previous sample. */
  readonly recordsPerSec: number
}

const SAMPLE_EVERY_MS = 250

export class ProgressSampler {
  readonly #started = performance.now()
  /** The chart starts from nothing done at time zero. */
  readonly #samples: ProgressSample[] = [
    { elapsedMs: 0, produced: 0, consumed: 0, recordsPerSec: 0 },
  ]
  readonly #timer: NodeJS.Timeout
  #stoppedAt: number | undefined

  constructor(
    private readonly read: () => ProgressCounts,
    private readonly onSample?: (sample: ProgressSample) => void,
  ) {
    this.#timer = setInterval(() => this.#take(), SAMPLE_EVERY_MS)
  }

  /** Ends sampling with one last sample, at the moment the run ended. */
  stop(): void {
    if (this.#stoppedAt !== undefined) return
    clearInterval(this.#timer)
    this.#take()
    this.#stoppedAt = performance.now()
  }

  /** From construction to `stop` (or now, while running). */
  elapsedMs(): number {
    return (this.#stoppedAt ?? performance.now()) - this.#started
  }

  samples(): readonly ProgressSample[] {
    return this.#samples
  }

  #take(): void {
    const elapsedMs = performance.now() - this.#started
    const counts = this.read()
    const previous = this.#samples.at(-1)
    const sinceMs = elapsedMs - (previous?.elapsedMs ?? 0)
    const sample: ProgressSample = {
      ...counts,
      elapsedMs: Math.round(elapsedMs),
      recordsPerSec:
        sinceMs > 0
          ? Math.round(((counts.consumed - (previous?.consumed ?? 0)) / sinceMs) * 1000)
          : 0,
    }
    this.#samples.push(sample)
    this.onSample?.(sample)
  }
}
