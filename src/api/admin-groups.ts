import { allCoordinators, CoordinatorClient } from '../actors/consumer/coordinator-client.js'
import {
  type DescribedGroup,
  type FetchedOffset,
  type OffsetToCommit,
  parseDescribedGroup,
  parseFetchedOffsets,
  parseListedGroups,
  parseTrue,
} from '../actors/coordinator/coordinator-protocol.js'
import type { MetadataSnapshot } from '../actors/supervisor/supervisor-protocol.js'
import type { PartitionOffsets } from './admin.js'
import type { ClusterConnection } from './cluster.js'
import type { GroupDescription } from './consumer.js'
import { describe, validPartition } from './consumer-config.js'
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js'
import {
  requireArray,
  requireObject,
  validateGroupId,
  validateTopicName,
  validateTopicNames,
} from './validation.js'

/** KafkaJS's `fetchOffsets` answer, per topic. */
export interface TopicOffsets {
  readonly topic: string
  readonly partitions: readonly {
    readonly partition: number
    readonly offset: string
    readonly metadata: string | null
  }[]
}

export interface DeletedGroup {
  readonly groupId: string
  readonly errorCode: number
  readonly error?: Error
}

function validOffset(offset: unknown, what: string): number {
  const value = typeof offset === 'string' && /^-?\d+$/.test(offset) ? Number(offset) : offset
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new KafkaJSNonRetriableError(
      `${what} must be an offset of 0 or more, got ${describe(offset)}`,
    )
  }
  return value
}

export function toGroupDescription(described: DescribedGroup): GroupDescription {
  return {
    errorCode: 0,
    groupId: described.groupId,
    members: described.members.map((member) => ({
      clientHost: '/samsa',
      clientId: member.clientId,
      memberId: member.memberId,
      memberAssignment: Buffer.from(member.memberAssignment),
      memberMetadata: Buffer.from(member.memberMetadata),
    })),
    protocol: described.protocol,
    protocolType: described.protocolType,
    state: described.state,
  }
}

/**
 * KafkaJS's admin calls about consumer groups. Each goes to the group's coordinator (found
 * through the controller), ListGroups to every broker's.
 */
export class AdminGroups {
  readonly #connection: ClusterConnection
  readonly #metadata: (topics?: readonly string[]) => Promise<MetadataSnapshot>
  readonly #topicOffsets: (topic: string) => Promise<readonly PartitionOffsets[]>

  constructor(
    connection: ClusterConnection,
    metadata: (topics?: readonly string[]) => Promise<MetadataSnapshot>,
    topicOffsets: (topic: string) => Promise<readonly PartitionOffsets[]>,
  ) {
    this.#connection = connection
    this.#metadata = metadata
    this.#topicOffsets = topicOffsets
  }

