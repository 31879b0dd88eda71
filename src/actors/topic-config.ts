import { type Fields, fieldsOf, integerField, optionalIntegerField } from './protocol-fields.js'

/** How one topic's partition logs are sized and kept (Kafka's topic configs, in samsa's terms). */
export interface TopicConfig {
  /** Bytes of each replica's ring (a power of two): the hard ceiling on what a partition keeps. */
  readonly logCapacityBytes: number
  /** Kafka's `retention.bytes`: keep at most this much (at most the ring's capacity). */
  readonly retentionBytes?: number
  /** Kafka's `retention.ms`: evict batches whose newest record is older than this. */
  readonly retentionMs?: number
  /** Kafka's `max.message.bytes`: the largest record batch a produce may append. */
  readonly maxMessageBytes: number
  /** Kafka's `min.insync.replicas`: the fewest in-sync replicas an acks=all produce accepts. */
  readonly minInsyncReplicas: number
  /** Kafka's `replica.lag.time.max.ms`: a follower not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number
}

export function parseTopicConfig(value: unknown): TopicConfig {
  const fields: Fields = fieldsOf(value, 'topic config')
  return {
    logCapacityBytes: integerField(fields, 'logCapacityBytes', 256),
    retentionBytes: optionalIntegerField(fields, 'retentionBytes', 1),
    retentionMs: optionalIntegerField(fields, 'retentionMs', 0),
    maxMessageBytes: integerField(fields, 'maxMessageBytes', 1),
    minInsyncReplicas: integerField(fields, 'minInsyncReplicas', 1),
    replicaLagTimeMaxMs: integerField(fields, 'replicaLagTimeMaxMs', 1),
  }
}
