import type { MetadataCache } from '../actors/client/metadata-cache.js'
import type { CoordinatorClient } from '../actors/consumer/coordinator-client.js'
import {
  type OffsetToCommit,
  parseJoinResult,
  parseSyncResult,
  parseTrue,
} from '../actors/coordinator/coordinator-protocol.js'
import type { JoinResult } from '../actors/coordinator/group.js'
import { KafkaProtocolError } from '../runtime/errors/samsa-error.js'
import { AssignerProtocol } from './assigners/assigner-protocol.js'
import type { Assigner } from './assigners/partition-assigner.js'

/** Partitions by topic. */
export type Assignment = ReadonlyMap<string, readonly number[]>

export interface MembershipOptions {
  readonly coordinator: CoordinatorClient
  readonly metadata: MetadataCache
  readonly groupId: string
  readonly clientId: string
  readonly groupInstanceId: string | undefined
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly assigners: readonly Assigner[]
  /** Where the leader's assigners read partition counts (KafkaJS's `cluster`), refreshed before each assignment. */
  readonly partitionCounts: Map<string, number>
}

export interface Generation {
  readonly generationId: number
  readonly memberId: string
  readonly leaderId: string
  readonly isLeader: boolean
  readonly assigner: Assigner
  readonly assignment: Assignment
  readonly durationMs: number
}

/** Requests wait past their own deadline by this much, so the coordinator's answer wins. */
const REPLY_MARGIN_MS = 5_000
const MAX_JOIN_ATTEMPTS = 20

function isKafkaError(error: unknown, ...types: KafkaProtocolError['type'][]): boolean {
  return error instanceof KafkaProtocolError && types.includes(error.type)
}

/**
 * One consumer's membership of its group, as Kafka's client runs it: JoinGroup, then SyncGroup
 * (the leader runs the agreed assigner), heartbeats, commits and LeaveGroup. Knows nothing of
 * fetching; the consumer decides what to do with each assignment.
 */
export class GroupMembership {
  readonly #options: MembershipOptions
  #memberId = ''
  #generationId = -1
  #assigner: Assigner | undefined
  /** Set by `leave`: a join under way gives up rather than join again as a new member. */
  #leaving = false

  constructor(options: MembershipOptions) {
    this.#options = options
  }

  get memberId(): string {
    return this.#memberId
  }

  get generationId(): number {
    return this.#generationId
  }

  /** Whether the group's agreed assigner moves partitions cooperatively (default: eager). */
  get cooperative(): boolean {
    return this.#assigner?.rebalanceProtocol === 'cooperative'
  }

