import type { Clock } from '../clock/clock.js'
import { KAFKA_ERROR_CODES, type KafkaErrorType } from '../errors/kafka-error-codes.js'
import { InvalidArgumentError } from '../errors/samsa-error.js'
import {
  REQUEST_APIS,
  type RequestApi,
  type RequestDescription,
  type RequestTopic,
} from './request-rules.js'

/** One request as the request log keeps it. */
export interface RequestRecord {
  /** When it reached the actor (or the consumer's read began), on the clock of its thread. */
  readonly time: number
  readonly api: RequestApi
  /** The broker that served it; null for the controller's requests. */
  readonly broker: number | null
  /** The asker's link name. */
  readonly client: string
  readonly topics: readonly RequestTopic[]
  /** Kafka's name for the error it was answered with; null for a clean answer (or none yet). */
  readonly error: KafkaErrorType | null
  /** From arrival to answer; null while unanswered (a dropped request stays so). */
  readonly durationMs: number | null
}

/** A request being served: its record, finished when the answer goes. */
export interface OpenRecord {
  readonly request: RequestDescription
  readonly client: string
  readonly time: number
  readonly generation: number
  /** An error decided before the answer (a rule's): the answer does not override it. */
  error: KafkaErrorType | null
}

/**
 * One thread's part of the request log: requests still unanswered, and answered ones not yet
 * handed on (`publish`, on worker threads, sends them to the main thread at the end of each
 * turn; the main thread keeps them). `clear` forgets both, and what is answered later of a
 * request from before it.
 */
export class RequestRecorder {
  readonly #open = new Set<OpenRecord>()
  #answered: RequestRecord[] = []
  #generation = 0
  #publishScheduled = false

  constructor(
    private readonly clock: Clock,
    private readonly publish?: (records: RequestRecord[]) => void,
  ) {}

  start(request: RequestDescription, client: string): OpenRecord {
    const open: OpenRecord = {
      request,
      client,
      time: this.clock.now(),
      generation: this.#generation,
      error: null,
    }
    this.#open.add(open)
    return open
  }

  finish(open: OpenRecord, error: KafkaErrorType | null): void {
    if (!this.#open.delete(open) || open.generation !== this.#generation) return
    this.#answered.push(recordOf(open, open.error ?? error, this.clock.now() - open.time))
    if (this.publish !== undefined && !this.#publishScheduled) {
      this.#publishScheduled = true
      setImmediate(() => this.flush())
    }
  }

  /** Answered records from another thread. */
  accept(records: readonly RequestRecord[]): void {
    this.#answered.push(...records)
  }

  /** Hands answered records to `publish` now (before a collector reads what is unanswered). */
  flush(): void {
    this.#publishScheduled = false
    if (this.publish === undefined || this.#answered.length === 0) return
    const records = this.#answered
    this.#answered = []
    this.publish(records)
  }

  answered(): readonly RequestRecord[] {
    return this.#answered
  }

  unanswered(): RequestRecord[] {
    return [...this.#open].map((open) => recordOf(open, open.error, null))
  }

  clear(): void {
    this.#generation++
    this.#open.clear()
    this.#answered = []
  }
}

function recordOf(
  open: OpenRecord,
  error: KafkaErrorType | null,
  durationMs: number | null,
): RequestRecord {
  return {
    time: open.time,
    api: open.request.api,
    broker: open.request.broker ?? null,
    client: open.client,
    topics: open.request.topics ?? [],
    error,
    durationMs,
  }
}

function record(value: unknown): RequestRecord {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError('a request record must be an object')
  }
  const fields = value as Record<string, unknown>
  const number = (found: unknown) => typeof found === 'number' && Number.isFinite(found)
  const topics = fields.topics
  const valid =
    number(fields.time) &&
    REQUEST_APIS.includes(fields.api as RequestApi) &&
    (fields.broker === null || Number.isInteger(fields.broker)) &&
    typeof fields.client === 'string' &&
    (fields.error === null ||
      (typeof fields.error === 'string' && Object.hasOwn(KAFKA_ERROR_CODES, fields.error))) &&
    (fields.durationMs === null || number(fields.durationMs)) &&
    Array.isArray(topics) &&
    topics.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as Record<string, unknown>).topic === 'string' &&
        Array.isArray((entry as Record<string, unknown>).partitions) &&
        ((entry as Record<string, unknown>).partitions as unknown[]).every(Number.isInteger),
    )
  if (!valid) throw new InvalidArgumentError('a request record is malformed')
  return value as RequestRecord
}

/** Validates records that came from another thread. */
export function parseRequestRecords(value: unknown): RequestRecord[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('request records must be an array')
  return value.map(record)
}
