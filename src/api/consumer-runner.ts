import { isRetriable } from '../actors/client/retry-policy.js'
import type { CoordinatorClient } from '../actors/consumer/coordinator-client.js'
import { FetchSession } from '../actors/consumer/fetch-session.js'
import type { FetchedPartition, SeekTarget } from '../actors/consumer/partition-fetcher.js'
import { OUTSIDE } from '../runtime/actor/actor-system.js'
import { noteProgress } from '../runtime/clock/local-activity.js'
import type { Assigner } from './assigners/partition-assigner.js'
import type { ClusterConnection } from './cluster.js'
import type { ResolvedConfig } from './consumer-config.js'
import { ConsumerGroup, type Subscriptions } from './consumer-group.js'
import { CONSUMER_EVENTS, type ConsumerEventName } from './consumer-types.js'
import { KafkaJSNumberOfRetriesExceeded, toKafkaJSError } from './errors.js'
import { type Handler, type HandlingRun, handleFetchedPartition } from './partition-handling.js'
import type { PauseState } from './pause-state.js'
import { RoundLock } from './round-lock.js'

/** How one `run()` goes: its handler, its commits, its concurrency. */
export interface RunSettings {
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

/** What the consumer lends each of its runs. */
export interface RunnerContext {
  readonly connection: ClusterConnection
  readonly config: ResolvedConfig
  readonly clientId: string
  readonly coordinator: CoordinatorClient
  readonly assigners: readonly Assigner[]
  readonly partitionCounts: Map<string, number>
  readonly subscriptions: Subscriptions
  readonly pauses: PauseState
  readonly pendingSeeks: Map<string, SeekTarget>
  readonly emit: (type: ConsumerEventName, payload?: unknown) => void
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/**
 * One `run()` of a consumer, KafkaJS's runner: joins the group, then fetch rounds until stopped
 * or crashed, each round's partitions handed to the handler (several at once with
 * `partitionsConsumedConcurrently`), failures retried as the consumer's retry policy says.
 */
export class ConsumerRunner implements HandlingRun {
  readonly settings: RunSettings
  readonly session: FetchSession
  readonly group: ConsumerGroup
  readonly handler: Handler
  readonly pauses: PauseState
  readonly clock: ClusterConnection['clock']
  readonly emit: (type: ConsumerEventName, payload?: unknown) => void
  active = true
  readonly #context: RunnerContext
  /** Fetch rounds and rebalance steps take turns on it. */
  readonly #lock = new RoundLock()
  /** Why the group cannot go on; the fetch loop ends the run with it. */
  #groupFailure: Error | undefined
  #loop: Promise<Error | undefined> | undefined
  /** Ends a retry backoff early. */
  #wake: (() => void) | undefined
  /** The auto-commit under way, which fetching does not wait for; at most one at a time. */
  #committing: Promise<void> | undefined
  /** Why the last auto-commit failed: the next round fails with it. */
  #commitFailure: unknown

  constructor(context: RunnerContext, settings: RunSettings) {
    const { connection, config } = context
    this.#context = context
    this.settings = settings
    this.handler = settings.handler
    this.pauses = context.pauses
    this.clock = connection.clock
    this.emit = context.emit
    const session = new FetchSession({
      metadata: connection.metadata,
      clock: connection.clock,
      isPaused: (topic, partition) => context.pauses.isPaused(topic, partition),
      maxWaitTimeMs: config.maxWaitTimeMs,
      maxBytes: config.maxBytes,
      maxBytesPerPartition: config.maxBytesPerPartition,
      metadataMaxAgeMs: config.metadataMaxAgeMs,
      isolation: config.isolation,
      refreshBackoffMs: config.retry.initialRetryTime,
      requests:
        connection.requests === undefined
          ? undefined
          : { dispatch: connection.requests, client: connection.linkName ?? OUTSIDE },
    })
    this.session = session
    this.group = new ConsumerGroup({
      metadata: connection.metadata,
      coordinator: context.coordinator,
      clock: connection.clock,
      groupId: config.groupId,
      clientId: context.clientId,
      groupInstanceId: config.groupInstanceId,
      sessionTimeoutMs: config.sessionTimeoutMs,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      assigners: context.assigners,
      partitionCounts: context.partitionCounts,
      subscriptions: context.subscriptions,
      session,
      lock: this.#lock,
      autoCommit: settings.autoCommit,
      autoCommitIntervalMs: settings.autoCommitIntervalMs,
      autoCommitThreshold: settings.autoCommitThreshold,
      pendingSeeks: context.pendingSeeks,
      emit: context.emit,
      crash: (error) => {
        this.#groupFailure = toKafkaJSError(error)
        session.interrupt()
        this.#wake?.()
      },
    })
  }

