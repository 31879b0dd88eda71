import type { Clock } from '../clock/clock.js'
import { registerWait } from '../clock/local-activity.js'
import { KAFKA_ERROR_CODES, type KafkaErrorType } from '../errors/kafka-error-codes.js'
import { InvalidArgumentError, KafkaProtocolError } from '../errors/samsa-error.js'

/** Kafka's request names, for the requests samsa's actors (and consumers' reads) serve. */
export const REQUEST_APIS = [
  'Produce',
  'Fetch',
  'Metadata',
  'CreateTopics',
  'DeleteTopics',
  'CreatePartitions',
  'InitProducerId',
  'FindCoordinator',
  'JoinGroup',
  'SyncGroup',
  'Heartbeat',
  'LeaveGroup',
  'OffsetCommit',
  'OffsetFetch',
  'DescribeGroups',
  'ListGroups',
  'DeleteGroups',
  'ElectLeaders',
  'AddPartitionsToTxn',
  'AddOffsetsToTxn',
  'EndTxn',
  'TxnOffsetCommit',
] as const

export type RequestApi = (typeof REQUEST_APIS)[number]

/** The partitions of one topic a request is about (none listed: the topic as a whole). */
export interface RequestTopic {
  readonly topic: string
  readonly partitions: readonly number[]
}

/** What an actor says a message is, when it is one of Kafka's requests. */
export interface RequestDescription {
  readonly api: RequestApi
  /** The broker that serves it; absent for the controller's requests. */
  readonly broker?: number
  readonly topics?: readonly RequestTopic[]
  /** The Kafka error an answer carries inside it (a produce reply's partition errors). */
  readonly errorInReply?: (reply: unknown) => KafkaErrorType | null
}

/** What a rule does to a request it matches. */
export type RuleAction =
  | { readonly kind: 'error'; readonly error: KafkaErrorType }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'drop' }
  | { readonly kind: 'hold' }

/** Which requests a rule takes: every field given must match. */
export interface RuleMatch {
  readonly api: RequestApi
  readonly broker?: number
  readonly topic?: string
  readonly partition?: number
  /** The asker's link name (a producer's `linkName`, say). */
  readonly client?: string
  /** How many matches, counted across every thread, the rule acts on. Default: all of them. */
  readonly times?: number
}

/**
 * A rule as every thread holds it. `shared` is the rule's memory on every thread: the number
 * of matches so far and, for a hold, whether it was released.
 */
export interface InstalledRule extends RuleMatch {
  readonly id: number
  readonly action: RuleAction
  readonly shared: SharedArrayBuffer
}

/** The Int32 words of a rule's shared memory. */
export const RuleWord = { matched: 0, released: 1, bytes: 8 } as const

/** The error every rule-injected failure carries, so a test can tell it from a real one. */
export function injectedError(type: KafkaErrorType): KafkaProtocolError {
  return new KafkaProtocolError(type, 'injected by a request rule')
}

function isKafkaErrorType(value: unknown): value is KafkaErrorType {
  return typeof value === 'string' && Object.hasOwn(KAFKA_ERROR_CODES, value)
}

function optionalInteger(fields: Record<string, unknown>, name: string, min: number) {
  const value = fields[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`a request rule's ${name} must be an integer ≥ ${min}`)
  }
  return value
}

function optionalString(fields: Record<string, unknown>, name: string) {
  const value = fields[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`a request rule's ${name} must be a string`)
  }
  return value
}

/** The matching fields of a rule from a caller or another thread. */
export function parseRuleMatch(value: unknown): RuleMatch {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('a request rule must be an object')
  }
  const fields = value as Record<string, unknown>
  if (!REQUEST_APIS.includes(fields.api as RequestApi)) {
    throw new InvalidArgumentError(
      `a request rule's api must be one of ${REQUEST_APIS.join(', ')}, got ${String(fields.api)}`,
    )
  }
  return {
    api: fields.api as RequestApi,
    broker: optionalInteger(fields, 'broker', 0),
    topic: optionalString(fields, 'topic'),
    partition: optionalInteger(fields, 'partition', 0),
    client: optionalString(fields, 'client'),
    times: optionalInteger(fields, 'times', 1),
  }
}

/**
 * The action of a rule as a caller writes it (`error`, `delayMs`, `drop: true` or
 * `hold: true`, exactly one), or as it crossed a thread (`action`).
 */
export function parseRuleAction(value: unknown): RuleAction {
  const fields = value as Record<string, unknown>
  const given = ['error', 'delayMs', 'drop', 'hold'].filter((name) => fields[name] !== undefined)
  if (given.length !== 1) {
    throw new InvalidArgumentError(
      `a request rule does exactly one of error, delayMs, drop and hold; it gives ${given.length === 0 ? 'none' : given.join(' and ')}`,
    )
  }
  if (fields.error !== undefined) {
    if (!isKafkaErrorType(fields.error)) {
      throw new InvalidArgumentError(
        `a request rule's error must be a Kafka error name, got ${String(fields.error)}`,
      )
    }
    return { kind: 'error', error: fields.error }
  }
  if (fields.delayMs !== undefined) {
    const ms = fields.delayMs
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new InvalidArgumentError(`a request rule's delayMs must be a number ≥ 0`)
    }
    return { kind: 'delay', ms }
  }
  if (fields.drop !== true && fields.hold !== true) {
    throw new InvalidArgumentError('drop and hold are given as true')
  }
  return fields.drop === true ? { kind: 'drop' } : { kind: 'hold' }
}

