import type { Anomaly, AnomalyKind } from './checker.js'
import type { ClusterEventRecord, HistoryEvent } from './history.js'
import { describeStep, type FaultStep } from './nemesis.js'
import type { ChaosSeedReport } from './run-chaos.js'

/** Throughput is counted in buckets this wide. */
export const BUCKET_MS = 250

/** A fault from when the nemesis applied it to when it healed it, on the run's time. */
export interface FaultSpan {
  readonly from: number
  readonly to: number
  readonly kind: FaultStep['kind']
  readonly description: string
}

/** One seed's history, reduced to what its timeline shows: what `--out` writes as JSON. */
export interface TimelineSummary {
  readonly seed: number
  readonly verified: boolean
  readonly replay: string
  readonly sends: number
  readonly acknowledged: number
  readonly failures: readonly string[]
  readonly allowed: readonly AnomalyKind[]
  readonly counts: Readonly<Record<AnomalyKind, number>>
  /** Run time (ms) of the last event. */
  readonly endMs: number
  readonly faults: readonly FaultSpan[]
  /** Everything else the cluster and the driver noted: broker deaths, missed calls. */
  readonly notes: readonly {
    readonly time: number
    readonly kind: 'fault' | 'client'
    readonly description: string
  }[]
  readonly elections: readonly { readonly time: number; readonly description: string }[]
  readonly isr: readonly {
    readonly time: number
    readonly partition: number
    readonly leader: number
    readonly isr: readonly number[]
  }[]
  /** Per bucket from 0: sends acknowledged and records delivered to the group. */
  readonly throughput: readonly {
    readonly atMs: number
    readonly acknowledged: number
    readonly delivered: number
  }[]
  readonly anomalies: readonly Anomaly[]
}

/** At most this many anomalies are listed (all are counted). */
const LISTED_ANOMALIES = 200

export function summarizeSeed(report: ChaosSeedReport, replay: string): TimelineSummary {
  const { events } = report.history
  const endMs = Math.max(0, ...events.map(timeOf))
  const faults = faultSpans(events, report.schedule, endMs)
  const applied = new Set(
    report.schedule.flatMap((step) => [describeStep(step), `healed: ${describeStep(step)}`]),
  )
  const buckets = Array.from({ length: Math.floor(endMs / BUCKET_MS) + 1 }, (_, index) => ({
    atMs: index * BUCKET_MS,
    acknowledged: 0,
    delivered: 0,
  }))
  const bucketOf = (time: number) => buckets[Math.max(0, Math.floor(time / BUCKET_MS))]
  const notes: TimelineSummary['notes'][number][] = []
  const elections: TimelineSummary['elections'][number][] = []
  const isr: TimelineSummary['isr'][number][] = []
  for (const event of events) {
    switch (event.type) {
      case 'send': {
        const bucket = bucketOf(event.completedAt)
        if (bucket !== undefined && event.outcome === 'acknowledged') bucket.acknowledged++
        break
      }
      case 'delivery': {
        const bucket = bucketOf(event.time)
        if (bucket !== undefined) bucket.delivered++
        break
      }
      case 'fault':
      case 'client':
        if (!applied.has(event.description)) {
          notes.push({ time: event.time, kind: event.type, description: event.description })
        }
        break
      case 'election':
        elections.push({ time: event.time, description: event.description })
        break
      case 'isr':
        isr.push({
          time: event.time,
          partition: event.partition,
          leader: event.leader,
          isr: event.isr,
        })
        break
    }
  }
  return {
    seed: report.seed,
    verified: report.verified,
    replay,
    sends: report.sends,
    acknowledged: report.check.acknowledged,
    failures: report.failures,
    allowed: report.allowed,
    counts: report.check.counts,
    endMs,
    faults,
    notes,
    elections,
    isr,
    throughput: buckets,
    anomalies: report.check.anomalies.slice(0, LISTED_ANOMALIES),
  }
}

function timeOf(event: HistoryEvent): number {
  return event.type === 'send' ? event.completedAt : event.time
}

/** Each step from the moment the run noted it applied to the moment it noted it healed. */
function faultSpans(
  events: readonly HistoryEvent[],
  schedule: readonly FaultStep[],
  endMs: number,
): FaultSpan[] {
  const noted = (description: string, after: number) =>
    events.find(
      (event): event is ClusterEventRecord =>
        event.type === 'fault' && event.description === description && event.time >= after,
    )?.time
  let after = 0
  return schedule.flatMap((step) => {
    const description = describeStep(step)
    const from = noted(description, after)
    if (from === undefined) return []
    const to = noted(`healed: ${description}`, from) ?? endMs
    after = to
    return [{ from, to, kind: step.kind, description }]
  })
}
