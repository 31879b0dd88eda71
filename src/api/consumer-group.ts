import {
  type AssignedPartition,
  type FetchSession,
  partitionKey,
} from '../actors/consumer/fetch-session.js'
import type { ResetPolicy, SeekTarget } from '../actors/consumer/partition-fetcher.js'
import {
  type OffsetToCommit,
  parseFetchedOffsets,
} from '../actors/coordinator/coordinator-protocol.js'
import { isInternalTopic } from '../actors/internal-topics.js'
import type { Clock } from '../runtime/clock/clock.js'
import { KafkaProtocolError } from '../runtime/errors/samsa-error.js'
import { waitForWordChange } from '../runtime/log/wait.js'
import {
  type Assignment,
  type Generation,
  GroupMembership,
  type MembershipOptions,
} from './group-membership.js'
import type { RoundLock } from './round-lock.js'

/** What the consumer subscribed to: topics by name, and patterns matched against every topic. */
export interface Subscriptions {
  readonly names: ReadonlyMap<string, ResetPolicy>
  readonly patterns: readonly { readonly pattern: RegExp; readonly policy: ResetPolicy }[]
}

/** What the group's membership needs, and what running the group beside a fetch session adds. */
export interface ConsumerGroupOptions extends MembershipOptions {
  readonly clock: Clock
  readonly subscriptions: Subscriptions
  readonly session: FetchSession
  readonly lock: RoundLock
  readonly autoCommit: boolean
  readonly autoCommitIntervalMs: number | null
  readonly autoCommitThreshold: number | null
  /** Seeks made before their partition was assigned: applied when it is. */
  readonly pendingSeeks: Map<string, SeekTarget>
  readonly emit: (type: GroupEventName, payload: unknown) => void
  /** The group cannot go on (a non-retriable error): the consumer crashes its run. */
  readonly crash: (error: unknown) => void
}

export type GroupEventName =
  | 'consumer.group_join'
  | 'consumer.heartbeat'
  | 'consumer.commit_offsets'
  | 'consumer.rebalancing'

interface Resolved {
  readonly topic: string
  readonly partition: number
  /** The next offset to read: what a commit stores. Moved in place as records are handled. */
  offset: number
}

const rejoinErrors = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION'])
const fencedErrors = new Set(['UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'])

function kafkaType(error: unknown): string | undefined {
  return error instanceof KafkaProtocolError ? error.type : undefined
}

function difference(from: Assignment, without: Assignment): { topic: string; partition: number }[] {
  const result: { topic: string; partition: number }[] = []
  for (const [topic, partitions] of from) {
    const kept = new Set(without.get(topic) ?? [])
    for (const partition of partitions) if (!kept.has(partition)) result.push({ topic, partition })
  }
  return result
}

/**
 * A consumer's part in its group while it runs: joins, keeps the fetch session's partitions
 * to what the group assigned (revoking before a rejoin with eager assigners, only what moves
 * with cooperative ones), heartbeats, rejoins when the coordinator says so or the subscription
 * matches different topics, and commits what the consumer resolved.
 */
export class ConsumerGroup {
  readonly #options: ConsumerGroupOptions
  readonly #membership: GroupMembership
  readonly #resolved = new Map<string, Resolved>()
  /** Offsets resolved since the last commit (KafkaJS's count for `autoCommitThreshold`). */
  #resolvedCount = 0
  #running = false
  #stopped = false
  /** A join under way: it waits for every member, so stopping does not wait for it. */
  #joining = false
  #loop: Promise<void> | undefined
  #wakeLoop: (() => void) | undefined
  #lastCommitAt: number
  /** Topics with their partition counts at the last join: a change means rejoin. */
  #subscribedShape = ''
  #metadataVersion = 0
  #changes: Int32Array | undefined
  #rejoinWanted = false

  constructor(options: ConsumerGroupOptions) {
    this.#options = options
    this.#lastCommitAt = options.clock.now()
    this.#membership = new GroupMembership(options)
  }

  get memberId(): string {
    return this.#membership.memberId
  }

  get generationId(): number {
    return this.#membership.generationId
  }

  /** Joins the group (the first assignment is in the session when this resolves), then heartbeats. */
  async start(): Promise<void> {
    this.#running = true
    await this.#rebalance()
    this.#loop = this.#heartbeats()
  }

  /**
   * Stops heartbeating, commits what was resolved (with auto-commit) and leaves the group. A
   * join under way is not waited for: it lasts until every member has joined (a dead one for
   * its whole session), and the LeaveGroup ends it at the coordinator anyway.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#running = false
    this.#wakeLoop?.()
    if (!this.#joining) await this.#loop
    if (this.#options.autoCommit) await this.commitResolved().catch(() => {})
    await this.#membership.leave()
  }

  /**
   * Where the consumer says, record by record, that it handled everything before an offset of
   * this partition. One per batch: the record path pays no key or object per record.
   */
  resolverFor(topic: string, partition: number): (offset: number) => void {
    const key = partitionKey(topic, partition)
    return (offset) => {
      const entry = this.#resolved.get(key)
      if (entry === undefined) {
        this.#resolvedCount++
        this.#resolved.set(key, { topic, partition, offset })
        return
      }
      this.#resolvedCount += Math.max(0, offset - entry.offset)
      entry.offset = offset
    }
  }