function parseInstalledAction(value: unknown): RuleAction {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError('an installed rule needs an action')
  }
  const fields = value as Record<string, unknown>
  switch (fields.kind) {
    case 'error':
      return parseRuleAction({ error: fields.error })
    case 'delay':
      return parseRuleAction({ delayMs: fields.ms })
    case 'drop':
      return { kind: 'drop' }
    case 'hold':
      return { kind: 'hold' }
    default:
      throw new InvalidArgumentError(`unknown rule action ${String(fields.kind)}`)
  }
}

/** Validates installed rules that came from another thread. */
export function parseInstalledRules(value: unknown): InstalledRule[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('request rules must be an array')
  return value.map((entry: unknown) => {
    const match = parseRuleMatch(entry)
    const fields = entry as Record<string, unknown>
    const shared = fields.shared
    if (!(shared instanceof SharedArrayBuffer) || shared.byteLength < RuleWord.bytes) {
      throw new InvalidArgumentError("an installed rule's shared memory is missing")
    }
    if (!Number.isInteger(fields.id))
      throw new InvalidArgumentError('an installed rule needs an id')
    return {
      ...match,
      id: fields.id as number,
      action: parseInstalledAction(fields.action),
      shared,
    }
  })
}

function names(request: RequestDescription, rule: RuleMatch): boolean {
  if (rule.topic === undefined && rule.partition === undefined) return true
  return (request.topics ?? []).some(
    (entry) =>
      (rule.topic === undefined || entry.topic === rule.topic) &&
      (rule.partition === undefined || entry.partitions.includes(rule.partition)),
  )
}

function matches(rule: RuleMatch, request: RequestDescription, client: string): boolean {
  return (
    rule.api === request.api &&
    (rule.broker === undefined || rule.broker === request.broker) &&
    (rule.client === undefined || rule.client === client) &&
    names(request, rule)
  )
}

/** A rule's verdict on one request: its action, and the rule's memory (a hold waits on it). */
export interface RuleVerdict {
  readonly action: RuleAction
  readonly words: Int32Array
}

/**
 * The request rules as one thread holds them, and the one place they are evaluated, for
 * requests to actors and for consumers' reads alike. The first rule that matches and has
 * matches left acts; counts are shared by every thread, so `times: 1` is one request in the
 * whole cluster.
 */
export class RequestRuleSet {
  #rules: readonly { readonly rule: InstalledRule; readonly words: Int32Array }[] = []

  get active(): boolean {
    return this.#rules.length > 0
  }

  set(rules: readonly InstalledRule[]): void {
    this.#rules = rules.map((rule) => ({ rule, words: new Int32Array(rule.shared, 0, 2) }))
  }

  /** Whether any rule is about `api` (lets a path skip describing its requests). */
  covers(api: RequestApi): boolean {
    return this.#rules.some(({ rule }) => rule.api === api)
  }

  decide(request: RequestDescription, client: string): RuleVerdict | undefined {
    for (const { rule, words } of this.#rules) {
      if (!matches(rule, request, client)) continue
      // A released hold lets everything through from then on.
      if (rule.action.kind === 'hold' && Atomics.load(words, RuleWord.released) !== 0) continue
      if (rule.times !== undefined && Atomics.add(words, RuleWord.matched, 1) >= rule.times) {
        continue
      }
      return { action: rule.action, words }
    }
    return undefined
  }
}

/**
 * Resolves once a delayed request's time has come (at least `ms` on `clock` after `since`,
 * whatever a timer's rounding) or a held one is released.
 */
export function waitOut(verdict: RuleVerdict, clock: Clock, since: number): Promise<void> {
  const { action, words } = verdict
  if (action.kind === 'delay') {
    return new Promise((resolve) => {
      const check = () => {
        const left = since + action.ms - clock.now()
        if (left <= 0) resolve()
        else clock.schedule(left, check)
      }
      check()
    })
  }
  const released = () => Atomics.load(words, RuleWord.released) !== 0
  return (async () => {
    const ended = registerWait(released)
    try {
      while (!released()) {
        const waited = Atomics.waitAsync(words, RuleWord.released, 0)
        if (waited.async) await waited.value
      }
    } finally {
      ended()
    }
  })()
}

/** Lets go of what a hold rule parks, on every thread. */
export function releaseRule(shared: SharedArrayBuffer): void {
  const words = new Int32Array(shared, 0, 2)
  Atomics.store(words, RuleWord.released, 1)
  Atomics.notify(words, RuleWord.released)
}
