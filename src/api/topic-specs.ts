// What `admin.createTopics` and `admin.createPartitions` are given, checked and turned into
// the controller's requests. What a broker refuses per topic (name, partition count,
// replication, the memory budget) is left to the controller, so that it comes back per topic
// inside the KafkaJSAggregateError, as from a broker; what cannot even be put in a request is
// refused here.

import type { TopicSpec } from '../actors/supervisor/supervisor-protocol.js'
import { createProtocolError, KafkaJSNonRetriableError } from './errors.js'
import {
  describeValue,
  requireArray,
  requireObject,
  validateLogCapacity,
  validatePartitionCount,
  validateTopicName,
} from './validation.js'

/** KafkaJS's `ITopicConfig`. */
export interface TopicConfigInput {
  readonly topic: string
  readonly numPartitions?: number
  readonly replicationFactor?: number
  readonly replicaAssignment?: readonly unknown[]
  readonly configEntries?: readonly { readonly name: string; readonly value: string }[]
}

/** Broker defaults a CreateTopics may leave out: Kafka's `num.partitions` and replication. */
const DEFAULT_PARTITIONS = 1
const DEFAULT_REPLICATION_FACTOR = 1

type ConfigField = keyof Omit<TopicSpec, 'topic' | 'numPartitions' | 'replicationFactor'>

/** The topic configs samsa honours, by Kafka name. */
const CONFIG_FIELDS: ReadonlyMap<string, ConfigField> = new Map<string, ConfigField>([
  ['retention.ms', 'retentionMs'],
  ['retention.bytes', 'retentionBytes'],
  ['max.message.bytes', 'maxMessageBytes'],
  ['samsa.log.capacity.bytes', 'logCapacityBytes'],
  ['min.insync.replicas', 'minInsyncReplicas'],
])

/** A config entry's value: KafkaJS sends strings; a number is taken as its decimal text. */
function configValue(name: string, value: unknown): number {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw createProtocolError(
      'INVALID_CONFIG',
      `${name} must be a whole number, got ${describeValue(value)}`,
    )
  }
  return Number(text)
}

function configEntries(entries: unknown): Partial<Record<ConfigField, number>> {
  const fields: { [Field in ConfigField]?: number } = {}
  if (entries === undefined) return fields
  for (const entry of requireArray(entries, 'configEntries')) {
    const { name, value } = requireObject(entry, 'configEntries entry')
    const field = typeof name === 'string' ? CONFIG_FIELDS.get(name) : undefined
    if (field === undefined) {
      throw createProtocolError(
        'INVALID_CONFIG',
        `topic config ${describeValue(name)} is not supported`,
      )
    }
    fields[field] = configValue(name as string, value)
  }
  if (fields.logCapacityBytes !== undefined) validateLogCapacity(fields.logCapacityBytes)
  return fields
}

/** One entry of `createTopics({ topics })`, as the controller's TopicSpec. */
export function topicSpecOf(input: unknown): TopicSpec {
  const entry = requireObject(input, 'topics entry')
  const topic = entry.topic
  if (typeof topic !== 'string') {
    throw new KafkaJSNonRetriableError(
      `Invalid topic: expected a string, got ${describeValue(topic)}`,
    )
  }
  const assignment = entry.replicaAssignment
  if (assignment !== undefined && requireArray(assignment, 'replicaAssignment').length > 0) {
    throw new KafkaJSNonRetriableError('replicaAssignment is not supported by samsa yet')
  }
  const numPartitions =
    entry.numPartitions === undefined || entry.numPartitions === -1
      ? DEFAULT_PARTITIONS
      : entry.numPartitions
  const replicationFactor =
    entry.replicationFactor === undefined || entry.replicationFactor === -1
      ? DEFAULT_REPLICATION_FACTOR
      : entry.replicationFactor
  // The controller answers for wrong counts per topic; a value that is not even a number
  // would only be mangled on its way there, so it is named here.
  for (const [name, value] of [
    ['numPartitions', numPartitions],
    ['replicationFactor', replicationFactor],
  ] as const) {
    if (typeof value !== 'number') {
      throw new KafkaJSNonRetriableError(
        `Invalid ${name} of topic ${describeValue(topic)}: expected a number, got ${describeValue(value)}`,
      )
    }
  }
  return {
    topic,
    numPartitions: numPartitions as number,
    replicationFactor: replicationFactor as number,
    ...configEntries(entry.configEntries),
  }
}

/** `createPartitions({ topicPartitions })`: each topic's new total partition count. */
export function partitionCountsOf(
  topicPartitions: unknown,
): { readonly topic: string; readonly count: number }[] {
  return requireArray(topicPartitions, 'topicPartitions').map((input) => {
    const entry = requireObject(input, 'topicPartitions entry')
    return {
      topic: validateTopicName(entry.topic),
      count: validatePartitionCount(entry.count),
    }
  })
}
