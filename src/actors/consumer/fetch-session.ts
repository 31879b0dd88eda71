import type { Clock, Timer } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { MetadataCache } from '../client/metadata-cache.js'
import type { MetadataSnapshot } from '../supervisor/supervisor-protocol.js'
import { type FetchRequests, type FetchRuling, ruleFetchRound } from './fetch-rules.js'
import {
  type FetchedPartition,
  InterruptibleLogReader,
  PartitionFetcher,
  type ReadIsolation,
  type ResetPolicy,
  type SeekTarget,
} from './partition-fetcher.js'

export interface FetchSessionOptions {
  readonly metadata: MetadataCache
  readonly clock: Clock
  readonly isPaused: (topic: string, partition: number) => boolean
  /** Longest wait for data in one fetch (KafkaJS's `maxWaitTimeInMs`). */
  readonly maxWaitTimeMs: number
  /** Byte budget of one fetch across partitions; each readable partition gives one batch at least. */
  readonly maxBytes: number
  readonly maxBytesPerPartition: number
  /** Metadata older than this is asked again (KafkaJS's `metadataMaxAge`). */
  readonly metadataMaxAgeMs: number
  /** Read committed (KafkaJS's default) or uncommitted records. Default read committed. */
  readonly isolation?: ReadIsolation
  /** Least time between metadata asks while a partition's log is unusable. */
  readonly refreshBackoffMs: number
  /** Request rules and the request log, which see each round's reads as Fetch requests. */
  readonly requests?: FetchRequests
}

/** A partition given to the session: where it starts, and where it goes when out of range. */
export interface AssignedPartition {
  readonly topic: string
  readonly partition: number
  readonly start: SeekTarget
  readonly policy: ResetPolicy
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
 * The connection's metadata is followed as the supervisor publishes new versions (partitions
 * added, topics deleted, a broker lost), and asked for again when a log is fenced or closed and
 * when it is older than `metadataMaxAgeMs`.
 */
export class FetchSession {
  readonly #options: FetchSessionOptions
  /** What the group gave this consumer; fetchers exist for those whose log is known. */
  readonly #assigned = new Map<string, AssignedPartition>()
  readonly #fetchers = new Map<string, PartitionFetcher>()
  /** The broker leading each fetched partition, as the metadata last followed says. */
  readonly #leaders = new WeakMap<PartitionFetcher, number>()
  /** The metadata the fetchers were last matched against. */
  #applied: MetadataSnapshot | undefined
  /** When this session last asked for metadata itself, to space out asks about broken logs. */
  #askedAt = Number.NEGATIVE_INFINITY
  #refreshDue = false
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
    if (partitions.length > 0) this.#follow(await this.#options.metadata.latest())
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
    const { metadata, clock, metadataMaxAgeMs, refreshBackoffMs } = this.#options
    const now = clock.now()
    const current = metadata.current()
    const stale = this.#refreshDue || now - metadata.refreshedAt >= metadataMaxAgeMs
    // A broken log is asked about again, but not in a tight loop.
    if (stale && now - this.#askedAt >= refreshBackoffMs) {
      this.#askedAt = now
      this.#refreshDue = false
      this.#follow(await metadata.refresh())
    } else if (current !== this.#applied) {
      this.#follow(current ?? (await metadata.latest()))
    }
    const requests = this.#options.requests
    if (requests?.dispatch.active === true) return this.#ruledRound(zeroCopy, requests)
    const fetched = this.#readAll(zeroCopy)
    if (fetched.length > 0 || this.#closed) return fetched
    await this.#waitForData(interruptsAtStart)
    return this.#closed ? [] : this.#readAll(zeroCopy)
  }