  /** Forgets a resolved offset (a seek moved the partition). */
  forget(topic: string, partition: number): void {
    this.#resolved.delete(partitionKey(topic, partition))
  }

  uncommitted(): Resolved[] {
    return [...this.#resolved.values()]
  }

  /**
   * KafkaJS's auto-commit rule: after a batch, or sooner past the interval or threshold. A
   * commit when one is due; nothing (not even a promise to await) when none is, as after most
   * records.
   */
  commitIfDue(batchDone: boolean): Promise<void> | undefined {
    if (!this.#options.autoCommit || this.#resolved.size === 0) return undefined
    const { autoCommitIntervalMs, autoCommitThreshold, clock } = this.#options
    const due =
      batchDone ||
      (autoCommitIntervalMs !== null && clock.now() - this.#lastCommitAt >= autoCommitIntervalMs) ||
      (autoCommitThreshold !== null && this.#resolvedCount >= autoCommitThreshold)
    if (!due) return undefined
    return this.commitResolved().catch((error: unknown) => {
      // A member fenced mid-batch rejoins; what it did not commit is consumed again elsewhere.
      if (!this.#rejoinable(error)) throw error
    })
  }

  /** Commits every resolved offset. */
  async commitResolved(): Promise<void> {
    const offsets = [...this.#resolved.values()]
    await this.commit(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset, metadata: null })),
    )
  }

  /** Commits these offsets for this member's generation (ILLEGAL_GENERATION once fenced). */
  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return
    await this.#membership.commit(offsets)
    this.#lastCommitAt = this.#options.clock.now()
    this.#resolvedCount = 0
    for (const { topic, partition, offset } of offsets) {
      const key = partitionKey(topic, partition)
      if (this.#resolved.get(key)?.offset === offset) this.#resolved.delete(key)
    }
    const byTopic = new Map<string, { partition: string; offset: string }[]>()
    for (const { topic, partition, offset } of offsets) {
      const list = byTopic.get(topic) ?? []
      list.push({ partition: String(partition), offset: String(offset) })
      byTopic.set(topic, list)
    }
    this.#options.emit('consumer.commit_offsets', {
      groupId: this.#options.groupId,
      memberId: this.memberId,
      groupGenerationId: this.generationId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    })
  }

  #rejoinable(error: unknown): boolean {
    const type = kafkaType(error)
    if (type === undefined || !(rejoinErrors.has(type) || fencedErrors.has(type))) return false
    if (fencedErrors.has(type)) this.#membership.reset()
    this.#rejoinWanted = true
    this.#wakeLoop?.()
    return true
  }

  async #heartbeats(): Promise<void> {
    while (this.#running) {
      try {
        if (!this.#rejoinWanted) await this.#heartbeatOrChange()
        if (!this.#running) return
        if (this.#rejoinWanted || (await this.#subscriptionChanged())) await this.#rebalance()
      } catch (error) {
        if (!this.#running) return
        if (this.#rejoinable(error)) continue
        this.#running = false
        this.#options.crash(error)
        return
      }
    }
  }

  /** Waits out one heartbeat, a metadata change, or a wake-up; a heartbeat's refusal is thrown. */
  async #heartbeatOrChange(): Promise<void> {
    const beat = this.#membership.heartbeat()
    let outcome: 'beat' | 'change' | 'woken'
    const woken = new Promise<'woken'>((resolve) => {
      this.#wakeLoop = () => resolve('woken')
    })
    const changes = this.#changes
    const changed =
      changes === undefined
        ? new Promise<never>(() => {})
        : waitForWordChange(
            changes,
            0,
            this.#metadataVersion,
            this.#options.heartbeatIntervalMs,
            this.#options.clock,
          ).then(() => 'change' as const)
    try {
      outcome = await Promise.race([beat.then(() => 'beat' as const), changed, woken])
    } finally {
      this.#wakeLoop = undefined
    }
    if (outcome === 'beat') {
      this.#options.emit('consumer.heartbeat', {
        groupId: this.#options.groupId,
        memberId: this.memberId,
        groupGenerationId: this.generationId,
      })
      return
    }
    // The heartbeat is still parked: whatever it ends with is learned by the next one.
    beat.catch((error: unknown) => {
      if (this.#running) this.#rejoinable(error)
    })
  }

  /** Topics the subscription matches now, with their partition counts. */
  async #subscribedTopics(): Promise<{ topics: string[]; shape: string }> {
    const { names, patterns } = this.#options.subscriptions
    const metadata = await this.#options.metadata.latest()
    this.#metadataVersion = metadata.version
    if (this.#changes?.buffer !== metadata.changes) {
      this.#changes = new Int32Array(metadata.changes, 0, 1)
    }
    const topics = metadata.topics
      .filter(
        ({ topic }) =>
          names.has(topic) ||
          (!isInternalTopic(topic) && patterns.some(({ pattern }) => matches(pattern, topic))),
      )
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
    return {
      topics: topics.map(({ topic }) => topic),
      shape: topics.map(({ topic, partitions }) => `${topic}:${partitions.length}`).join(','),
    }
  }

  async #subscriptionChanged(): Promise<boolean> {
    if (this.#changes === undefined || Atomics.load(this.#changes, 0) === this.#metadataVersion) {
      return false
    }
    const { shape } = await this.#subscribedTopics()
    return shape !== this.#subscribedShape
  }