  async listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }> {
    const { brokers } = await this.#metadata([])
    return this.#call(async () => {
      const from = this.#connection.linkName
      const coordinators = await allCoordinators(brokers, from)
      const lists = await Promise.all(
        coordinators.map((coordinator) =>
          coordinator.ask({ type: 'list-groups' }, { parseReply: parseListedGroups, from }),
        ),
      )
      const groups = lists.flat().sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
      return { groups }
    })
  }

  async describeGroups(groupIds: readonly string[]): Promise<{ groups: GroupDescription[] }> {
    const ids = requireArray(groupIds, 'groupIds').map(validateGroupId)
    const groups = await Promise.all(ids.map((groupId) => this.#describe(groupId)))
    return { groups: groups.map(toGroupDescription) }
  }

  /**
   * Committed offsets by topic; a partition of a named topic with no commit shows '-1'. With
   * `resolveOffsets`, -2 and -1 become the partition's log start and high watermark, and are
   * stored so (KafkaJS).
   */
  async fetchOffsets(options: {
    readonly groupId: string
    readonly topics?: readonly string[]
    readonly resolveOffsets?: boolean
  }): Promise<TopicOffsets[]> {
    const { groupId, topics, resolveOffsets } = requireObject(options, 'fetchOffsets options')
    const fetched = await this.#fetchOffsets(
      validateGroupId(groupId),
      topics === undefined ? undefined : validateTopicNames(topics, 'topics'),
    )
    if (resolveOffsets !== true) return fetched
    return Promise.all(
      fetched.map(async ({ topic, partitions }) => {
        const bounds = new Map(
          (await this.#topicOffsets(topic)).map((entry) => [entry.partition, entry]),
        )
        const resolved = partitions.map((entry) => {
          const bound = bounds.get(entry.partition)
          const offset =
            entry.offset === '-2' ? bound?.low : entry.offset === '-1' ? bound?.high : entry.offset
          return { ...entry, offset: offset ?? entry.offset }
        })
        await this.setOffsets({ groupId: options.groupId, topic, partitions: resolved })
        return { topic, partitions: resolved }
      }),
    )
  }

  async #fetchOffsets(
    groupId: string,
    topics: readonly string[] | undefined,
  ): Promise<TopicOffsets[]> {
    const committed = await this.#request(groupId, (client) =>
      client.request(
        topics === undefined
          ? { type: 'offset-fetch', groupId }
          : { type: 'offset-fetch', groupId, topics },
        parseFetchedOffsets,
      ),
    )
    const byTopic = new Map<string, FetchedOffset[]>()
    for (const entry of committed) {
      const list = byTopic.get(entry.topic) ?? []
      list.push(entry)
      byTopic.set(entry.topic, list)
    }
    const names = topics ?? [...byTopic.keys()].sort()
    const metadata = topics === undefined ? undefined : await this.#metadata(topics)
    return names.map((topic) => {
      const found = new Map((byTopic.get(topic) ?? []).map((entry) => [entry.partition, entry]))
      const partitionIds = metadata?.topics
        .find((entry) => entry.topic === topic)
        ?.partitions.map((p) => p.partition) ?? [...found.keys()]
      return {
        topic,
        partitions: [...partitionIds]
          .sort((a, b) => a - b)
          .map((partition) => {
            const entry = found.get(partition)
            return {
              partition,
              offset: String(entry?.offset ?? -1),
              metadata: entry?.metadata ?? null,
            }
          }),
      }
    })
  }

  async setOffsets(options: {
    readonly groupId: string
    readonly topic: string
    readonly partitions: readonly { readonly partition: number; readonly offset: string }[]
  }): Promise<void> {
    const fields = requireObject(options, 'setOffsets options')
    const groupId = validateGroupId(fields.groupId)
    const topic = validateTopicName(fields.topic)
    const offsets: OffsetToCommit[] = requireArray(fields.partitions, 'partitions').map((entry) => {
      const { partition, offset } = requireObject(entry, 'partitions entry')
      return {
        topic,
        partition: validPartition(partition),
        offset: validOffset(offset, 'setOffsets offset'),
        metadata: null,
      }
    })
    await this.#commitAsAdmin(groupId, offsets)
  }

  /** Stores Kafka's sentinels, -2 (earliest) or -1 (latest): the next consumer applies them. */
  async resetOffsets(options: {
    readonly groupId: string
    readonly topic: string
    readonly earliest?: boolean
  }): Promise<void> {
    const fields = requireObject(options, 'resetOffsets options')
    const groupId = validateGroupId(fields.groupId)
    const topic = validateTopicName(fields.topic)
    const metadata = await this.#metadata([topic])
    const partitions = metadata.topics[0]?.partitions ?? []
    const offset = fields.earliest === true ? -2 : -1
    await this.#commitAsAdmin(
      groupId,
      partitions.map(({ partition }) => ({ topic, partition, offset, metadata: null })),
    )
  }

  async deleteGroups(groupIds: readonly string[]): Promise<DeletedGroup[]> {
    const ids = requireArray(groupIds, 'groupIds').map(validateGroupId)
    const results = await Promise.all(
      ids.map(async (groupId): Promise<DeletedGroup> => {
        try {
          await this.#request(groupId, (client) =>
            client.request({ type: 'delete-group', groupId }, parseTrue),
          )
          return { groupId, errorCode: 0 }
        } catch (error) {
          const mapped = toKafkaJSError(error)
          const code = (mapped as { code?: unknown }).code
          return { groupId, errorCode: typeof code === 'number' ? code : -1, error: mapped }
        }
      }),
    )
    const failed = results.find((result) => result.error !== undefined)
    if (failed?.error !== undefined) throw failed.error
    return results
  }

  async #describe(groupId: string): Promise<DescribedGroup> {
    return this.#request(groupId, (client) =>
      client.request({ type: 'describe-group', groupId }, parseDescribedGroup),
    )
  }

  /** An admin's commit: refused while the group has members, as KafkaJS and Kafka refuse it. */
  async #commitAsAdmin(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    const described = await this.#describe(groupId)
    if (described.members.length > 0) {
      throw new KafkaJSNonRetriableError(
        `The consumer group must have no running instances, current state: ${described.state}`,
      )
    }
    await this.#request(groupId, (client) =>
      client.request(
        { type: 'offset-commit', groupId, memberId: '', generationId: -1, offsets },
        parseTrue,
      ),
    )
  }

  #request<T>(groupId: string, send: (client: CoordinatorClient) => Promise<T>): Promise<T> {
    const client = new CoordinatorClient(
      this.#connection.supervisor,
      this.#connection.clock,
      groupId,
      this.#connection.linkName,
    )
    return this.#call(() => send(client))
  }

  async #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }
}