  /**
   * Joins the group (the partitions are assigned and positioned when this resolves), then
   * fetches in the background; `onCrash` hears of a crash that ends the run.
   */
  async start(onCrash: (error: Error) => void): Promise<void> {
    try {
      await this.group.start()
    } catch (error) {
      this.active = false
      this.session.close()
      await this.group.stop()
      throw toKafkaJSError(error)
    }
    if (!this.active) return
    this.#loop = this.#consume()
    void this.#loop.then((crash) => {
      if (crash !== undefined) onCrash(crash)
    })
  }

  /** Ends the run: a fetch waiting for data ends at once; a handler running is awaited. */
  async stop(): Promise<void> {
    this.active = false
    this.session.close()
    this.#wake?.()
    this.settings.onHalt?.()
    await this.#loop
    await this.#committing
    // After the last batch: its offsets are committed, then the group rebalances without us.
    await this.group.stop()
  }

  /** Fetch rounds until stopped. Resolves with the error that crashed it, if one did. */
  async #consume(): Promise<Error | undefined> {
    const { retry } = this.#context.config
    const { session, group, clock } = this
    const zeroCopy = this.handler.kind === 'raw'
    let retryCount = 0
    while (this.active) {
      // Reading shared memory never waits on I/O: without this, a round that makes no progress
      // (a batch handler that resolves nothing, say) would loop on microtasks alone and starve
      // every timer and I/O callback of the process. KafkaJS yields between fetches too.
      await new Promise((resolve) => setImmediate(resolve))
      if (this.#groupFailure !== undefined) {
        this.active = false
        return this.#groupFailure
      }
      if (!this.active) break
      try {
        this.#throwCommitFailure()
        const progressed = await this.#lock.run(async () => {
          this.emit(CONSUMER_EVENTS.FETCH_START, {})
          const fetchedAt = clock.now()
          const fetched = await session.fetch(zeroCopy)
          if (!this.active) return false
          this.emit(CONSUMER_EVENTS.FETCH, {
            numberOfBatches: fetched.length,
            duration: clock.now() - fetchedAt,
          })
          await this.#handleAll(fetched)
          this.#commitInBackground()
          return fetched.length > 0
        })
        if (progressed) {
          retryCount = 0
          noteProgress()
        }
      } catch (error) {
        if (!this.active) break
        // What was handled before the failure is committed; the rest comes again (KafkaJS).
        await this.#committing
        await group.commitIfDue(true)?.catch(() => {})
        if (retryCount < retry.retries && isRetriable(error)) {
          await this.#sleep(retry.delayAfter(retryCount))
          retryCount++
          continue
        }
        this.active = false
        return new KafkaJSNumberOfRetriesExceeded(asError(error), {
          retryCount,
          retryTime: retry.delayAfter(retryCount),
        })
      }
    }
    return undefined
  }

  /**
   * Commits what the handled batches resolved, without holding up the next fetch (as Kafka's
   * consumer commits asynchronously as it polls): a fetch round never waits out a commit's
   * round trip to the coordinator. Commits go one at a time, each with every offset resolved
   * by then; one that fails fails the next round, which the retry policy takes from there.
   */
  #commitInBackground(): void {
    if (this.#committing !== undefined) return
    const commit = this.group.commitIfDue(true)
    if (commit === undefined) return
    this.#committing = commit
      .catch((error: unknown) => {
        this.#commitFailure = error
      })
      .finally(() => {
        this.#committing = undefined
        // What was resolved while this one travelled goes next.
        if (this.active && this.#commitFailure === undefined) this.#commitInBackground()
      })
  }

  #throwCommitFailure(): void {
    const failure = this.#commitFailure
    if (failure === undefined) return
    this.#commitFailure = undefined
    throw failure
  }

  #sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.clock.cancel(timer)
        this.#wake = undefined
        resolve()
      }
      const timer = this.clock.schedule(delayMs, wake)
      this.#wake = wake
    })
  }

  async #handleAll(fetched: readonly FetchedPartition[]): Promise<void> {
    const { concurrency } = this.settings
    if (concurrency === 1) {
      for (const partition of fetched) {
        if (!this.active) return
        await handleFetchedPartition(this, partition)
      }
      return
    }
    let next = 0
    const failures: unknown[] = []
    const worker = async () => {
      while (this.active && failures.length === 0 && next < fetched.length) {
        const partition = fetched[next++] as FetchedPartition
        try {
          await handleFetchedPartition(this, partition)
        } catch (error) {
          failures.push(error)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, fetched.length) }, worker))
    if (failures.length > 0) throw failures[0]
  }
}
