import type { RequestTopic } from '../../runtime/requests/request-rules.js'

/** Topic-partition pairs grouped by topic, in first-seen order, as a request names them. */
export function topicsOf(
  entries: Iterable<{ readonly topic: string; readonly partition: number }>,
): RequestTopic[] {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of entries) {
    const partitions = byTopic.get(topic)
    if (partitions === undefined) byTopic.set(topic, [partition])
    else if (!partitions.includes(partition)) partitions.push(partition)
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
}

/** Whole topics, by name (no partition named). */
export function wholeTopics(names: readonly string[]): RequestTopic[] {
  return names.map((topic) => ({ topic, partitions: [] }))
}
