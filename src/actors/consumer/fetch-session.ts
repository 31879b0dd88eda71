import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock, Timer } from '../../runtime/clock/clock.js'
import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import {
  arrayField,
  fieldsOf,
  integerField,
  stringArrayField,
  stringField,
} from '../protocol-fields.js'
import type { SupervisorRequest } from '../supervisor/supervisor-protocol.js'
import {
  type FetchedPartition,
  InterruptibleLogReader,
  PartitionFetcher,
  type ResetPolicy,
  type SeekTarget,
} from './partition-fetcher.js'

export interface FetchSessionOptions {
  readonly supervisor: ActorRef<SupervisorRequest>
  readonly clock: Clock
  readonly isPaused: (topic: string, partition: number) => boolean
  /** Longest wait for data in one fetch (KafkaJS's `maxWaitTimeInMs`). */
  readonly maxWaitTimeMs: number
  /** Byte budget of one fetch across partitions; each readable partition gives one batch at least. */
  readonly maxBytes: number
  readonly maxBytesPerPartition: number
  /** Metadata older than this is asked again (KafkaJS's `metadataMaxAge`). */
  readonly metadataMaxAgeMs: number
  /** Least time between metadata asks while a partition's log is unusable. */
  readonly refreshBackoffMs: number
}

/** A partition given to the session: where it starts, and where it goes when out of range. */
export interface AssignedPartition {
  readonly topic: string
  readonly partition: number
  readonly start: SeekTarget
  readonly policy: ResetPolicy
}

/** The parts of a metadata reply a consumer uses, checked (the reply may cross a thread). */
export interface TopicLogs {
  readonly topics: readonly {
    readonly topic: string
    readonly partitions: readonly { readonly partition: number; readonly log: unknown }[]
  }[]
  readonly missing: readonly string[]
  /** The metadata version, and the shared word where the supervisor publishes the current one. */
  readonly version: number
  readonly changes: Int32Array
}

function parseTopicLogs(value: unknown): TopicLogs {
  const fields = fieldsOf(value, 'metadata')
  return {
    topics: arrayField(fields, 'topics').map((entry) => {
      const topicFields = fieldsOf(entry, 'topic metadata')
      return {
        topic: stringField(topicFields, 'topic'),
        partitions: arrayField(topicFields, 'partitions').map((partition) => {
          const partitionFields = fieldsOf(partition, 'partition metadata')
          return {
            partition: integerField(partitionFields, 'partition', 0),
            log: partitionFields.log,
          }
        }),
      }
    }),
    missing: stringArrayField(fields, 'missing'),
    version: integerField(fields, 'version'),
    changes: changesWord(fields.changes),
  }
}

function changesWord(value: unknown): Int32Array {
  if (!(value instanceof SharedArrayBuffer) || value.byteLength < 4) {
    throw new MalformedMessageError('metadata changes must be a shared Int32')
  }
  return new Int32Array(value, 0, 1)
}

/** Asks the controller which of `topics` exist (all topics when absent) and their leaders' logs. */
export function askTopicLogs(
  supervisor: ActorRef<SupervisorRequest>,
  topics?: readonly string[],
): Promise<TopicLogs> {
  const request: SupervisorRequest =
    topics === undefined ? { type: 'metadata' } : { type: 'metadata', topics }
  return supervisor.ask<TopicLogs>(request, { parseReply: parseTopicLogs })
}

export const partitionKey = (topic: string, partition: number): string =>
  `${topic}\u0000${partition}`

/** Whether an error means the log read from is no longer the leader's live log. */
function isStaleLog(error: unknown): boolean {
  return (
    error instanceof KafkaProtocolError &&
    (error.type === 'NOT_LEADER_OR_FOLLOWER' || error.type === 'KAFKA_STORAGE_ERROR')
  )
}

