export { Admin } from './api/admin.js'
export { Cluster, type ClusterOptions } from './api/cluster.js'
export { Consumer, type ConsumerConfig } from './api/consumer.js'
export * from './api/errors.js'
export { type Message, Producer, type ProducerConfig, type RecordMetadata } from './api/producer.js'
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
export { encodeRecordBatch } from './runtime/log/record-batch-codec.js'