  /** Rejoins until a generation leaves nothing to revoke (cooperative assigners take two rounds). */
  async #rebalance(): Promise<void> {
    const { session, emit, groupId } = this.#options
    for (;;) {
      this.#rejoinWanted = false
      const owned = session.assignment()
      if (!this.#membership.cooperative && owned.size > 0) {
        await this.#revoke(difference(owned, new Map()))
      }
      emit('consumer.rebalancing', { groupId, memberId: this.memberId })
      const { topics, shape } = await this.#subscribedTopics()
      this.#subscribedShape = shape
      this.#joining = true
      const generation = await this.#membership
        .join(topics, session.assignment(), () => this.#options.clock.now())
        .finally(() => {
          this.#joining = false
        })
      if (!this.#running) return
      const current = session.assignment()
      const revoked = difference(current, generation.assignment)
      if (revoked.length > 0) await this.#revoke(revoked)
      const added = difference(generation.assignment, current)
      if (added.length > 0) await this.#assign(added)
      this.#announce(generation)
      if (!(this.#membership.cooperative && revoked.length > 0)) return
    }
  }

  #announce(generation: Generation): void {
    this.#options.emit('consumer.group_join', {
      duration: generation.durationMs,
      groupId: this.#options.groupId,
      isLeader: generation.isLeader,
      leaderId: generation.leaderId,
      groupProtocol: generation.assigner.name,
      memberId: generation.memberId,
      memberAssignment: Object.fromEntries(this.#options.session.assignment()),
      // samsa's: which generation this is, as COMMIT_OFFSETS and HEARTBEAT say it.
      groupGenerationId: generation.generationId,
    })
  }

  /** Gives partitions up between fetch rounds, committing what was resolved in them first. */
  async #revoke(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const { session, lock } = this.#options
    session.interrupt()
    await lock.run(async () => {
      if (this.#options.autoCommit) {
        const offsets = partitions.flatMap(({ topic, partition }) => {
          const resolved = this.#resolved.get(partitionKey(topic, partition))
          return resolved === undefined ? [] : [{ ...resolved, metadata: null }]
        })
        await this.commit(offsets).catch((error: unknown) => {
          if (!this.#rejoinable(error)) throw error
        })
      }
      for (const { topic, partition } of partitions)
        this.#resolved.delete(partitionKey(topic, partition))
      session.revoke(partitions)
    })
  }

  /** Takes partitions on, each from its committed offset (or a seek, or the reset policy). */
  async #assign(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const { session, lock, coordinator, groupId, subscriptions, pendingSeeks } = this.#options
    const topics = [...new Set(partitions.map(({ topic }) => topic))]
    const committed = await coordinator.request(
      { type: 'offset-fetch', groupId, topics },
      parseFetchedOffsets,
    )
    const committedAt = new Map(
      committed.map((entry) => [partitionKey(entry.topic, entry.partition), entry.offset]),
    )
    const assigned: AssignedPartition[] = partitions.map(({ topic, partition }) => {
      const key = partitionKey(topic, partition)
      const policy = policyOf(subscriptions, topic)
      const offset = committedAt.get(key)
      const seek = pendingSeeks.get(key)
      pendingSeeks.delete(key)
      // Admin resets store -2 / -1: the consumer applies its own policy (KafkaJS).
      const start: SeekTarget = seek ?? (offset !== undefined && offset >= 0 ? offset : policy)
      return { topic, partition, start, policy }
    })
    session.interrupt()
    await lock.run(() => session.assign(assigned))
  }
}

function matches(pattern: RegExp, topic: string): boolean {
  pattern.lastIndex = 0
  return pattern.test(topic)
}

function policyOf(subscriptions: Subscriptions, topic: string): ResetPolicy {
  return (
    subscriptions.names.get(topic) ??
    subscriptions.patterns.find(({ pattern }) => matches(pattern, topic))?.policy ??
    'latest'
  )
}
