import { InvalidArgumentError } from '../errors/samsa-error.js'
import { SeededRandom } from '../random/seeded-random.js'

/**
 * A fault on the messages from one actor to another. `from`/`to` are actor names or '*'.
 * `cut` drops everything (a network partition); the others act with a probability each.
 */
export interface LinkFaultRule {
  readonly from: string
  readonly to: string
  readonly cut?: boolean
  readonly drop?: number
  readonly duplicate?: number
  /** Extra latency: a fixed delay, or uniform in [min, max]. */
  readonly delayMs?: number | readonly [number, number]
  /** Also apply the rule to the reverse direction. */
  readonly bothWays?: boolean
}

/** What happens to one message: how many copies arrive (0 = dropped), after what delay. */
export interface FaultDecision {
  readonly copies: number
  readonly delayMs: number
}

const CLEAN: FaultDecision = { copies: 1, delayMs: 0 }

function probability(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`${field} must be a probability from 0 to 1, got ${value}`)
  }
  return value
}

function delay(value: unknown): number | readonly [number, number] | undefined {
  if (value === undefined) return undefined
  const valid = (ms: unknown): ms is number =>
    typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
  if (valid(value)) return value
  if (Array.isArray(value) && value.length === 2 && valid(value[0]) && valid(value[1])) {
    if (value[0] <= value[1]) return [value[0], value[1]]
  }
  throw new InvalidArgumentError('delayMs must be a non-negative number or [min, max]')
}

/** Validates rules from a caller or from another thread. */
export function parseFaultRules(value: unknown): LinkFaultRule[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('fault rules must be an array')
  return value.map((rule: unknown, index) => {
    if (typeof rule !== 'object' || rule === null) {
      throw new InvalidArgumentError(`fault rule ${index} must be an object`)
    }
    const fields = rule as Record<string, unknown>
    if (typeof fields.from !== 'string' || typeof fields.to !== 'string') {
      throw new InvalidArgumentError(`fault rule ${index} needs 'from' and 'to' actor names or '*'`)
    }
    const parsed: LinkFaultRule = {
      from: fields.from,
      to: fields.to,
      cut: fields.cut === true,
      drop: probability(fields.drop, 'drop'),
      duplicate: probability(fields.duplicate, 'duplicate'),
      delayMs: delay(fields.delayMs),
      bothWays: fields.bothWays === true,
    }
    return parsed
  })
}

function matches(rule: LinkFaultRule, from: string, to: string): boolean {
  const forward = (rule.from === '*' || rule.from === from) && (rule.to === '*' || rule.to === to)
  if (forward || !rule.bothWays) return forward
  return (rule.from === '*' || rule.from === to) && (rule.to === '*' || rule.to === from)
}

/**
 * Decides each message's fate. Every link (from → to) draws from its own stream derived from
 * the one seed, so a link's outcomes depend only on the seed and on the messages sent on
 * that link, not on how threads interleave: a run replays from its seed.
 */
export class LinkFaults {
  #rules: readonly LinkFaultRule[] = []
  readonly #streams = new Map<string, SeededRandom>()

  constructor(readonly seed: number) {}

  get active(): boolean {
    return this.#rules.length > 0
  }

  setRules(rules: readonly LinkFaultRule[]): void {
    this.#rules = rules
  }

  /**
   * Whether the link is cut (no random draw): for traffic that does not travel as messages,
   * such as a follower copying its leader's log from shared memory, which a partition between
   * the two must stop as well.
   */
  isCut(from: string, to: string): boolean {
    return this.#rules.some((rule) => rule.cut === true && matches(rule, from, to))
  }

  decide(from: string, to: string): FaultDecision {
    if (this.#rules.length === 0) return CLEAN
    let copies = 1
    let delayMs = 0
    for (const rule of this.#rules) {
      if (!matches(rule, from, to)) continue
      if (rule.cut) return { copies: 0, delayMs: 0 }
      const random = this.#stream(from, to)
      if (rule.drop !== undefined && random.next() < rule.drop) return { copies: 0, delayMs: 0 }
      if (rule.duplicate !== undefined && random.next() < rule.duplicate) copies += 1
      if (typeof rule.delayMs === 'number') delayMs += rule.delayMs
      else if (rule.delayMs !== undefined) {
        const [min, max] = rule.delayMs
        delayMs += min + random.next() * (max - min)
      }
    }
    return { copies, delayMs }
  }

  #stream(from: string, to: string): SeededRandom {
    const key = `${from}\u0000${to}`
    let stream = this.#streams.get(key)
    if (stream === undefined) {
      stream = SeededRandom.derive(this.seed, from, to)
      this.#streams.set(key, stream)
    }
    return stream
  }
}