  /** Joins (again) and syncs until a generation is complete; `owned` goes to cooperative assigners. */
  async join(topics: readonly string[], owned: Assignment, now: () => number): Promise<Generation> {
    const startedAt = now()
    const ownedPartitions = [...owned].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions],
    }))
    for (let attempt = 1; ; attempt++) {
      let joined: JoinResult
      try {
        joined = await this.#request(
          {
            type: 'join-group',
            groupId: this.#options.groupId,
            memberId: this.#memberId,
            groupInstanceId: this.#options.groupInstanceId,
            clientId: this.#options.clientId,
            sessionTimeoutMs: this.#options.sessionTimeoutMs,
            rebalanceTimeoutMs: this.#options.rebalanceTimeoutMs,
            protocols: this.#options.assigners.map((assigner) => {
              const { name, metadata } = assigner.protocol({ topics: [...topics], ownedPartitions })
              return { name, metadata }
            }),
          },
          parseJoinResult,
          this.#options.rebalanceTimeoutMs + REPLY_MARGIN_MS,
        )
      } catch (error) {
        if (this.#rejoins(attempt) && isKafkaError(error, 'UNKNOWN_MEMBER_ID')) {
          // The coordinator forgot this member (its session ran out): join as a new one.
          this.#memberId = ''
          continue
        }
        throw error
      }
      this.#memberId = joined.memberId
      const assigner = this.#options.assigners.find(({ name }) => name === joined.protocolName)
      if (assigner === undefined) {
        throw new KafkaProtocolError(
          'INCONSISTENT_GROUP_PROTOCOL',
          `the group chose assigner '${joined.protocolName}', which this consumer does not have`,
        )
      }
      let assignment: Uint8Array
      try {
        const assignments =
          joined.leaderId === joined.memberId ? await this.#assign(assigner, joined) : []
        assignment = (
          await this.#request(
            {
              type: 'sync-group',
              groupId: this.#options.groupId,
              memberId: joined.memberId,
              generationId: joined.generationId,
              assignments,
            },
            parseSyncResult,
            this.#options.rebalanceTimeoutMs + REPLY_MARGIN_MS,
          )
        ).assignment
      } catch (error) {
        if (
          this.#rejoins(attempt) &&
          isKafkaError(error, 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION')
        ) {
          continue
        }
        if (this.#rejoins(attempt) && isKafkaError(error, 'UNKNOWN_MEMBER_ID')) {
          this.#memberId = ''
          continue
        }
        throw error
      }
      this.#generationId = joined.generationId
      this.#assigner = assigner
      const decoded = AssignerProtocol.MemberAssignment.decode(Buffer.from(assignment))
      const byTopic = new Map<string, number[]>()
      for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {})) {
        byTopic.set(
          topic,
          [...partitions].sort((a, b) => a - b),
        )
      }
      return {
        generationId: joined.generationId,
        memberId: joined.memberId,
        leaderId: joined.leaderId,
        isLeader: joined.leaderId === joined.memberId,
        assigner,
        assignment: byTopic,
        durationMs: now() - startedAt,
      }
    }
  }

  /**
   * One heartbeat, parked at the coordinator for the heartbeat interval: resolves when it
   * passed, rejects (REBALANCE_IN_PROGRESS and the like) the moment the member must rejoin.
   */
  heartbeat(): Promise<true> {
    return this.#request(
      {
        type: 'heartbeat',
        groupId: this.#options.groupId,
        memberId: this.#memberId,
        generationId: this.#generationId,
        waitMs: this.#options.heartbeatIntervalMs,
      },
      parseTrue,
      this.#options.heartbeatIntervalMs + REPLY_MARGIN_MS,
    )
  }

  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return
    await this.#request(
      {
        type: 'offset-commit',
        groupId: this.#options.groupId,
        memberId: this.#memberId,
        generationId: this.#generationId,
        offsets,
      },
      parseTrue,
    )
  }

  /** Leaves at once, so the others rebalance now (a static member stays: it means to come back). */
  async leave(): Promise<void> {
    this.#leaving = true
    const memberId = this.#memberId
    this.#memberId = ''
    this.#generationId = -1
    if (memberId === '' || this.#options.groupInstanceId !== undefined) return
    await this.#request(
      { type: 'leave-group', groupId: this.#options.groupId, memberId, groupInstanceId: undefined },
      parseTrue,
    ).catch(() => {})
  }

  #rejoins(attempt: number): boolean {
    return attempt < MAX_JOIN_ATTEMPTS && !this.#leaving
  }

  /** Forgets the generation after the coordinator fenced this member. */
  reset(): void {
    this.#memberId = ''
    this.#generationId = -1
  }

  #request<T>(
    message: Parameters<CoordinatorClient['request']>[0],
    parse: (value: unknown) => T,
    timeoutMs?: number,
  ): Promise<T> {
    return this.#options.coordinator.request(message, parse, timeoutMs)
  }

  /** The leader's part: run the agreed assigner over every member's subscription. */
  async #assign(
    assigner: Assigner,
    joined: JoinResult,
  ): Promise<{ memberId: string; assignment: Uint8Array }[]> {
    const members = joined.members.map(({ memberId, metadata }) => ({
      memberId,
      memberMetadata: Buffer.from(metadata),
    }))
    const topics = new Set<string>()
    for (const { memberMetadata } of members) {
      for (const topic of AssignerProtocol.MemberMetadata.decode(memberMetadata).topics)
        topics.add(topic)
    }
    const metadata = await this.#options.metadata.topics([...topics])
    const counts = this.#options.partitionCounts
    counts.clear()
    for (const { topic, partitions } of metadata.topics) counts.set(topic, partitions.length)
    const assigned = await assigner.assign({
      members,
      topics: [...topics].filter((topic) => counts.has(topic)),
    })
    return assigned.map(({ memberId, memberAssignment }) => ({
      memberId,
      assignment: new Uint8Array(memberAssignment),
    }))
  }
}