/**
 * The partitions assigned to a consumer, each with its position, and the fetch rounds over them: read what is committed from the leaders' shared logs, and when nothing
 * is, wait on those logs (no polling) until data comes, the max wait passes, or `interrupt()`.
 * Metadata is asked again when the supervisor publishes a new version (partitions added,
 * topics deleted, a broker lost), when a log is fenced or closed, and when it is older than
 * `metadataMaxAgeMs`.
 */
export class FetchSession {
  readonly #options: FetchSessionOptions
  /** What the group gave this consumer; fetchers exist for those whose log is known. */
  readonly #assigned = new Map<string, AssignedPartition>()
  readonly #fetchers = new Map<string, PartitionFetcher>()
  #refreshedAt = Number.NEGATIVE_INFINITY
  #refreshDue = false
  #version = 0
  #changes: Int32Array | undefined
  #interrupts = 0
  #closed = false
  #wakeIdle: (() => void) | undefined
  // The partition the next round reads first, so that a byte budget spent early is fair.
  #rotation = 0

  constructor(options: FetchSessionOptions) {
    this.#options = options
  }

  /** Adds partitions, and positions them at once (so "latest" means now). */
  async assign(partitions: readonly AssignedPartition[]): Promise<void> {
    for (const assigned of partitions) {
      this.#assigned.set(partitionKey(assigned.topic, assigned.partition), assigned)
    }
    if (partitions.length > 0) await this.#refresh()
  }

