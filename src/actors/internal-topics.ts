/** Kafka's internal topics: the group coordinators' and the transaction coordinators' logs. */
export const OFFSETS_TOPIC = '__consumer_offsets'
export const TRANSACTION_TOPIC = '__transaction_state'

/** Internal topics: not offered to pattern subscriptions (Kafka's `exclude.internal.topics`). */
export function isInternalTopic(topic: string): boolean {
  return topic === OFFSETS_TOPIC || topic === TRANSACTION_TOPIC
}
