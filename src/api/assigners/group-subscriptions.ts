/**
 * What the built-in assigners share: members' subscriptions read from their metadata, partition
 * ids from the cluster, and per-member results encoded back. Everything comes out sorted, so an
 * assignment depends only on its inputs, never on the order members joined in.
 */
import { KafkaJSNonRetriableError } from '../errors.js'
import { AssignerProtocol, type Assignment, type TopicPartitions } from './assigner-protocol.js'
import type {
  Assigner,
  AssignerCluster,
  GroupMember,
  GroupMemberAssignment,
} from './partition-assigner.js'

export interface MemberSubscription {
  readonly memberId: string
  readonly topics: ReadonlySet<string>
  /** Empty unless the member sent version-1 metadata (cooperative members do). */
  readonly ownedPartitions: readonly TopicPartitions[]
}

/** UTF-16 code unit order, as Java's String.compareTo: no locale can reorder member ids. */
export function compareStrings(left: string, right: string): number {
  if (left < right) return -1
  return left > right ? 1 : 0
}

/** Each member's decoded subscription, sorted by member id. */
export function readSubscriptions(members: readonly GroupMember[]): MemberSubscription[] {
  const subscriptions = members.map(({ memberId, memberMetadata }) => {
    const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata)
    return {
      memberId,
      topics: new Set(metadata.topics),
      ownedPartitions: metadata.ownedPartitions ?? [],
    }
  })
  subscriptions.sort((left, right) => compareStrings(left.memberId, right.memberId))
  subscriptions.forEach(({ memberId }, index) => {
    if (index > 0 && subscriptions[index - 1]?.memberId === memberId) {
      throw new KafkaJSNonRetriableError(`Member ${JSON.stringify(memberId)} is in the group twice`)
    }
  })
  return subscriptions
}

/** The group's topics, sorted and without repeats. */
export function sortedTopics(topics: readonly string[]): string[] {
  return [...new Set(topics)].sort(compareStrings)
}

/** A topic's partition ids, ascending. */
export function partitionIdsOf(cluster: AssignerCluster, topic: string): number[] {
  const ids = new Set<number>()
  for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
    if (!Number.isInteger(partitionId) || partitionId < 0) {
      throw new KafkaJSNonRetriableError(
        `Topic ${JSON.stringify(topic)} has an invalid partition id ${String(partitionId)}`,
      )
    }
    ids.add(partitionId)
  }
  return [...ids].sort((left, right) => left - right)
}

/**
 * Collects partitions per member, then encodes one assignment for every member, an empty one
 * included: a member told nothing would not know to give up what it held.
 */
export class AssignmentBuilder {
  private readonly byMember = new Map<string, Map<string, number[]>>()

  constructor(memberIds: readonly string[]) {
    for (const memberId of memberIds) this.byMember.set(memberId, new Map())
  }

  add(memberId: string, topic: string, partition: number): void {
    const topics = this.byMember.get(memberId)
    if (topics === undefined) throw new Error(`${memberId} is not a member of this assignment`)
    const partitions = topics.get(topic)
    if (partitions === undefined) topics.set(topic, [partition])
    else partitions.push(partition)
  }

  encode(version: number): GroupMemberAssignment[] {
    return [...this.byMember].map(([memberId, topics]) => {
      // No prototype: "__proto__" is a legal topic name and must stay an ordinary key.
      const assignment: Assignment = Object.create(null)
      for (const topic of [...topics.keys()].sort(compareStrings)) {
        assignment[topic] = (topics.get(topic) ?? []).sort((left, right) => left - right)
      }
      return {
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version, assignment }),
      }
    })
  }
}

/**
 * An eager assigner (KafkaJS's kind) from the way it deals the group's topics out: every
 * member gets an assignment, and its members advertise plain version-`version` metadata.
 */
export function eagerAssigner(
  name: string,
  version: number,
  deal: (
    subscriptions: readonly MemberSubscription[],
    topics: readonly string[],
    builder: AssignmentBuilder,
  ) => void,
): Assigner {
  return {
    name,
    version,
    rebalanceProtocol: 'eager',

    async assign({ members, topics }) {
      const subscriptions = readSubscriptions(members)
      const builder = new AssignmentBuilder(subscriptions.map(({ memberId }) => memberId))
      deal(subscriptions, sortedTopics(topics), builder)
      return builder.encode(version)
    },

    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version, topics }) }
    },
  }
}
