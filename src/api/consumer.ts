import { askTopicLogs, FetchSession, partitionKey } from '../actors/consumer/fetch-session.js'
import { decodeMessages, type KafkaMessage } from '../actors/consumer/kafka-messages.js'
import type { FetchedPartition, SeekTarget } from '../actors/consumer/partition-fetcher.js'
import type { Timer } from '../runtime/clock/clock.js'
import type { ClusterConnection } from './cluster.js'
import {
  createProtocolError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  toKafkaJSError,
} from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent } from './instrumentation.js'
import type { RetryOptions } from './retry.js'

export type { BatchContext, IHeaders, KafkaMessage } from '../actors/consumer/kafka-messages.js'
export type { InstrumentationEvent } from './instrumentation.js'

/** KafkaJS's retry options; the consumer retries failed fetches and handlers with them. */
export interface ConsumerRetryOptions extends RetryOptions {
  /** After a crash, whether to start again (default: yes, for retriable errors, as KafkaJS). */
  readonly restartOnFailure?: (error: Error) => Promise<boolean>
}

/**
 * KafkaJS's consumer options. Until consumer groups exist, `groupId` names the consumer but
 * joins nothing: the consumer takes every partition of the topics it subscribed to, and
 * group-only options (session timeout, assigners, rack) are accepted and unused.
 */
export interface ConsumerConfig {
  readonly groupId: string
  readonly partitionAssigners?: readonly unknown[]
  readonly metadataMaxAge?: number
  readonly sessionTimeout?: number
  readonly rebalanceTimeout?: number
  readonly heartbeatInterval?: number
  readonly maxBytesPerPartition?: number
  readonly minBytes?: number
  readonly maxBytes?: number
  readonly maxWaitTimeInMs?: number
  readonly retry?: ConsumerRetryOptions
  readonly allowAutoTopicCreation?: boolean
  readonly maxInFlightRequests?: number
  readonly readUncommitted?: boolean
  readonly rackId?: string
}

/** KafkaJS's consumer event names (`consumer.events`). */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const
export type ConsumerEventName = (typeof CONSUMER_EVENTS)[keyof typeof CONSUMER_EVENTS]

export interface TopicPartitions {
  readonly topic: string
  readonly partitions?: readonly number[]
}

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: string
}

export interface OffsetsByTopicPartition {
  readonly topics: readonly {
    readonly topic: string
    readonly partitions: readonly { readonly partition: string; readonly offset: string }[]
  }[]
}

/** KafkaJS's `Batch`: one partition's messages from one fetch. */
export interface Batch {
  readonly topic: string
  readonly partition: number
  readonly highWatermark: string
  readonly messages: readonly KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): string | null
  lastOffset(): string
  offsetLag(): string
  offsetLagLow(): string
}

export interface EachMessagePayload {
  readonly topic: string
  readonly partition: number
  readonly message: KafkaMessage
  heartbeat(): Promise<void>
  /** Pauses this message's partition; returns a function that resumes it. */
  pause(): () => void
}

export interface EachBatchPayload {
  readonly batch: Batch
  resolveOffset(offset: string): void
  heartbeat(): Promise<void>
  pause(): () => void
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>
  uncommittedOffsets(): OffsetsByTopicPartition
  isRunning(): boolean
  isStale(): boolean
}

/**
 * samsa's zero-copy batch path (for benchmarks): one partition's whole RecordBatch v2 batches
 * as views straight into the leader's ring. The writer may overwrite them at any time: decode,
 * then call `isIntact()`, and discard what you decoded if it says false. The first batch may
 * begin before `fetchOffset` (after a seek into its middle); skip those records. When the
 * handler resolves, the position moves to `nextOffset`; when it throws, the same batches come
 * again.
 */
export interface EachRawBatchPayload {
  readonly topic: string
  readonly partition: number
  readonly batches: readonly Uint8Array[]
  readonly fetchOffset: string
  readonly nextOffset: string
  readonly highWatermark: string
  isIntact(): boolean
}

export interface ConsumerRunConfig {
  readonly autoCommit?: boolean
  readonly autoCommitInterval?: number | null
  readonly autoCommitThreshold?: number | null
  readonly eachBatchAutoResolve?: boolean
  readonly partitionsConsumedConcurrently?: number
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void>
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void>
}

export interface RawBatchRunConfig {
  readonly partitionsConsumedConcurrently?: number
  readonly eachRawBatch: (payload: EachRawBatchPayload) => Promise<void>
}

export interface GroupDescription {
  readonly errorCode: number
  readonly groupId: string
  readonly members: readonly never[]
  readonly protocol: string
  readonly protocolType: string
  readonly state: string
}

