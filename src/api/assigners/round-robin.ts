/**
 * KafkaJS's RoundRobinAssigner with Kafka's rule for differing subscriptions: every partition of
 * every topic, sorted by topic then id, is dealt in turn to the members sorted by member id,
 * skipping a member not subscribed to the partition's topic. With equal subscriptions the counts
 * differ by at most one.
 */
import { eagerAssigner, partitionIdsOf } from './group-subscriptions.js'
import type { Assigner, AssignerConfig } from './partition-assigner.js'

/** KafkaJS's name and version, so groups describe the same way. */
const NAME = 'RoundRobinAssigner'
const VERSION = 1

export function roundRobin({ cluster }: AssignerConfig): Assigner {
  return eagerAssigner(NAME, VERSION, (subscriptions, topics, builder) => {
    let turn = 0
    for (const topic of topics) {
      if (!subscriptions.some((subscription) => subscription.topics.has(topic))) continue
      for (const partition of partitionIdsOf(cluster, topic)) {
        // Ends: some member subscribes to this topic.
        while (!subscriptions[turn]!.topics.has(topic)) turn = (turn + 1) % subscriptions.length
        builder.add(subscriptions[turn]!.memberId, topic, partition)
        turn = (turn + 1) % subscriptions.length
      }
    }
  })
}
