import type { Clock } from '../clock/clock.js'
import type { KafkaErrorType } from '../errors/kafka-error-codes.js'
import { InvalidArgumentError } from '../errors/samsa-error.js'
import type { WireError } from '../errors/wire-error.js'
import { type OpenRecord, type RequestRecord, RequestRecorder } from './request-log.js'
import {
  type InstalledRule,
  parseInstalledRules,
  type RequestDescription,
  RequestRuleSet,
  type RuleVerdict,
} from './request-rules.js'

/** What every thread is told about requests: the rules, and whether to log requests. */
export interface RequestSetup {
  readonly rules: readonly InstalledRule[]
  readonly record: boolean
}

export const NO_REQUEST_SETUP: RequestSetup = { rules: [], record: false }

/** Validates a setup from a caller or another thread. */
export function parseRequestSetup(value: unknown): RequestSetup {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError('a request setup must be an object')
  }
  const fields = value as Record<string, unknown>
  if (typeof fields.record !== 'boolean') {
    throw new InvalidArgumentError('a request setup says whether to record, as a boolean')
  }
  return { rules: parseInstalledRules(fields.rules), record: fields.record }
}

/** A request just arrived: what the rules decided for it, and its log record. */
export interface Arrival {
  readonly verdict: RuleVerdict | undefined
  readonly record: OpenRecord | undefined
}

const NOTHING: Arrival = { verdict: undefined, record: undefined }

/** Kafka's name for the error of a failed answer (an error that is no Kafka error: unknown). */
export function errorOfFailure(wire: WireError): KafkaErrorType {
  return (wire.kafkaType as KafkaErrorType | undefined) ?? 'UNKNOWN_SERVER_ERROR'
}

/**
 * One thread's request rules and request log, and what links a request to its answer: the
 * one dispatch point (the actor system's hand-over of a message to `receive`, and a consumer's
 * read of a partition) asks it what to do with each request and tells it of each answer.
 */
export class RequestDispatch {
  readonly rules = new RequestRuleSet()
  #recorder: RequestRecorder | undefined
  /** Requests a rule parked, handled when let go: the rules do not see them twice. */
  readonly #admitted = new WeakSet<object>()
  /** Open records by the request (before it is handled) or by its reply address (after). */
  readonly #records = new WeakMap<object, OpenRecord>()

  constructor(
    private readonly clock: Clock,
    /** Where a worker thread sends answered records (the main thread keeps its own). */
    private readonly publish?: (records: RequestRecord[]) => void,
  ) {}

  /** Whether there is anything to do at all: the dispatch point checks this one flag. */
  get active(): boolean {
    return this.rules.active || this.#recorder !== undefined
  }

  get recorder(): RequestRecorder | undefined {
    return this.#recorder
  }

  apply(setup: RequestSetup): void {
    this.rules.set(setup.rules)
    if (!setup.record) this.#recorder = undefined
    else this.#recorder ??= new RequestRecorder(this.clock, this.publish)
  }

  /** The rules' verdict on a request, and its record when requests are logged. */
  arrive(request: RequestDescription, client: string): Arrival {
    const verdict = this.rules.active ? this.rules.decide(request, client) : undefined
    const record = this.#recorder?.start(request, client)
    if (record !== undefined && verdict?.action.kind === 'error')
      record.error = verdict.action.error
    return verdict === undefined && record === undefined ? NOTHING : { verdict, record }
  }

  /** Marks a parked request as let go: it is handled without asking the rules again. */
  readmit(request: object): void {
    this.#admitted.add(request)
  }

  /** Whether a request was let go after a rule parked it (and forgets it). */
  wasAdmitted(request: object): boolean {
    return this.#admitted.delete(request)
  }

  /** Keeps a request's record until its answer is known, under `key`. */
  keep(key: object, record: OpenRecord): void {
    this.#records.set(key, record)
  }

  /** Moves a record kept under one key (the request) to another (its reply address). */
  rekey(from: object, to: object | undefined): OpenRecord | undefined {
    const record = this.#records.get(from)
    if (record === undefined) return undefined
    this.#records.delete(from)
    if (to !== undefined) this.#records.set(to, record)
    return record
  }

  /** An answer went (`value` a WireError when not `ok`): the record kept under `key` is done. */
  replied(key: object, ok: boolean, value: unknown): void {
    const record = this.#records.get(key)
    if (record === undefined) return
    this.#records.delete(key)
    const error = ok
      ? (record.request.errorInReply?.(value) ?? null)
      : errorOfFailure(value as WireError)
    this.finish(record, error)
  }

  finish(record: OpenRecord, error: KafkaErrorType | null): void {
    this.#recorder?.finish(record, error)
  }
}