type Handler =
  | {
      readonly kind: 'message'
      readonly eachMessage: NonNullable<ConsumerRunConfig['eachMessage']>
    }
  | {
      readonly kind: 'batch'
      readonly eachBatch: NonNullable<ConsumerRunConfig['eachBatch']>
      readonly autoResolve: boolean
    }
  | { readonly kind: 'raw'; readonly eachRawBatch: RawBatchRunConfig['eachRawBatch'] }

interface RunSettings {
  readonly handler: Handler
  readonly autoCommit: boolean
  readonly concurrency: number
  /** Told when the run ends (with the crash, if it crashed); the async iterator listens. */
  readonly onHalt?: (error?: Error) => void
  /** False when nobody could see a restarted run (the async iterator ends instead). */
  readonly restartable: boolean
}

/** One `run()`: from the first fetch until stop or crash. */
interface Run {
  readonly settings: RunSettings
  active: boolean
  session: FetchSession | undefined
  loop: Promise<Error | undefined> | undefined
  /** Ends a retry backoff early. */
  wake: (() => void) | undefined
}

interface ResolvedRetry {
  readonly maxRetryTime: number
  readonly initialRetryTime: number
  readonly multiplier: number
  readonly retries: number
  readonly restartOnFailure: ((error: Error) => Promise<boolean>) | undefined
}

interface ResolvedConfig {
  readonly groupId: string
  readonly maxWaitTimeMs: number
  readonly maxBytes: number
  readonly maxBytesPerPartition: number
  readonly metadataMaxAgeMs: number
  readonly retry: ResolvedRetry
}

const NOT_RUNNING = 'Consumer group was not initialized, consumer#run must be called first'
// KafkaJS's defaults.
const DEFAULT_RETRY = { maxRetryTime: 30_000, initialRetryTime: 300, multiplier: 2, retries: 5 }
const UNRECOVERABLE_ERRORS = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'])
const OFFSET_PATTERN = /^-?\d+$/

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value)
}

function optionalNumber(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new KafkaJSNonRetriableError(
      `Consumer ${name} must be a number ≥ ${min}, got ${describe(value)}`,
    )
  }
  return value
}

function resolveRetry(retry: unknown): ResolvedRetry {
  if (retry === undefined || retry === null)
    return { ...DEFAULT_RETRY, restartOnFailure: undefined }
  if (typeof retry !== 'object') {
    throw new KafkaJSNonRetriableError(`Consumer retry must be an object, got ${describe(retry)}`)
  }
  const options = retry as ConsumerRetryOptions
  if (options.restartOnFailure !== undefined && typeof options.restartOnFailure !== 'function') {
    throw new KafkaJSNonRetriableError('Consumer retry.restartOnFailure must be a function')
  }
  return {
    maxRetryTime: optionalNumber(
      options.maxRetryTime,
      'retry.maxRetryTime',
      DEFAULT_RETRY.maxRetryTime,
      0,
    ),
    initialRetryTime: optionalNumber(
      options.initialRetryTime,
      'retry.initialRetryTime',
      DEFAULT_RETRY.initialRetryTime,
      0,
    ),
    multiplier: optionalNumber(options.multiplier, 'retry.multiplier', DEFAULT_RETRY.multiplier, 1),
    retries: optionalNumber(options.retries, 'retry.retries', DEFAULT_RETRY.retries, 0),
    restartOnFailure: options.restartOnFailure,
  }
}

