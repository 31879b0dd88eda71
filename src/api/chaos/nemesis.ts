import { SeededRandom } from '../../runtime/random/seeded-random.js'

/**
 * The faults a chaos run can inject, one at a time, each healed before the next. All but
 * `stall` strike a broker (or a link between two); `stall` stops one of the workload's client
 * threads outright for the fault's length, as a stalled client process would be.
 */
export const NEMESIS_KINDS = [
  'kill',
  'restart',
  'pause',
  'isolate',
  'cutlink',
  'lose',
  'slow',
  'drop',
  'duplicate',
  'stall',
] as const

export type NemesisKind = (typeof NEMESIS_KINDS)[number]

interface StepTiming {
  /** Applied this long after the run starts. */
  readonly atMs: number
  readonly healAtMs: number
}

/** A fault on a broker (or the link from it to `other`). */
export interface BrokerFaultStep extends StepTiming {
  readonly kind: Exclude<NemesisKind, 'stall'>
  readonly broker: number
  /** The other end of a cut link. */
  readonly other?: number
  /** A slow broker's added latency (ms), or a drop or duplicate probability. */
  readonly amount?: number
}

/** A client thread stalled from `atMs` to `healAtMs`. */
export interface ClientStallStep extends StepTiming {
  readonly kind: 'stall'
  /** The client's name: `c0` (a group member), `p1` (a producer). */
  readonly client: string
}

export type FaultStep = BrokerFaultStep | ClientStallStep

export interface ScheduleOptions {
  readonly seconds: number
  readonly brokers: number
  readonly kinds: readonly NemesisKind[]
  /** The workload's clients, which a stall picks from. */
  readonly clients: readonly string[]
}

/** The first fault waits this long, so the workload is running when it lands. */
const FIRST_FAULT_MS = 500
/** What the cluster is given between a heal and the next fault (an election, a catch-up). */
const CALM_MS = [300, 900] as const
const FAULT_MS = [300, 1_500] as const

/**
 * The nemesis's plan for one seed: faults one after another until the run's end, each on a
 * broker (or a link) drawn from the seed, each healed before the next. The same seed and
 * options give the same plan, so a run replays.
 */
export function nemesisSchedule(seed: number, options: ScheduleOptions): FaultStep[] {
  const random = SeededRandom.derive(seed, 'nemesis')
  const between = (range: readonly [number, number]) =>
    Math.round(range[0] + random.next() * (range[1] - range[0]))
  const pick = <T>(choices: readonly T[]): T =>
    choices[Math.floor(random.next() * choices.length)] as T
  const endMs = options.seconds * 1000
  const steps: FaultStep[] = []
  if (options.kinds.length === 0) return steps
  for (let atMs = FIRST_FAULT_MS; ; ) {
    const healAtMs = atMs + between(FAULT_MS)
    if (healAtMs > endMs) break
    const kind = pick(options.kinds)
    if (kind === 'stall') {
      if (options.clients.length > 0) {
        steps.push({ atMs, healAtMs, kind, client: pick(options.clients) })
      }
      atMs = healAtMs + between(CALM_MS)
      continue
    }
    const broker = Math.floor(random.next() * options.brokers)
    const others = Array.from({ length: options.brokers }, (_, id) => id).filter(
      (id) => id !== broker,
    )
    const step: BrokerFaultStep =
      kind === 'cutlink' && others.length > 0
        ? { atMs, healAtMs, kind, broker, other: pick(others) }
        : kind === 'slow'
          ? { atMs, healAtMs, kind, broker, amount: between([5, 50]) }
          : kind === 'drop' || kind === 'duplicate'
            ? { atMs, healAtMs, kind, broker, amount: Math.round(random.next() * 30) / 100 }
            : { atMs, healAtMs, kind, broker }
    if (kind !== 'cutlink' || step.other !== undefined) steps.push(step)
    atMs = healAtMs + between(CALM_MS)
  }
  return steps
}

export function describeStep(step: FaultStep): string {
  switch (step.kind) {
    case 'cutlink':
      return `cut the link between brokers ${step.broker} and ${step.other}`
    case 'slow':
      return `slow broker ${step.broker} by ${step.amount} ms`
    case 'drop':
    case 'duplicate':
      return `${step.kind} ${Math.round((step.amount ?? 0) * 100)}% of messages to broker ${step.broker}`
    case 'lose':
      return `kill broker ${step.broker}, its storage lost`
    case 'restart':
      return `restart broker ${step.broker}`
    case 'stall':
      return `stall client ${step.client}`
    default:
      return `${step.kind} broker ${step.broker}`
  }
}
