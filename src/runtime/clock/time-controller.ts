import type { ActorSystem } from '../actor/actor-system.js'
import { InvalidArgumentError } from '../errors/samsa-error.js'
import type { ThreadTimeReport } from '../transport/control-frames.js'
import type { TrafficCounts } from './thread-traffic.js'
import { reportTime } from './time-report.js'
import type { VirtualClock } from './virtual-clock.js'

/** One round of reports, every thread's (the main thread's first). */
type Wave = readonly ThreadTimeReport[]

/**
 * The one mover of virtual time, on the main thread. `advance(ms)` steps the time to each
 * due timer of any thread in turn, up to the target, and after each step waits until the
 * cluster is quiet: every thread has run what was due and reported, twice running with the
 * same message counts (and progress noted), every message sent between two of them received,
 * no thread busy, no timer due. (Two equal rounds with nothing in flight: whatever a thread did between them it
 * would have had to send or receive a message for, and that would show.)
 */
export class TimeController {
  readonly #time: Float64Array
  /** Advances run one after another: each starts where the last one ended. */
  #last: Promise<void> = Promise.resolve()

  constructor(
    private readonly clock: VirtualClock,
    private readonly system: ActorSystem,
  ) {
    this.#time = new Float64Array(clock.shared)
  }

  now(): number {
    return this.clock.now()
  }

  /**
   * Moves time forward by `ms`, running every timer that falls due on the way (those they set
   * too) in time order; resolves once the cluster is quiet at the new time.
   */
  advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new InvalidArgumentError(`advance takes a finite ms ≥ 0, got ${ms}`))
    }
    const advancing = this.#last.then(() => this.#advance(ms))
    this.#last = advancing.catch(() => {})
    return advancing
  }

  async #advance(ms: number): Promise<void> {
    const target = this.now() + ms
    while (!this.system.stopped) {
      const next = await this.#settle()
      if (next > target) break
      this.#time[0] = next
    }
    if (this.now() < target) this.#time[0] = target
  }

  /** Waits until the cluster is quiet at the current time; returns when the next timer is due. */
  async #settle(): Promise<number> {
    let previous: string | undefined
    while (!this.system.stopped) {
      const wave = await this.#wave()
      const counts = countsOf(wave)
      const earliest = Math.min(...wave.map((report) => report.earliestDue))
      const quiet =
        counts === previous &&
        earliest > this.now() &&
        wave.every((report) => !report.busy) &&
        nothingInFlight(wave)
      if (quiet) return earliest
      previous = counts
    }
    return Number.POSITIVE_INFINITY
  }

  async #wave(): Promise<Wave> {
    const here = reportTime(this.system, this.clock)
    const elsewhere = this.system.reportTimeOfThreads()
    return [await here, ...(await elsewhere)]
  }
}

function count(pairs: TrafficCounts['sentTo'], node: number): number {
  return pairs.find(([other]) => other === node)?.[1] ?? 0
}

/** Whether every message one thread of the wave sent another has arrived, and no more. */
function nothingInFlight(wave: Wave): boolean {
  const byNode = new Map(wave.map((report) => [report.node, report.traffic]))
  for (const report of wave) {
    for (const [to, sent] of report.traffic.sentTo) {
      const peer = byNode.get(to)
      if (peer !== undefined && count(peer.receivedFrom, report.node) !== sent) return false
    }
    for (const [from, received] of report.traffic.receivedFrom) {
      const peer = byNode.get(from)
      if (peer !== undefined && count(peer.sentTo, report.node) !== received) return false
    }
  }
  return true
}

/** The wave's message counts and noted progress, as one comparable string. */
function countsOf(wave: Wave): string {
  const sorted = [...wave].sort((a, b) => a.node - b.node)
  return JSON.stringify(sorted.map((report) => [report.node, report.traffic, report.progress]))
}
