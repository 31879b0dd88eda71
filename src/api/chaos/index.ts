// `samsa/chaos`: the history a fault experiment records, and the checker that reads it
// against Kafka's guarantees; usable on a history of your own pipeline under `cluster.faults`.

export {
  ANOMALY_KINDS,
  type Anomaly,
  type AnomalyKind,
  type CheckOptions,
  type CheckReport,
  checkHistory,
} from './checker.js'
export type {
  AssignmentEvent,
  ClusterEventRecord,
  CommitEvent,
  DeliveryEvent,
  FinalPartition,
  History,
  HistoryEvent,
  SendEvent,
  TopicPartition,
} from './history.js'