  /** Takes partitions away; returns where each was, to start from there if it comes back. */
  revoke(
    partitions: readonly { readonly topic: string; readonly partition: number }[],
  ): Map<string, SeekTarget> {
    const positions = new Map<string, SeekTarget>()
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition)
      this.#assigned.delete(key)
      const fetcher = this.#fetchers.get(key)
      if (fetcher !== undefined) positions.set(key, fetcher.position)
      this.#fetchers.delete(key)
    }
    this.interrupt()
    return positions
  }

  /** Assigned partitions by topic, partitions in order. */
  assignment(): Map<string, number[]> {
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of this.#assigned.values()) {
      const partitions = byTopic.get(topic)
      if (partitions === undefined) byTopic.set(topic, [partition])
      else partitions.push(partition)
    }
    for (const partitions of byTopic.values()) partitions.sort((a, b) => a - b)
    return byTopic
  }

  isAssigned(topic: string, partition: number): boolean {
    return this.#assigned.has(partitionKey(topic, partition))
  }

  fetcher(topic: string, partition: number): PartitionFetcher | undefined {
    return this.#fetchers.get(partitionKey(topic, partition))
  }

  /** Every partition's position, to start the next session where this one left off. */
  positions(): Map<string, SeekTarget> {
    const positions = new Map<string, SeekTarget>()
    for (const [key, fetcher] of this.#fetchers) positions.set(key, fetcher.position)
    return positions
  }

  /**
   * One fetch round: what is readable now; when nothing is, waits (up to the max wait, or an
   * interrupt) and reads once more. Empty when nothing came.
   */
  async fetch(zeroCopy: boolean): Promise<FetchedPartition[]> {
    if (this.#closed) return []
    // An interrupt during the round (while metadata is asked, say) must end its wait too.
    const interruptsAtStart = this.#interrupts
    const now = this.#options.clock.now()
    const published =
      this.#changes !== undefined && Atomics.load(this.#changes, 0) !== this.#version
    if (published) await this.#refresh()
    else if (this.#refreshDue || now - this.#refreshedAt >= this.#options.metadataMaxAgeMs) {
      // A broken log is asked about again, but not in a tight loop.
      if (now - this.#refreshedAt >= this.#options.refreshBackoffMs) await this.#refresh()
    }
    const fetched = this.#readAll(zeroCopy)
    if (fetched.length > 0 || this.#closed) return fetched
    await this.#waitForData(interruptsAtStart)
    return this.#closed ? [] : this.#readAll(zeroCopy)
  }

  /** Ends the current wait at once: a seek, a resume or a stop wants the loop to look again. */
  interrupt(): void {
    this.#interrupts++
    // Ends the race in #waitForData, which then wakes the log waits it started.
    this.#wakeIdle?.()
  }

  close(): void {
    this.#closed = true
    this.interrupt()
  }

  #readAll(zeroCopy: boolean): FetchedPartition[] {
    const fetchers = [...this.#fetchers.values()]
    const fetched: FetchedPartition[] = []
    let budget = this.#options.maxBytes
    const count = fetchers.length
    const first = count === 0 ? 0 : this.#rotation++ % count
    for (let i = 0; i < count && budget > 0; i++) {
      const fetcher = fetchers[(first + i) % count] as PartitionFetcher
      if (this.#options.isPaused(fetcher.topic, fetcher.partition)) continue
      let result: FetchedPartition | null
      try {
        result = fetcher.read(Math.min(this.#options.maxBytesPerPartition, budget), zeroCopy)
      } catch (error) {
        if (!isStaleLog(error)) throw error
        this.#refreshDue = true
        continue
      }
      if (result === null) continue
      fetched.push(result)
      for (const batch of result.batches) budget -= batch.length
    }
    return fetched
  }

  async #waitForData(interruptsAtStart: number): Promise<void> {
    const { clock, maxWaitTimeMs, isPaused } = this.#options
    const fetchers = [...this.#fetchers.values()]
    if (fetchers.some((fetcher) => !fetcher.available)) this.#refreshDue = true
    const waiting = fetchers.filter(
      (fetcher) => fetcher.available && !isPaused(fetcher.topic, fetcher.partition),
    )
    let settled = false
    const interrupted = () => settled || this.#interrupts !== interruptsAtStart
    const waits = waiting.map((fetcher) =>
      fetcher.reader.waitForDataOr(fetcher.position, maxWaitTimeMs, interrupted),
    )
    // With no log to wait on (all paused, or none usable), or a metadata ask to make soon,
    // a timer on the clock bounds the wait instead.
    const idleMs = this.#refreshDue
      ? this.#options.refreshBackoffMs
      : waits.length === 0
        ? maxWaitTimeMs
        : undefined
    let timer: Timer | undefined
    const idle = new Promise<void>((resolve) => {
      this.#wakeIdle = resolve
      if (idleMs !== undefined) timer = clock.schedule(idleMs, resolve)
    })
    try {
      if (!interrupted()) await Promise.race([idle, ...waits])
    } finally {
      settled = true
      this.#wakeIdle = undefined
      if (timer !== undefined) clock.cancel(timer)
      for (const fetcher of waiting) fetcher.reader.interrupt()
      // Each wait holds a timer until it returns: let them all finish before going on.
      await Promise.all(waits)
    }
  }

  async #refresh(): Promise<void> {
    const { supervisor, clock } = this.#options
    this.#refreshedAt = clock.now()
    this.#refreshDue = false
    const topics = [...new Set([...this.#assigned.values()].map(({ topic }) => topic))]
    const metadata = await askTopicLogs(supervisor, topics)
    if (this.#closed) return
    this.#version = metadata.version
    this.#changes = metadata.changes
    for (const topic of metadata.missing) {
      for (const [key, fetcher] of this.#fetchers) {
        if (fetcher.topic === topic) this.#fetchers.delete(key)
      }
    }
    for (const { topic, partitions } of metadata.topics) {
      for (const { partition, log } of partitions) {
        const key = partitionKey(topic, partition)
        const assigned = this.#assigned.get(key)
        if (assigned === undefined) continue
        const existing = this.#fetchers.get(key)
        if (existing?.reader.sameLog(log)) continue
        const reader = InterruptibleLogReader.open(log)
        if (existing !== undefined) existing.replaceLog(reader)
        else {
          this.#fetchers.set(
            key,
            new PartitionFetcher(topic, partition, reader, assigned.policy, assigned.start),
          )
        }
      }
    }
    for (const fetcher of this.#fetchers.values()) {
      if (!fetcher.available) this.#refreshDue = true
    }
  }
}
