export { Admin } from './api/admin.js'
export {
  type Assigner,
  type AssignerCluster,
  AssignerProtocol,
  type GroupMember,
  type GroupMemberAssignment,
  type PartitionAssigner,
  PartitionAssigners,
} from './api/assigners/index.js'
export { Cluster, type ClusterOptions } from './api/cluster.js'
export type { ClusterClock } from './api/cluster-clock.js'
export {
  type Batch,
  CONSUMER_EVENTS,
  Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type EachMessagePayload,
  type EachRawBatchPayload,
  type GroupDescription,
  type KafkaMessage,
} from './api/consumer.js'
export * from './api/errors.js'
export {
  CLUSTER_EVENTS,
  type ClusterEvent,
  ClusterFaults,
  type LinkFault,
  type StorageOnKill,
} from './api/faults.js'
export { Producer, type ProducerConfig, type RecordMetadata } from './api/producer.js'
export { ClusterRequests, type RequestFilter, type RequestRecord } from './api/request-log.js'
export {
  ClusterRules,
  type RequestApi,
  type RequestRule,
  type RequestRuleAction,
  type RequestRuleHandle,
} from './api/request-rules.js'
export type { Message } from './api/send-arguments.js'
export type { Clock } from './runtime/clock/clock.js'
export {
  type ActorContext,
  type ActorDefinition,
  ActorRef,
  ActorSystem,
  defineActor,
  ManualClock,
  SystemClock,
} from './runtime/index.js'
export {
  type CompressionCodec,
  CompressionCodecs,
  CompressionTypes,
} from './runtime/log/compression.js'
export { encodeRecordBatch } from './runtime/log/record-batch-codec.js'