  /**
   * A round under request rules or the request log: each partition read is judged as a Fetch
   * would be. An error fails the round as a read's own error does (a stale leader makes the
   * partition wait for fresh metadata); a delayed or held read waits; a dropped one gives
   * nothing and, as an unanswered fetch, ends the round only after the max wait.
   */
  async #ruledRound(zeroCopy: boolean, requests: FetchRequests): Promise<FetchedPartition[]> {
    const interruptsAtStart = this.#interrupts
    const reads = [...this.#fetchers.values()]
      .filter((fetcher) => !this.#options.isPaused(fetcher.topic, fetcher.partition))
      .map((fetcher) => ({ fetcher, leader: this.#leaders.get(fetcher) ?? -1 }))
    const ruling = ruleFetchRound(reads, requests, this.#options.clock)
    try {
      for (const error of ruling.errors) {
        if (!isStaleLog(error)) throw error
        this.#refreshDue = true
      }
      if (ruling.waits.length > 0) await this.#waitOrInterrupt(Promise.all(ruling.waits))
      const fetched = this.#readAll(zeroCopy, ruling)
      if (fetched.length > 0 || this.#closed) return fetched
      await this.#waitForData(interruptsAtStart, ruling)
      return this.#closed ? [] : this.#readAll(zeroCopy, ruling)
    } finally {
      ruling.finish()
    }
  }

  /** Waits for `work`, or until an interrupt (a stop, a seek) ends the wait. */
  async #waitOrInterrupt(work: Promise<unknown>): Promise<void> {
    const interrupted = new Promise<void>((resolve) => {
      this.#wakeIdle = resolve
    })
    try {
      await Promise.race([work, interrupted])
    } finally {
      this.#wakeIdle = undefined
    }
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

  #readAll(zeroCopy: boolean, ruling?: FetchRuling): FetchedPartition[] {
    const fetchers = [...this.#fetchers.values()]
    const fetched: FetchedPartition[] = []
    let budget = this.#options.maxBytes
    const count = fetchers.length
    const first = count === 0 ? 0 : this.#rotation++ % count
    for (let i = 0; i < count && budget > 0; i++) {
      const fetcher = fetchers[(first + i) % count] as PartitionFetcher
      if (this.#options.isPaused(fetcher.topic, fetcher.partition)) continue
      if (ruling?.skipped.has(fetcher)) continue
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

  async #waitForData(interruptsAtStart: number, ruling?: FetchRuling): Promise<void> {
    const { clock, maxWaitTimeMs, isPaused } = this.#options
    const fetchers = [...this.#fetchers.values()]
    if (fetchers.some((fetcher) => !fetcher.available)) this.#refreshDue = true
    // A read a rule skipped is not waited on: its data is there, and the wait would end at once.
    const waiting = fetchers.filter(
      (fetcher) =>
        fetcher.available &&
        !isPaused(fetcher.topic, fetcher.partition) &&
        ruling?.skipped.has(fetcher) !== true,
    )
    let settled = false
    const interrupted = () => settled || this.#interrupts !== interruptsAtStart
    const waits = waiting.map((fetcher) =>
      fetcher.reader.waitForDataOr(
        fetcher.position,
        maxWaitTimeMs,
        interrupted,
        clock,
        fetcher.readLimit,
      ),
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

  /** Matches the fetchers to `snapshot`: a new leader's log, a topic gone. */
  #follow(snapshot: MetadataSnapshot): void {
    if (this.#closed) return
    this.#applied = snapshot
    const topics = new Map(snapshot.topics.map((entry) => [entry.topic, entry.partitions]))
    for (const [key, fetcher] of this.#fetchers) {
      if (!topics.has(fetcher.topic)) this.#fetchers.delete(key)
    }
    for (const [key, assigned] of this.#assigned) {
      const partitions = topics.get(assigned.topic)
      if (partitions === undefined) continue
      const { topic, partition } = assigned
      const indexed = partitions[partition]
      const found =
        indexed?.partition === partition
          ? indexed
          : partitions.find((entry) => entry.partition === partition)
      if (found === undefined) continue
      const existing = this.#fetchers.get(key)
      if (existing !== undefined) this.#leaders.set(existing, found.leader)
      if (existing?.reader.sameLog(found.log)) continue
      const reader = InterruptibleLogReader.open(found.log)
      if (existing !== undefined) existing.replaceLog(reader)
      else {
        const fetcher = new PartitionFetcher(
          topic,
          partition,
          reader,
          assigned.policy,
          assigned.start,
          this.#options.isolation ?? 'read-committed',
        )
        this.#fetchers.set(key, fetcher)
        this.#leaders.set(fetcher, found.leader)
      }
    }
    for (const fetcher of this.#fetchers.values()) {
      if (!fetcher.available) this.#refreshDue = true
    }
  }
}