function resolveConfig(config: unknown): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
  }
  const options = config as ConsumerConfig
  if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
    throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
  }
  const sessionTimeout = optionalNumber(options.sessionTimeout, 'sessionTimeout', 30_000, 1)
  const heartbeatInterval = optionalNumber(options.heartbeatInterval, 'heartbeatInterval', 3_000, 0)
  if (heartbeatInterval >= sessionTimeout) {
    throw new KafkaJSNonRetriableError(
      `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
    )
  }
  return {
    groupId: options.groupId,
    maxWaitTimeMs: optionalNumber(options.maxWaitTimeInMs, 'maxWaitTimeInMs', 5_000, 0),
    maxBytes: optionalNumber(options.maxBytes, 'maxBytes', 10_485_760, 1),
    maxBytesPerPartition: optionalNumber(
      options.maxBytesPerPartition,
      'maxBytesPerPartition',
      1_048_576,
      1,
    ),
    metadataMaxAgeMs: optionalNumber(options.metadataMaxAge, 'metadataMaxAge', 300_000, 0),
    retry: resolveRetry(options.retry),
  }
}

/** As KafkaJS's retrier decides: anything not marked unretriable, bar programming errors. */
function isRetriable(error: unknown): boolean {
  if (!(error instanceof Error)) return true
  const retriable = (error as { readonly retriable?: unknown }).retriable
  return retriable !== false && !UNRECOVERABLE_ERRORS.has(error.name)
}

/** As KafkaJS decides after a crash: retries ran out, or the root cause is retriable. */
function worthRestarting(error: Error): boolean {
  if (error instanceof KafkaJSNumberOfRetriesExceeded) return true
  let cause: unknown = error
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause
  return (cause as { readonly retriable?: unknown } | undefined)?.retriable === true
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

function validTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new KafkaJSNonRetriableError(`Invalid topic ${describe(topic)}`)
  }
  return topic
}

function validPartition(partition: unknown): number {
  const value =
    typeof partition === 'string' && partition.trim() !== '' ? Number(partition) : partition
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new KafkaJSNonRetriableError(
      `Invalid partition, expected a number received ${describe(partition)}`,
    )
  }
  return value
}

/** An offset as KafkaJS's `Long.fromValue` takes it: a string or number of an integer. */
function parseOffset(offset: unknown): number {
  const text =
    typeof offset === 'bigint'
      ? offset.toString()
      : typeof offset === 'number'
        ? String(offset)
        : offset
  if (
    typeof text !== 'string' ||
    !OFFSET_PATTERN.test(text) ||
    !Number.isSafeInteger(Number(text))
  ) {
    throw new KafkaJSNonRetriableError(
      `Invalid offset, expected a long received ${describe(offset)}`,
    )
  }
  return Number(text)
}

function validTopicPartitions(list: unknown, verb: 'pause' | 'resume'): TopicPartitions[] {
  if (list === undefined) return []
  if (!Array.isArray(list)) {
    throw new KafkaJSNonRetriableError(`${verb} takes an array of { topic, partitions }`)
  }
  return list.map((entry: unknown) => {
    const topic = (entry as { topic?: unknown } | null | undefined)?.topic
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new KafkaJSNonRetriableError(`Invalid topic ${describe(topic ?? entry)}`)
    }
    const partitions = (entry as { partitions?: unknown }).partitions
    if (partitions === undefined) return { topic }
    if (!Array.isArray(partitions)) {
      throw new KafkaJSNonRetriableError(
        `Array of valid partitions required to ${verb} specific partitions instead of ${describe(partitions)}`,
      )
    }
    try {
      return { topic, partitions: partitions.map(validPartition) }
    } catch {
      throw new KafkaJSNonRetriableError(
        `Array of valid partitions required to ${verb} specific partitions instead of ${partitions.join(',')}`,
      )
    }
  })
}

/** Paused topics and partitions. A whole topic stays paused for partitions found later too. */
class PauseState {
  readonly #topics = new Map<string, { all: boolean; listed: Set<number> }>()

  isPaused(topic: string, partition: number): boolean {
    const state = this.#topics.get(topic)
    if (state === undefined) return false
    // With `all`, `listed` holds the partitions resumed since.
    return state.all !== state.listed.has(partition)
  }

  pause(topic: string, partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.#topics.set(topic, { all: true, listed: new Set() })
      return
    }
    const state = this.#state(topic)
    for (const partition of partitions) {
      if (state.all) state.listed.delete(partition)
      else state.listed.add(partition)
    }
  }

  resume(topic: string, partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.#topics.delete(topic)
      return
    }
    const state = this.#state(topic)
    for (const partition of partitions) {
      if (state.all) state.listed.add(partition)
      else state.listed.delete(partition)
    }
  }

  paused(assignment: ReadonlyMap<string, readonly number[]>): TopicPartitions[] {
    const result: TopicPartitions[] = []
    for (const [topic, partitions] of assignment) {
      const paused = partitions.filter((partition) => this.isPaused(topic, partition))
      if (paused.length > 0) result.push({ topic, partitions: paused })
    }
    return result
  }

  clear(): void {
    this.#topics.clear()
  }

  #state(topic: string): { all: boolean; listed: Set<number> } {
    let state = this.#topics.get(topic)
    if (state === undefined) {
      state = { all: false, listed: new Set() }
      this.#topics.set(topic, state)
    }
    return state
  }
}

class ConsumedBatch implements Batch {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly highWatermark: string,
    readonly messages: readonly KafkaMessage[],
  ) {}

  isEmpty(): boolean {
    return this.messages.length === 0
  }

  firstOffset(): string | null {
    return this.messages[0]?.offset ?? null
  }

  lastOffset(): string {
    return this.messages.at(-1)?.offset ?? String(Number(this.highWatermark) - 1)
  }

  offsetLag(): string {
    return String(Number(this.highWatermark) - 1 - Number(this.lastOffset()))
  }

  offsetLagLow(): string {
    const first = this.firstOffset()
    return first === null ? '0' : String(Number(this.highWatermark) - 1 - Number(first))
  }
}

/**
 * Hands messages from `eachMessage` to an async iterator, one at a time: a message counts as
 * processed when the loop asks for the next one (or leaves).
 */
class MessageHandoff {
  #ended = false
  #failure: Error | undefined
  #waiting:
    | {
        readonly resolve: (result: IteratorResult<EachMessagePayload>) => void
        readonly reject: (error: Error) => void
      }
    | undefined
  #offered:
    | {
        readonly payload: EachMessagePayload
        readonly ack: () => void
        readonly refuse: (error: Error) => void
      }
    | undefined
  #taken: { readonly ack: () => void; readonly refuse: (error: Error) => void } | undefined

  readonly eachMessage = (payload: EachMessagePayload): Promise<void> =>
    new Promise<void>((ack, refuse) => {
      if (this.#ended) {
        refuse(new KafkaJSError('the iteration over the consumer has ended'))
        return
      }
      const waiting = this.#waiting
      if (waiting === undefined) {
        this.#offered = { payload, ack, refuse }
        return
      }
      this.#waiting = undefined
      this.#taken = { ack, refuse }
      waiting.resolve({ value: payload, done: false })
    })

  next(): Promise<IteratorResult<EachMessagePayload>> {
    this.#acknowledge()
    const offered = this.#offered
    if (offered !== undefined) {
      this.#offered = undefined
      this.#taken = offered
      return Promise.resolve({ value: offered.payload, done: false })
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
    })
  }

  /** The loop left: the message it held is processed. */
  leave(): void {
    this.#acknowledge()
    this.end()
  }

  /** No more messages: the one in flight, if any, comes again to the next run. */
  end(failure?: Error): void {
    if (this.#ended) return
    this.#ended = true
    this.#failure = failure
    const stopped = new KafkaJSError('the consumer stopped')
    this.#taken?.refuse(stopped)
    this.#offered?.refuse(stopped)
    this.#taken = undefined
    this.#offered = undefined
    const waiting = this.#waiting
    this.#waiting = undefined
    if (waiting === undefined) return
    if (failure === undefined) waiting.resolve({ value: undefined, done: true })
    else {
      this.#failure = undefined
      waiting.reject(failure)
    }
  }

  #acknowledge(): void {
    this.#taken?.ack()
    this.#taken = undefined
  }
}

let nextConsumer = 0

/**
 * KafkaJS's consumer, reading committed records straight from the leaders' shared logs.
 *
 * Until consumer groups exist: the consumer takes every partition of every topic it
 * subscribed to; committing (auto or `commitOffsets`) resolves without storing anything, so
 * positions last as long as this consumer object (a later `run()` on it continues where the
 * last one stopped); `describeGroup` describes a group that does not exist.
 *
 * Beyond KafkaJS: `for await (const { topic, partition, message } of consumer)` (subscribe
 * first; it runs the consumer, and ends when the consumer stops or disconnects), and
 * `runBatches({ eachRawBatch })`, zero-copy batches for benchmarks.
 */
export class Consumer {
  readonly events = CONSUMER_EVENTS
  readonly #connection: ClusterConnection
  readonly #config: ResolvedConfig
  readonly #memberId: string
  readonly #events: InstrumentationEmitter
  #state: 'new' | 'connected' | 'disconnected' = 'new'
  /** Subscribed topics and whether each starts from the beginning. */
  readonly #subscriptions = new Map<string, 'earliest' | 'latest'>()
  readonly #pauses = new PauseState()
  /** Positions remembered from earlier runs, and seeks of partitions not yet assigned. */
  readonly #positions = new Map<string, SeekTarget>()
  /** Resolved offsets (the next offset to read) not yet "committed". */
  readonly #uncommitted = new Map<string, { topic: string; partition: number; offset: number }>()
  #run: Run | undefined
  #stopping: Promise<void> | undefined
  #restartTimer: Timer | undefined

  constructor(connection: ClusterConnection, config: ConsumerConfig) {
    this.#connection = connection
    this.#config = resolveConfig(config)
    this.#memberId = `${this.#config.groupId}-${nextConsumer++}`
    this.#events = new InstrumentationEmitter(CONSUMER_EVENTS, () => connection.clock.now())
  }

  async connect(): Promise<void> {
    if (this.#connection.isStopped()) throw new KafkaJSNonRetriableError('the cluster is stopped')
    if (this.#state === 'connected') return
    this.#state = 'connected'
    this.#emit(CONSUMER_EVENTS.CONNECT)
  }

  /** Stops consuming and disconnects. Idempotent; `cluster.stop()` calls it too. */
  async disconnect(): Promise<void> {
    await this.stop()
    const wasConnected = this.#state === 'connected'
    this.#state = 'disconnected'
    if (wasConnected) this.#emit(CONSUMER_EVENTS.DISCONNECT)
  }

  /** Stops consuming: a fetch waiting for data ends at once; a handler running is awaited. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopRun().finally(() => {
      this.#stopping = undefined
    })
    return this.#stopping
  }

  async subscribe(subscription: {
    readonly topic?: string | RegExp
    readonly topics?: readonly (string | RegExp)[]
    readonly fromBeginning?: boolean
  }): Promise<void> {
    this.#checkConnected()
    if (this.#run !== undefined) {
      throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running')
    }
    const { topic, topics, fromBeginning = false } = subscription ?? {}
    if (!topic && !topics) throw new KafkaJSNonRetriableError('Missing required argument "topics"')
    if (topics !== undefined && topics !== null && !Array.isArray(topics)) {
      throw new KafkaJSNonRetriableError('Argument "topics" must be an array')
    }
    const wanted: readonly unknown[] = topics ?? [topic]
    for (const entry of wanted) {
      if ((typeof entry !== 'string' || entry.length === 0) && !(entry instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(
          `Invalid topic ${describe(entry)} (${typeof entry}), the topic name has to be a String or a RegExp`,
        )
      }
    }
    const names = wanted.filter((entry): entry is string => typeof entry === 'string')
    const patterns = wanted.filter((entry): entry is RegExp => entry instanceof RegExp)
    try {
      if (patterns.length > 0) {
        const all = await askTopicLogs(this.#connection.supervisor)
        for (const { topic: existing } of all.topics) {
          if (patterns.some((pattern) => pattern.test(existing))) names.push(existing)
        }
      }
      const found = await askTopicLogs(this.#connection.supervisor, names)
      if (found.missing.length > 0) {
        throw createProtocolError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `This server does not host this topic-partition: ${found.missing.join(', ')}`,
        )
      }
    } catch (error) {
      throw toKafkaJSError(error)
    }
    for (const name of names) this.#subscriptions.set(name, fromBeginning ? 'earliest' : 'latest')
  }

  /** Starts consuming; resolves once the partitions are assigned and positioned. */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    this.#checkConnected()
    if (this.#run !== undefined) return
    const { eachMessage, eachBatch, eachBatchAutoResolve = true, autoCommit = true } = config
    if (eachMessage !== undefined && eachMessage !== null && typeof eachMessage !== 'function') {
      throw new KafkaJSNonRetriableError('eachMessage must be a function')
    }
    if (eachBatch !== undefined && eachBatch !== null && typeof eachBatch !== 'function') {
      throw new KafkaJSNonRetriableError('eachBatch must be a function')
    }
    let handler: Handler
    if (typeof eachMessage === 'function') handler = { kind: 'message', eachMessage }
    else if (typeof eachBatch === 'function') {
      handler = { kind: 'batch', eachBatch, autoResolve: eachBatchAutoResolve !== false }
    } else {
      throw new KafkaJSNonRetriableError('Consumer#run needs an eachMessage or eachBatch function')
    }
    await this.#start({
      handler,
      autoCommit: autoCommit !== false,
      concurrency: this.#concurrency(config.partitionsConsumedConcurrently),
      restartable: true,
    })
  }

  /** As `run`, but hands each partition's batches over raw and zero-copy (see EachRawBatchPayload). */
  async runBatches(config: RawBatchRunConfig): Promise<void> {
    this.#checkConnected()
    if (this.#run !== undefined) return
    if (typeof config?.eachRawBatch !== 'function') {
      throw new KafkaJSNonRetriableError('eachRawBatch must be a function')
    }
    await this.#start({
      handler: { kind: 'raw', eachRawBatch: config.eachRawBatch },
      autoCommit: true,
      concurrency: this.#concurrency(config.partitionsConsumedConcurrently),
      restartable: true,
    })
  }

  /** Moves a partition's position; -2 is the earliest offset, -1 the latest. */
  seek(target: {
    readonly topic: string
    readonly partition: number
    readonly offset: string
  }): void {
    const topic = validTopic(target?.topic)
    const partition = validPartition(target.partition)
    const offset = parseOffset(target.offset)
    if (offset < -2) throw new KafkaJSNonRetriableError('Offset must not be a negative number')
    const run = this.#requireRun()
    const position: SeekTarget = offset === -2 ? 'earliest' : offset === -1 ? 'latest' : offset
    const fetcher = run.session?.fetcher(topic, partition)
    if (fetcher === undefined) {
      // Not assigned (yet): applied if the partition is.
      this.#positions.set(partitionKey(topic, partition), position)
      return
    }
    fetcher.seek(position)
    this.#uncommitted.delete(partitionKey(topic, partition))
    run.session?.interrupt()
  }

  pause(topicPartitions: readonly TopicPartitions[]): void {
    const list = validTopicPartitions(topicPartitions, 'pause')
    this.#requireRun()
    for (const { topic, partitions } of list) this.#pauses.pause(topic, partitions)
  }

  resume(topicPartitions: readonly TopicPartitions[]): void {
    const list = validTopicPartitions(topicPartitions, 'resume')
    const run = this.#requireRun()
    for (const { topic, partitions } of list) this.#pauses.resume(topic, partitions)
    run.session?.interrupt()
  }

  /** The assigned partitions that are paused, by topic. */
  paused(): TopicPartitions[] {
    const session = this.#run?.session
    return session === undefined ? [] : this.#pauses.paused(session.assignment())
  }

  /** Resolves without storing anything: there are no groups (and so no commits) yet. */
  async commitOffsets(offsets: readonly TopicPartitionOffset[] = []): Promise<void> {
    if (!Array.isArray(offsets)) {
      throw new KafkaJSNonRetriableError(
        'commitOffsets takes an array of { topic, partition, offset }',
      )
    }
    const keys = offsets.map((entry: TopicPartitionOffset) => {
      const topic = validTopic(entry?.topic)
      const partition = validPartition(entry.partition)
      if (parseOffset(entry.offset) < 0) {
        throw new KafkaJSNonRetriableError('Offset must not be a negative number')
      }
      return partitionKey(topic, partition)
    })
    this.#requireRun()
    for (const key of keys) this.#uncommitted.delete(key)
  }

  /** A group that does not exist yet: no members, state "Dead" (as Kafka answers for one). */
  async describeGroup(): Promise<GroupDescription> {
    this.#checkConnected()
    return {
      errorCode: 0,
      groupId: this.#config.groupId,
      members: [],
      protocol: '',
      protocolType: 'consumer',
      state: 'Dead',
    }
  }

  /** Listens for one of `consumer.events`; returns the function that stops listening. */
  on(
    eventName: ConsumerEventName,
    listener: (event: InstrumentationEvent) => void | Promise<void>,
  ): () => void {
    if (typeof listener !== 'function') {
      throw new KafkaJSNonRetriableError('An event listener must be a function')
    }
    return this.#events.on(eventName, (event) => {
      // A listener's failure is its own: it must not stop consumption (KafkaJS logs it).
      const reportFailure = (error: unknown) =>
        process.emitWarning(`a ${event.type} listener failed: ${asError(error).message}`)
      try {
        Promise.resolve(listener(event)).catch(reportFailure)
      } catch (error) {
        reportFailure(error)
      }
    })
  }

  /**
   * Consumes by iteration: runs the consumer with each message handed to the loop, the next
   * one only once the loop asks for it. Leaving the loop stops the consumer; stopping or
   * disconnecting it ends the loop. A crash ends it with the crash's error.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<EachMessagePayload> {
    const handoff = new MessageHandoff()
    let started: Promise<void> | undefined
    const iterator: AsyncIterableIterator<EachMessagePayload> = {
      next: async () => {
        started ??= (async () => {
          this.#checkConnected()
          if (this.#run !== undefined) {
            throw new KafkaJSNonRetriableError(
              'the consumer is already running: iterate it or run it, not both',
            )
          }
          await this.#start({
            handler: { kind: 'message', eachMessage: handoff.eachMessage },
            autoCommit: true,
            concurrency: 1,
            onHalt: (error) => handoff.end(error),
            restartable: false,
          })
        })()
        await started
        return handoff.next()
      },
      return: async () => {
        handoff.leave()
        if (started !== undefined) await this.stop()
        return { value: undefined, done: true }
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  #checkConnected(): void {
    if (this.#state === 'connected') return
    throw new KafkaJSError(
      this.#state === 'new' ? 'The consumer is not connected' : 'The consumer is disconnected',
    )
  }

  #requireRun(): Run {
    const run = this.#run
    if (run === undefined || !run.active) throw new KafkaJSNonRetriableError(NOT_RUNNING)
    return run
  }

  #concurrency(value: unknown): number {
    if (value === undefined || value === null) return 1
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new KafkaJSNonRetriableError(
        `partitionsConsumedConcurrently must be a positive integer, got ${describe(value)}`,
      )
    }
    return value
  }

  #emit(type: ConsumerEventName, payload?: unknown): void {
    this.#events.emit(type, payload)
  }

  async #start(settings: RunSettings): Promise<void> {
    const run: Run = {
      settings,
      active: true,
      session: undefined,
      loop: undefined,
      wake: undefined,
    }
    this.#run = run
    const startedAt = this.#connection.clock.now()
    try {
      run.session = await FetchSession.start({
        supervisor: this.#connection.supervisor,
        clock: this.#connection.clock,
        topics: this.#subscriptions,
        startAt: this.#positions,
        isPaused: (topic, partition) => this.#pauses.isPaused(topic, partition),
        maxWaitTimeMs: this.#config.maxWaitTimeMs,
        maxBytes: this.#config.maxBytes,
        maxBytesPerPartition: this.#config.maxBytesPerPartition,
        metadataMaxAgeMs: this.#config.metadataMaxAgeMs,
        refreshBackoffMs: this.#config.retry.initialRetryTime,
      })
    } catch (error) {
      run.active = false
      if (this.#run === run) this.#run = undefined
      throw toKafkaJSError(error)
    }
    if (!run.active) return
    const memberAssignment = Object.fromEntries(run.session.assignment())
    this.#emit(CONSUMER_EVENTS.GROUP_JOIN, {
      duration: this.#connection.clock.now() - startedAt,
      groupId: this.#config.groupId,
      isLeader: true,
      leaderId: this.#memberId,
      groupProtocol: 'samsa-all-partitions',
      memberId: this.#memberId,
      memberAssignment,
    })
    run.loop = this.#consume(run, run.session)
    void run.loop.then((crash) => {
      if (crash !== undefined) void this.#afterCrash(run.settings, crash)
    })
  }

  async #stopRun(): Promise<void> {
    if (this.#restartTimer !== undefined) {
      this.#connection.clock.cancel(this.#restartTimer)
      this.#restartTimer = undefined
    }
    const run = this.#run
    if (run === undefined) return
    run.active = false
    run.session?.close()
    run.wake?.()
    run.settings.onHalt?.()
    await run.loop
    for (const [key, position] of run.session?.positions() ?? []) this.#positions.set(key, position)
    if (this.#run === run) this.#run = undefined
    this.#pauses.clear()
    this.#emit(CONSUMER_EVENTS.STOP)
  }

  /** Fetch rounds until stopped. Resolves with the error that crashed it, if one did. */
  async #consume(run: Run, session: FetchSession): Promise<Error | undefined> {
    const { retry } = this.#config
    const clock = this.#connection.clock
    const zeroCopy = run.settings.handler.kind === 'raw'
    let retryCount = 0
    // Without KafkaJS's jitter, so that a run replays.
    let retryTime = retry.initialRetryTime
    while (run.active) {
      // Reading shared memory never waits on I/O: without this, a round that makes no progress
      // (a batch handler that resolves nothing, say) would loop on microtasks alone and starve
      // every timer and I/O callback of the process. KafkaJS yields between fetches too.
      await new Promise((resolve) => setImmediate(resolve))
      if (!run.active) break
      try {
        this.#emit(CONSUMER_EVENTS.FETCH_START, {})
        const fetchedAt = clock.now()
        const fetched = await session.fetch(zeroCopy)
        if (!run.active) break
        this.#emit(CONSUMER_EVENTS.FETCH, {
          numberOfBatches: fetched.length,
          duration: clock.now() - fetchedAt,
        })
        await this.#processAll(run, session, fetched)
        if (fetched.length > 0) {
          retryCount = 0
          retryTime = retry.initialRetryTime
        }
      } catch (error) {
        if (!run.active) break
        if (retryCount < retry.retries && isRetriable(error)) {
          await this.#sleep(run, retryTime)
          retryCount++
          retryTime = Math.min(retryTime * retry.multiplier, retry.maxRetryTime)
          continue
        }
        run.active = false
        return new KafkaJSNumberOfRetriesExceeded(asError(error), { retryCount, retryTime })
      }
    }
    return undefined
  }

  /** A crashed run: stop, tell CRASH listeners, and start again later if KafkaJS would. */
  async #afterCrash(settings: RunSettings, error: Error): Promise<void> {
    settings.onHalt?.(error)
    await this.stop()
    const { retry } = this.#config
    let restart = settings.restartable && worthRestarting(error)
    if (restart && retry.restartOnFailure !== undefined) {
      // As KafkaJS: a failing callback counts as "restart".
      restart = await retry.restartOnFailure(error).then(
        (answer) => answer !== false,
        () => true,
      )
    }
    this.#emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.#config.groupId, restart })
    if (!restart || this.#state !== 'connected' || this.#run !== undefined) return
    const delay =
      error instanceof KafkaJSNumberOfRetriesExceeded ? error.retryTime : retry.initialRetryTime
    this.#restartTimer = this.#connection.clock.schedule(delay, () => {
      this.#restartTimer = undefined
      if (this.#state !== 'connected' || this.#run !== undefined) return
      this.#start(settings).catch((failure: unknown) =>
        this.#afterCrash(settings, asError(failure)),
      )
    })
  }

  #sleep(run: Run, delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.#connection.clock
      const wake = () => {
        clock.cancel(timer)
        run.wake = undefined
        resolve()
      }
      const timer = clock.schedule(delayMs, wake)
      run.wake = wake
    })
  }

  async #processAll(
    run: Run,
    session: FetchSession,
    fetched: readonly FetchedPartition[],
  ): Promise<void> {
    const concurrency = run.settings.concurrency
    if (concurrency === 1) {
      for (const partition of fetched) {
        if (!run.active) return
        await this.#process(run, session, partition)
      }
      return
    }
    let next = 0
    const failures: unknown[] = []
    const worker = async () => {
      while (run.active && failures.length === 0 && next < fetched.length) {
        const partition = fetched[next++] as FetchedPartition
        try {
          await this.#process(run, session, partition)
        } catch (error) {
          failures.push(error)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, fetched.length) }, worker))
    if (failures.length > 0) throw failures[0]
  }

  async #process(run: Run, session: FetchSession, fetched: FetchedPartition): Promise<void> {
    const { topic, partition, generation } = fetched
    const fetcher = session.fetcher(topic, partition)
    // Seeked since the read, or gone with its topic: what was read is not wanted any more.
    if (fetcher === undefined || fetcher.generation !== generation) return
    const { handler } = run.settings
    if (handler.kind === 'raw') {
      await handler.eachRawBatch({
        topic,
        partition,
        batches: fetched.batches,
        fetchOffset: String(fetched.fetchOffset),
        nextOffset: String(fetched.nextOffset),
        highWatermark: String(fetched.highWatermark),
        isIntact: fetched.isIntact,
      })
      fetcher.advance(generation, fetched.nextOffset)
      return
    }
    const messages = decodeMessages(fetched)
    if (messages.length === 0) {
      fetcher.advance(generation, fetched.nextOffset)
      return
    }
    const batch = new ConsumedBatch(topic, partition, String(fetched.highWatermark), messages)
    const lastOffset = Number(batch.lastOffset())
    const clock = this.#connection.clock
    const startedAt = clock.now()
    const payload = {
      topic,
      partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: messages.length,
      firstOffset: batch.firstOffset(),
      lastOffset: batch.lastOffset(),
    }
    this.#emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload)
    let resolved = fetched.fetchOffset - 1
    const resolve = (offset: number) => {
      resolved = offset
      this.#uncommitted.set(partitionKey(topic, partition), {
        topic,
        partition,
        offset: offset + 1,
      })
    }
    const pause = () => {
      this.#pauses.pause(topic, [partition])
      return () => {
        this.#pauses.resume(topic, [partition])
        run.session?.interrupt()
      }
    }
    const heartbeat = async () => {}
    try {
      if (handler.kind === 'message') {
        for (const message of messages) {
          if (!run.active || fetcher.generation !== generation) break
          if (this.#pauses.isPaused(topic, partition)) break
          await handler.eachMessage({ topic, partition, message, heartbeat, pause })
          resolve(Number(message.offset))
        }
      } else {
        await handler.eachBatch({
          batch,
          resolveOffset: (offset: string) => resolve(parseOffset(offset)),
          heartbeat,
          pause,
          commitOffsetsIfNecessary: async (offsets?: OffsetsByTopicPartition) => {
            if (offsets === undefined) this.#uncommitted.clear()
            else {
              for (const entry of offsets.topics) {
                for (const { partition: committed } of entry.partitions) {
                  this.#uncommitted.delete(partitionKey(entry.topic, Number(committed)))
                }
              }
            }
          },
          uncommittedOffsets: () => this.#uncommittedOffsets(),
          isRunning: () => run.active,
          isStale: () => !run.active || fetcher.generation !== generation,
        })
        if (handler.autoResolve) resolve(lastOffset)
      }
    } finally {
      // What was processed is done; the rest comes again (after a throw, a pause or a stop).
      fetcher.advance(generation, resolved === lastOffset ? fetched.nextOffset : resolved + 1)
      if (run.settings.autoCommit) this.#uncommitted.delete(partitionKey(topic, partition))
    }
    this.#emit(CONSUMER_EVENTS.END_BATCH_PROCESS, {
      ...payload,
      duration: clock.now() - startedAt,
    })
  }

  #uncommittedOffsets(): OffsetsByTopicPartition {
    const byTopic = new Map<string, { partition: string; offset: string }[]>()
    for (const { topic, partition, offset } of this.#uncommitted.values()) {
      let partitions = byTopic.get(topic)
      if (partitions === undefined) {
        partitions = []
        byTopic.set(topic, partitions)
      }
      partitions.push({ partition: String(partition), offset: String(offset) })
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
  }
}
