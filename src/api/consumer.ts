import { CoordinatorClient } from '../actors/consumer/coordinator-client.js'
import { partitionKey } from '../actors/consumer/fetch-session.js'
import type { ResetPolicy, SeekTarget } from '../actors/consumer/partition-fetcher.js'
import { parseDescribedGroup } from '../actors/coordinator/coordinator-protocol.js'
import { OUTSIDE } from '../runtime/actor/actor-system.js'
import type { Timer } from '../runtime/clock/clock.js'
import { toGroupDescription } from './admin-groups.js'
import { validateAssigners } from './assigners/partition-assigner.js'
import type { ClusterConnection } from './cluster.js'
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
import { asError, ConsumerRunner, type RunSettings } from './consumer-runner.js'
import {
  CONSUMER_EVENTS,
  type ConsumerEventName,
  type ConsumerRunConfig,
  type EachMessagePayload,
  type GroupDescription,
  type RawBatchRunConfig,
  type TopicPartitionOffset,
} from './consumer-types.js'
import {
  createProtocolError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  toKafkaJSError,
} from './errors.js'
import { InstrumentationEmitter, type InstrumentationEvent } from './instrumentation.js'
import { MessageHandoff } from './message-handoff.js'
import type { Handler } from './partition-handling.js'
import { PauseState } from './pause-state.js'
import { requireObject } from './validation.js'

export type { BatchContext, IHeaders, KafkaMessage } from '../actors/consumer/kafka-messages.js'
export type {
  ConsumerConfig,
  ConsumerRetryOptions,
  TopicPartitions,
} from './consumer-config.js'
export * from './consumer-types.js'
export type { InstrumentationEvent } from './instrumentation.js'

/** As KafkaJS decides after a crash: retries ran out, or the root cause is retriable. */
function worthRestarting(error: Error): boolean {
  if (error instanceof KafkaJSNumberOfRetriesExceeded) return true
  let cause: unknown = error
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause
  return (cause as { readonly retriable?: unknown } | undefined)?.retriable === true
}

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
  /**
   * samsa: whom this consumer's requests are from (`$consumer-1`, … per cluster), as request
   * rules, the request log and link faults name it.
   */
  readonly linkName: string
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
  #run: ConsumerRunner | undefined
  #stopping: Promise<void> | undefined
  #restartTimer: Timer | undefined

  constructor(connection: ClusterConnection, config: ConsumerConfig) {
    this.#connection = connection
    this.linkName = connection.linkName ?? OUTSIDE
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
      connection.linkName,
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
      const found = await this.#connection.metadata.topics(names)
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
    const fetcher = run.session.fetcher(topic, partition)
    if (fetcher === undefined) {
      // Not assigned (yet): applied if the partition is.
      this.#pendingSeeks.set(partitionKey(topic, partition), position)
      return
    }
    fetcher.seek(position)
    run.group.forget(topic, partition)
    run.session.interrupt()
    if (run.settings.autoCommit && offset >= 0) {
      // The seek itself stands; a commit that fails is retried by the next auto-commit.
      run.group.commit([{ topic, partition, offset, metadata: null }]).catch(() => {})
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
    run.session.interrupt()
  }

  /** The assigned partitions that are paused, by topic. */
  paused(): TopicPartitions[] {
    const run = this.#run
    return run === undefined ? [] : this.#pauses.paused(run.session.assignment())
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
    const { group } = run
    for (const { topic, partition } of parsed) {
      if (!run.session.isAssigned(topic, partition)) {
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

  #requireRun(): ConsumerRunner {
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
    const run = new ConsumerRunner(
      {
        connection: this.#connection,
        config: this.#config,
        clientId: this.#clientId,
        coordinator: this.#coordinator,
        assigners: this.#assigners,
        partitionCounts: this.#partitionCounts,
        subscriptions: { names: this.#subscriptions, patterns: this.#patterns },
        pauses: this.#pauses,
        pendingSeeks: this.#pendingSeeks,
        emit: (type, payload) => this.#emit(type, payload),
      },
      settings,
    )
    // Held before the join: a GROUP_JOIN listener may seek or pause.
    this.#run = run
    try {
      await run.start((crash) => void this.#afterCrash(settings, crash))
    } catch (error) {
      if (this.#run === run) this.#run = undefined
      throw error
    }
  }

  async #stopRun(): Promise<void> {
    if (this.#restartTimer !== undefined) {
      this.#connection.clock.cancel(this.#restartTimer)
      this.#restartTimer = undefined
    }
    const run = this.#run
    if (run === undefined) return
    await run.stop()
    if (this.#run === run) this.#run = undefined
    this.#pauses.clear()
    this.#emit(CONSUMER_EVENTS.STOP)
  }

  /** A crashed run: stop, tell CRASH listeners, and start again later if KafkaJS would. */
  async #afterCrash(settings: RunSettings, error: Error): Promise<void> {
    settings.onHalt?.(error)
    await this.stop()
    const { retry, restartOnFailure } = this.#config
    let restart = settings.restartable && worthRestarting(error)
    if (restart && restartOnFailure !== undefined) {
      // As KafkaJS: a failing callback counts as "restart".
      restart = await restartOnFailure(error).then(
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
}
