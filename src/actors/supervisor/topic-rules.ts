import { describeValue } from '../../runtime/errors/describe-value.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { isLogCapacity, LOG_CAPACITY_RULE } from '../../runtime/log/log-layout.js'
import type { TopicSpec } from './supervisor-protocol.js'

/** Kafka's `Topic.MAX_NAME_LENGTH`: longer names would not fit a partition directory name. */
const MAX_TOPIC_NAME_LENGTH = 249
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/
/**
 * The most partitions a topic may have. Kafka sets no such limit, but its controller is not
 * asked for a million partitions in one request either: here every partition is a round of
 * messages to the brokers, and creating 10,000 takes seconds.
 */
export const MAX_PARTITIONS = 100_000

/*
 * What the controller refuses in CreateTopics / CreatePartitions, with the errors a Kafka
 * broker answers. The public API checks the same rules early (through these functions) so a
 * caller gets the error before any request is made.
 */

/** Kafka's topic naming rules (`org.apache.kafka.common.internals.Topic.validate`). */
export function validateTopicName(name: string): string {
  const refuse = (why: string) => new KafkaProtocolError('INVALID_TOPIC_EXCEPTION', why)
  if (name.length === 0) throw refuse('topic name is illegal, it is empty')
  if (name === '.' || name === '..') throw refuse(`topic name cannot be "${name}"`)
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw refuse(
      `topic name is illegal, it is ${name.length} characters long, more than ${MAX_TOPIC_NAME_LENGTH}`,
    )
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    throw refuse(
      `topic name ${JSON.stringify(name)} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    )
  }
  return name
}

export function validatePartitionCount(count: unknown): number {
  if (
    typeof count !== 'number' ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > MAX_PARTITIONS
  ) {
    throw new KafkaProtocolError(
      'INVALID_PARTITIONS',
      `number of partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${describeValue(count)}`,
    )
  }
  return count
}

export function validateReplicationFactor(factor: unknown, liveBrokers: number): number {
  if (typeof factor !== 'number' || !Number.isInteger(factor) || factor < 1) {
    throw new KafkaProtocolError(
      'INVALID_REPLICATION_FACTOR',
      `replication factor must be an integer of at least 1, got ${describeValue(factor)}`,
    )
  }
  if (factor > liveBrokers) {
    throw new KafkaProtocolError(
      'INVALID_REPLICATION_FACTOR',
      `replication factor: ${factor} larger than available brokers: ${liveBrokers}`,
    )
  }
  return factor
}

/** A replica ring size (samsa's `samsa.log.capacity.bytes`) that a log can have. */
export function validateLogCapacity(capacity: unknown): number {
  if (!isLogCapacity(capacity)) {
    throw new KafkaProtocolError(
      'INVALID_CONFIG',
      `samsa.log.capacity.bytes must be ${LOG_CAPACITY_RULE}, got ${describeValue(capacity)}`,
    )
  }
  return capacity
}

export function validateTopicSpec(spec: TopicSpec, liveBrokers: number): void {
  validateTopicName(spec.topic)
  validatePartitionCount(spec.numPartitions)
  validateReplicationFactor(spec.replicationFactor, liveBrokers)
  if (spec.logCapacityBytes !== undefined) validateLogCapacity(spec.logCapacityBytes)
}
