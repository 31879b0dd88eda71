/**
 * Partition assignment for consumer groups, done by the group leader on the client as in Kafka
 * and KafkaJS: the built-in assigners, the wire format of what members exchange, and the shape
 * of a custom assigner.
 */
import { cooperativeSticky } from './cooperative-sticky.js'
import type { PartitionAssigner } from './partition-assigner.js'
import { range } from './range.js'
import { roundRobin } from './round-robin.js'

export {
  AssignerProtocol,
  type Assignment,
  type MemberAssignment,
  type MemberAssignmentInput,
  type MemberMetadata,
  type MemberMetadataInput,
  type TopicPartitions,
} from './assigner-protocol.js'
export {
  type Assigner,
  type AssignerCluster,
  type AssignerConfig,
  type AssignerSubscription,
  assignerNamed,
  type GroupMember,
  type GroupMemberAssignment,
  type GroupState,
  type PartitionAssigner,
  type RebalanceProtocol,
  validateAssigners,
} from './partition-assigner.js'

/** KafkaJS's `PartitionAssigners`, with Kafka's range and cooperative-sticky added. */
export const PartitionAssigners: {
  readonly range: PartitionAssigner
  readonly roundRobin: PartitionAssigner
  readonly cooperativeSticky: PartitionAssigner
} = { range, roundRobin, cooperativeSticky }
