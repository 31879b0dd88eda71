import { CoordinatorClient } from '../actors/consumer/coordinator-client.js'
import { askTopicLogs, FetchSession, partitionKey } from '../actors/consumer/fetch-session.js'
import { decodeMessages, type KafkaMessage } from '../actors/consumer/kafka-messages.js'
import type {
  FetchedPartition,
  ResetPolicy,
  SeekTarget,
} from '../actors/consumer/partition-fetcher.js'
import { parseDescribedGroup } from '../actors/coordinator/coordinator-protocol.js'
import type { Timer } from '../runtime/clock/clock.js'
import { toGroupDescription } from './admin-groups.js'
import { validateAssigners } from './assigners/partition-assigner.js'
import type { ClusterConnection } from './cluster.js'
import { ConsumedBatch } from './consumed-batch.js'
import {
  type ConsumerConfig,
  describe,
  parseOffset,
  type ResolvedConfig,
  resolveConfig,
  type TopicPartitions,
  validPartition,
  validTopic,
  validTopicPartitions,
} from './consumer-config.js'
import { ConsumerGroup } from './consumer-group.js'
import {
  createProtocolError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  toKafkaJSError,
} from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent } from './instrumentation.js'
import { MessageHandoff } from './message-handoff.js'
import { PauseState } from './pause-state.js'
import { RoundLock } from './round-lock.js'
import { requireObject } from './validation.js'

export type { BatchContext, IHeaders, KafkaMessage } from '../actors/consumer/kafka-messages.js'
export type {
  ConsumerConfig,
  ConsumerRetryOptions,
  TopicPartitions,
} from './consumer-config.js'
export type { InstrumentationEvent } from './instrumentation.js'

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

/** KafkaJS's `MemberDescription`: metadata and assignment in the consumer protocol's encoding. */
export interface MemberDescription {
  readonly clientHost: string
  readonly clientId: string
  readonly memberId: string
  readonly memberAssignment: Buffer
  readonly memberMetadata: Buffer
}

export interface GroupDescription {
  readonly errorCode: number
  readonly groupId: string
  readonly members: readonly MemberDescription[]
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
  readonly autoCommitIntervalMs: number | null
  readonly autoCommitThreshold: number | null
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
  group: ConsumerGroup | undefined
  /** Fetch rounds and rebalance steps take turns on it. */
  readonly lock: RoundLock
  /** Why the group cannot go on; the fetch loop ends the run with it. */
  groupFailure: Error | undefined
  loop: Promise<Error | undefined> | undefined
  /** Ends a retry backoff early. */
  wake: (() => void) | undefined
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

const UNRECOVERABLE_ERRORS = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'])
const NOT_RUNNING = 'Consumer group was not initialized, consumer#run must be called first'
let nextConsumer = 0

function optionalCount(value: unknown, name: string): number | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new KafkaJSNonRetriableError(
      `${name} must be a number ≥ 0 or null, got ${describe(value)}`,
    )
  }
  return value
}

/**
 * KafkaJS's consumer, a member of its group: the group's coordinator (on the broker leading
 * the group's offsets partition) assigns it partitions, and it reads their committed records
 * straight from the leaders' shared logs, committing its offsets to the coordinator.
 *
 * Beyond KafkaJS: `for await (const { topic, partition, message } of consumer)` (subscribe
 * first; it runs the consumer, and ends when the consumer stops or disconnects), and
 * `runBatches({ eachRawBatch })`, zero-copy batches for benchmarks.
 */
export class Consumer {
  readonly events = CONSUMER_EVENTS
  readonly #connection: ClusterConnection
  readonly #config: ResolvedConfig
  readonly #clientId: string
  readonly #events: InstrumentationEmitter
  readonly #coordinator: CoordinatorClient
  /** Partition counts the leader's assigners read (KafkaJS's `cluster` for assigners). */
  readonly #partitionCounts = new Map<string, number>()
  readonly #assigners: ReturnType<typeof validateAssigners>
  #state: 'new' | 'connected' | 'disconnected' = 'new'
  /** Subscribed topic names and whether each starts from the beginning. */
  readonly #subscriptions = new Map<string, ResetPolicy>()
  /** Subscribed patterns (KafkaJS's RegExp topics); topics created later that match are taken too. */
  readonly #patterns: { pattern: RegExp; policy: ResetPolicy }[] = []
  readonly #pauses = new PauseState()
  /** Seeks of partitions not yet assigned. */
  readonly #pendingSeeks = new Map<string, SeekTarget>()
  #run: Run | undefined
  #stopping: Promise<void> | undefined
  #restartTimer: Timer | undefined

