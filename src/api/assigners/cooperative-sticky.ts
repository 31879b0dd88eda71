/**
 * Kafka's CooperativeStickyAssignor: members keep consuming through a rebalance and only the
 * partitions that must move are revoked.
 *
 * Each member sends the partitions it owns (version-1 metadata). The leader computes a balanced
 * target that leaves owned partitions where they are whenever balance allows (sticky-balance.ts),
 * then applies the cooperative rule: a partition whose target is not the member that owns it now
 * goes to nobody this round. Its owner sees it missing, revokes it and rejoins; in the next round
 * nobody owns it and it goes to its target. So no partition is ever consumed by two members, and
 * a rebalance that moves partitions takes two rounds, one that moves none a single round.
 *
 * A partition claimed by two members (a stale member that missed a rebalance, say) has no valid
 * owner: neither keeps it for stickiness, and since at least one claimant is not its target, it is
 * withheld from everyone until both have let go. Kafka breaks such ties by generation instead;
 * withholding needs no generation and never risks a double owner, at the cost of one round.
 */
import { AssignerProtocol } from './assigner-protocol.js'
import {
  AssignmentBuilder,
  type MemberSubscription,
  partitionIdsOf,
  readSubscriptions,
  sortedTopics,
} from './group-subscriptions.js'
import type { Assigner, AssignerCluster, AssignerConfig } from './partition-assigner.js'
import { NO_MEMBER, type PartitionSlot, stickyTarget } from './sticky-balance.js'

/** Kafka's protocol name for this assignor. */
const NAME = 'cooperative-sticky'
/** Version 1 metadata carries ownedPartitions, which this assignor depends on. */
const VERSION = 1

interface GroupPartition {
  readonly topic: string
  readonly partition: number
  /** Members that say they own it now, by index into the sorted subscriptions. */
  readonly claimants: number[]
}

/** Every partition of the topics some member subscribes to, by topic then id. */
function groupPartitions(
  cluster: AssignerCluster,
  topics: readonly string[],
  subscriptions: readonly MemberSubscription[],
): GroupPartition[] {
  const partitions: GroupPartition[] = []
  const byTopic = new Map<string, Map<number, GroupPartition>>()
  for (const topic of topics) {
    const ofTopic = new Map<number, GroupPartition>()
    for (const partition of partitionIdsOf(cluster, topic)) {
      const entry = { topic, partition, claimants: [] }
      ofTopic.set(partition, entry)
      partitions.push(entry)
    }
    byTopic.set(topic, ofTopic)
  }
  subscriptions.forEach(({ ownedPartitions }, member) => {
    for (const owned of ownedPartitions) {
      const ofTopic = byTopic.get(owned.topic)
      for (const partition of owned.partitions) {
        // A claim on a partition outside the group's topics concerns no one else: ignored.
        const claimants = ofTopic?.get(partition)?.claimants
        if (claimants !== undefined && !claimants.includes(member)) claimants.push(member)
      }
    }
  })
  return partitions
}

export function cooperativeSticky({ cluster }: AssignerConfig): Assigner {
  return {
    name: NAME,
    version: VERSION,
    rebalanceProtocol: 'cooperative',

    async assign({ members, topics }) {
      const subscriptions = readSubscriptions(members)
      const subscribedTopics = sortedTopics(topics).filter((topic) =>
        subscriptions.some((subscription) => subscription.topics.has(topic)),
      )
      const subscribersByTopic = subscribedTopics.map((topic) =>
        subscriptions.flatMap((subscription, member) =>
          subscription.topics.has(topic) ? [member] : [],
        ),
      )
      const topicIndex = new Map(subscribedTopics.map((topic, index) => [topic, index]))
      const partitions = groupPartitions(cluster, subscribedTopics, subscriptions)
      const slots = partitions.map(({ topic, claimants }): PartitionSlot => {
        const [claimant] = claimants
        const sticky =
          claimants.length === 1 &&
          claimant !== undefined &&
          subscriptions[claimant]!.topics.has(topic)
        return { topicIndex: topicIndex.get(topic)!, owner: sticky ? claimant : NO_MEMBER }
      })
      const target = stickyTarget({
        memberCount: subscriptions.length,
        subscribersByTopic,
        slots,
      })

      const builder = new AssignmentBuilder(subscriptions.map(({ memberId }) => memberId))
      partitions.forEach(({ topic, partition, claimants }, slot) => {
        const member = target[slot]!
        if (member === NO_MEMBER) return
        // Given only once every current owner is the target: others must revoke it first.
        if (claimants.every((claimant) => claimant === member)) {
          builder.add(subscriptions[member]!.memberId, topic, partition)
        }
      })
      return builder.encode(VERSION)
    },

    protocol({ topics, ownedPartitions = [] }) {
      return {
        name: NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          ownedPartitions,
        }),
      }
    },
  }
}
