/**
 * Kafka's RangeAssignor: topic by topic, the members subscribed to it (sorted by member id) get
 * contiguous runs of its partitions, the first ones one extra when the count does not divide.
 * Each topic is balanced on its own; across topics the first members can gain one per topic.
 */
import { eagerAssigner, partitionIdsOf } from './group-subscriptions.js'
import type { Assigner, AssignerConfig } from './partition-assigner.js'

/** KafkaJS's name for its range assigner, so groups describe the same way. */
const NAME = 'RangeAssigner'
const VERSION = 0

export function range({ cluster }: AssignerConfig): Assigner {
  return eagerAssigner(NAME, VERSION, (subscriptions, topics, builder) => {
    for (const topic of topics) {
      const consumers = subscriptions.filter((subscription) => subscription.topics.has(topic))
      if (consumers.length === 0) continue
      const partitions = partitionIdsOf(cluster, topic)
      const perConsumer = Math.floor(partitions.length / consumers.length)
      const withExtra = partitions.length % consumers.length
      consumers.forEach(({ memberId }, index) => {
        const start = perConsumer * index + Math.min(index, withExtra)
        const end = start + perConsumer + (index < withExtra ? 1 : 0)
        for (const partition of partitions.slice(start, end))
          builder.add(memberId, topic, partition)
      })
    }
  })
}