  constructor(connection: ClusterConnection, config: ConsumerConfig) {
    this.#connection = connection
    this.#config = resolveConfig(config)
    this.#clientId = `samsa-consumer-${nextConsumer++}`
    this.#events = new InstrumentationEmitter(CONSUMER_EVENTS, () => connection.clock.now())
    const counts = this.#partitionCounts
    this.#assigners = validateAssigners(this.#config.partitionAssigners, {
      groupId: this.#config.groupId,
      cluster: {
        findTopicPartitionMetadata: (topic) =>
          Array.from({ length: counts.get(topic) ?? 0 }, (_, partitionId) => ({ partitionId })),
      },
    })
    this.#coordinator = new CoordinatorClient(
      connection.supervisor,
      connection.clock,
      this.#config.groupId,
    )
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
    const policy: ResetPolicy = fromBeginning ? 'earliest' : 'latest'
    for (const name of names) this.#subscriptions.set(name, policy)
    // Matched at every rebalance, so topics created later join the subscription.
    for (const pattern of patterns) this.#patterns.push({ pattern, policy })
  }

  /** Starts consuming; resolves once the partitions are assigned and positioned. */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    requireObject(config, 'run config')
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
      autoCommitIntervalMs: optionalCount(config.autoCommitInterval, 'autoCommitInterval'),
      autoCommitThreshold: optionalCount(config.autoCommitThreshold, 'autoCommitThreshold'),
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
      autoCommitIntervalMs: null,
      autoCommitThreshold: null,
      concurrency: this.#concurrency(config.partitionsConsumedConcurrently),
      restartable: true,
    })
  }

  /**
   * Moves a partition's position; -2 is the earliest offset, -1 the latest. With auto-commit,
   * the offset moved to is committed too (KafkaJS).
   */
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
      this.#pendingSeeks.set(partitionKey(topic, partition), position)
      return
    }
    fetcher.seek(position)
    run.group?.forget(topic, partition)
    run.session?.interrupt()
    if (run.settings.autoCommit && offset >= 0) {
      // The seek itself stands; a commit that fails is retried by the next auto-commit.
      run.group?.commit([{ topic, partition, offset, metadata: null }]).catch(() => {})
    }
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

  /**
   * Commits offsets (the next offset to read) of partitions this member is assigned, for its
   * generation: a member fenced by a newer generation gets ILLEGAL_GENERATION or
   * REBALANCE_IN_PROGRESS. With no offsets, commits what was resolved.
   */
  async commitOffsets(offsets: readonly TopicPartitionOffset[] = []): Promise<void> {
    if (!Array.isArray(offsets)) {
      throw new KafkaJSNonRetriableError(
        'commitOffsets takes an array of { topic, partition, offset }',
      )
    }
    const parsed = Array.from(offsets, (entry: TopicPartitionOffset) => {
      const topic = validTopic(entry?.topic)
      const partition = validPartition(entry.partition)
      const offset = parseOffset(entry.offset)
      if (offset < 0) {
        throw new KafkaJSNonRetriableError(
          `Offset must not be a negative number, got ${offset} for ${topic}-${partition}`,
        )
      }
      return { topic, partition, offset, metadata: null }
    })
    const run = this.#requireRun()
    const group = run.group
    if (group === undefined) throw new KafkaJSNonRetriableError(NOT_RUNNING)
    for (const { topic, partition } of parsed) {
      if (!run.session?.isAssigned(topic, partition)) {
        throw new KafkaJSNonRetriableError(
          `Cannot commit ${topic}-${partition}: it is not assigned to this member of group '${this.#config.groupId}'`,
        )
      }
    }
    try {
      if (parsed.length === 0) await group.commitResolved()
      else await group.commit(parsed)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  /** KafkaJS's `describeGroup`: the group as its coordinator sees it. */
  async describeGroup(): Promise<GroupDescription> {
    this.#checkConnected()
    try {
      return toGroupDescription(
        await this.#coordinator.request(
          { type: 'describe-group', groupId: this.#config.groupId },
          parseDescribedGroup,
        ),
      )
    } catch (error) {
      throw toKafkaJSError(error)
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
            autoCommitIntervalMs: null,
            autoCommitThreshold: null,
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
    const clock = this.#connection.clock
    const session = new FetchSession({
      supervisor: this.#connection.supervisor,
      clock,
      isPaused: (topic, partition) => this.#pauses.isPaused(topic, partition),
      maxWaitTimeMs: this.#config.maxWaitTimeMs,
      maxBytes: this.#config.maxBytes,
      maxBytesPerPartition: this.#config.maxBytesPerPartition,
      metadataMaxAgeMs: this.#config.metadataMaxAgeMs,
      refreshBackoffMs: this.#config.retry.initialRetryTime,
    })
    const run: Run = {
      settings,
      active: true,
      session,
      group: undefined,
      lock: new RoundLock(),
      groupFailure: undefined,
      loop: undefined,
      wake: undefined,
    }
    this.#run = run
    const group = new ConsumerGroup({
      supervisor: this.#connection.supervisor,
      coordinator: this.#coordinator,
      clock,
      groupId: this.#config.groupId,
      clientId: this.#clientId,
      groupInstanceId: this.#config.groupInstanceId,
      sessionTimeoutMs: this.#config.sessionTimeoutMs,
      rebalanceTimeoutMs: this.#config.rebalanceTimeoutMs,
      heartbeatIntervalMs: this.#config.heartbeatIntervalMs,
      assigners: this.#assigners,
      partitionCounts: this.#partitionCounts,
      subscriptions: { names: this.#subscriptions, patterns: this.#patterns },
      session,
      lock: run.lock,
      autoCommit: settings.autoCommit,
      autoCommitIntervalMs: settings.autoCommitIntervalMs,
      autoCommitThreshold: settings.autoCommitThreshold,
      pendingSeeks: this.#pendingSeeks,
      emit: (type, payload) => this.#emit(type, payload),
      crash: (error) => {
        run.groupFailure = toKafkaJSError(error)
        session.interrupt()
        run.wake?.()
      },
    })
    run.group = group
    try {
      await group.start()
    } catch (error) {
      run.active = false
      session.close()
      await group.stop()
      if (this.#run === run) this.#run = undefined
      throw toKafkaJSError(error)
    }
    if (!run.active) return
    run.loop = this.#consume(run, session)
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
    // After the last batch: its offsets are committed, then the group rebalances without us.
    await run.group?.stop()
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
      if (run.groupFailure !== undefined) {
        run.active = false
        return run.groupFailure
      }
      if (!run.active) break
      try {
        const progressed = await run.lock.run(async () => {
          this.#emit(CONSUMER_EVENTS.FETCH_START, {})
          const fetchedAt = clock.now()
          const fetched = await session.fetch(zeroCopy)
          if (!run.active) return false
          this.#emit(CONSUMER_EVENTS.FETCH, {
            numberOfBatches: fetched.length,
            duration: clock.now() - fetchedAt,
          })
          await this.#processAll(run, session, fetched)
          await run.group?.commitIfDue(true)
          return fetched.length > 0
        })
        if (progressed) {
          retryCount = 0
          retryTime = retry.initialRetryTime
        }
      } catch (error) {
        if (!run.active) break
        // What was handled before the failure is committed; the rest comes again (KafkaJS).
        await run.group?.commitIfDue(true)?.catch(() => {})
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
      run.group?.resolverFor(topic, partition)(fetched.nextOffset)
      return
    }
    const messages = await decodeMessages(fetched)
    // A seek while the batches were inflated makes them stale.
    if (fetcher.generation !== generation) return
    if (messages.length === 0) {
      fetcher.advance(generation, fetched.nextOffset)
      return
    }
    const group = run.group as ConsumerGroup
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
    const resolveNext = group.resolverFor(topic, partition)
    const resolve = (offset: number) => {
      resolved = offset
      resolveNext(offset + 1)
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
          const committing = group.commitIfDue(false)
          if (committing !== undefined) await committing
        }
      } else {
        await handler.eachBatch({
          batch,
          resolveOffset: (offset: string) => resolve(parseOffset(offset)),
          heartbeat,
          pause,
          commitOffsetsIfNecessary: async (offsets?: OffsetsByTopicPartition) => {
            if (offsets === undefined) {
              await group.commitIfDue(false)
              return
            }
            await group.commit(
              offsets.topics.flatMap((entry) =>
                entry.partitions.map((committed) => ({
                  topic: entry.topic,
                  partition: Number(committed.partition),
                  offset: parseOffset(committed.offset),
                  metadata: null,
                })),
              ),
            )
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
    }
    this.#emit(CONSUMER_EVENTS.END_BATCH_PROCESS, {
      ...payload,
      duration: clock.now() - startedAt,
    })
  }

  #uncommittedOffsets(): OffsetsByTopicPartition {
    const byTopic = new Map<string, { partition: string; offset: string }[]>()
    for (const { topic, partition, offset } of this.#run?.group?.uncommitted() ?? []) {
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
