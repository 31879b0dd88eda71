import type { Replier } from '../../runtime/actor/actor-definition.js'
import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import type { PartitionLogHandle } from '../../runtime/log/log-layout.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import {
  arrayField,
  booleanField,
  bytesField,
  type Fields,
  fieldsOf,
  integerField,
  optionalStringField,
  stringArrayField,
  stringField,
} from '../protocol-fields.js'
import type { JoinRequest, JoinResult, ProtocolChoice } from './group.js'

export interface OffsetToCommit {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly metadata: string | null
}

/** What clients ask a group coordinator (Kafka's group and offset APIs). Replies beside each. */
export type GroupRequest =
  /** → JoinResult, once every member has joined */
  | ({ readonly type: 'join-group'; readonly groupId: string } & JoinRequest)
  /** → SyncResult, once the leader has handed in the assignments */
  | {
      readonly type: 'sync-group'
      readonly groupId: string
      readonly memberId: string
      readonly generationId: number
      readonly assignments: readonly {
        readonly memberId: string
        readonly assignment: Uint8Array
      }[]
    }
  /**
   * → true after `waitMs`, or at once a rebalance starts (REBALANCE_IN_PROGRESS): a member
   * learns of a rebalance the moment it begins, not at its next heartbeat.
   */
  | {
      readonly type: 'heartbeat'
      readonly groupId: string
      readonly memberId: string
      readonly generationId: number
      readonly waitMs: number
    }
  /** → true */
  | {
      readonly type: 'leave-group'
      readonly groupId: string
      readonly memberId: string
      readonly groupInstanceId: string | undefined
    }
  /** → true once the commit is replicated; generation -1 with no member id is an admin's */
  | {
      readonly type: 'offset-commit'
      readonly groupId: string
      readonly memberId: string
      readonly generationId: number
      readonly offsets: readonly OffsetToCommit[]
    }
  /**
   * Kafka's TxnOffsetCommit: offsets a transaction commits, held apart until it ends. → true
   * once they are replicated
   */
  | {
      readonly type: 'txn-offset-commit'
      readonly groupId: string
      readonly producerId: number
      readonly producerEpoch: number
      readonly offsets: readonly OffsetToCommit[]
    }
  /**
   * From a transaction coordinator (the marker Kafka writes to the offsets partition): the
   * producer's transaction ended, so its offsets are committed or dropped. → true
   */
  | {
      readonly type: 'end-txn-offsets'
      readonly groupId: string
      readonly producerId: number
      readonly commit: boolean
    }
  /** → FetchedOffset[] of every committed partition (of `topics`, when given) */
  | { readonly type: 'offset-fetch'; readonly groupId: string; readonly topics?: readonly string[] }
  /** → ListedGroup[] of the groups this coordinator keeps */
  | { readonly type: 'list-groups' }
  /** → DescribedGroup */
  | { readonly type: 'describe-group'; readonly groupId: string }
  /** → true; NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when unknown */
  | { readonly type: 'delete-group'; readonly groupId: string }

/** From the broker the coordinator runs on: it now leads, or no longer leads, an offsets partition. */
export type CoordinatorControl =
  | { readonly type: 'partition-led'; readonly partition: number; readonly log: PartitionLogHandle }
  | { readonly type: 'partition-lost'; readonly partition: number }

/** The coordinator's own messages (local only: they carry repliers). */
export type CoordinatorInternal =
  | { readonly type: 'tick' }
  | {
      readonly type: 'written'
      readonly partition: number
      readonly ok: boolean
      readonly error: unknown
      readonly apply: () => void
      readonly replier: Replier | undefined
    }

export type CoordinatorMessage = GroupRequest | CoordinatorControl | CoordinatorInternal

export interface SyncResult {
  readonly assignment: Uint8Array
}

export interface FetchedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly metadata: string | null
}

export interface ListedGroup {
  readonly groupId: string
  readonly protocolType: string
}

export interface DescribedMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly memberMetadata: Uint8Array
  readonly memberAssignment: Uint8Array
}

export interface DescribedGroup {
  readonly groupId: string
  readonly state: string
  readonly protocolType: string
  readonly protocol: string
  readonly generationId: number
  readonly members: readonly DescribedMember[]
}

function nullableString(fields: Fields, name: string): string | null {
  return optionalStringField(fields, name) ?? null
}

/** What a member joins with: a join's fields, and what the offsets topic keeps of a member. */
export function joinRequestFields(fields: Fields): JoinRequest {
  return {
    memberId: stringField(fields, 'memberId'),
    groupInstanceId: optionalStringField(fields, 'groupInstanceId'),
    clientId: stringField(fields, 'clientId'),
    sessionTimeoutMs: integerField(fields, 'sessionTimeoutMs', 1),
    rebalanceTimeoutMs: integerField(fields, 'rebalanceTimeoutMs', 1),
    protocols: protocolChoicesField(fields, 'protocols'),
  }
}

/** A JoinGroup's protocols. */
function protocolChoicesField(fields: Fields, name: string): ProtocolChoice[] {
  return arrayField(fields, name).map((entry) => {
    const protocol = fieldsOf(entry, 'protocol')
    return { name: stringField(protocol, 'name'), metadata: bytesField(protocol, 'metadata') }
  })
}

function offsetsToCommit(fields: Fields): OffsetToCommit[] {
  return arrayField(fields, 'offsets').map((entry) => {
    const offset = fieldsOf(entry, 'offset')
    return {
      topic: stringField(offset, 'topic'),
      partition: integerField(offset, 'partition', 0),
      // -2 and -1 are an admin's reset to the earliest / latest, kept as they are (KafkaJS).
      offset: integerField(offset, 'offset', -2),
      metadata: nullableString(offset, 'metadata'),
    }
  })
}

export function parseCoordinatorMessage(value: unknown): CoordinatorMessage {
  const fields = fieldsOf(value, 'coordinator message')
  switch (fields.type) {
    case 'join-group':
      return {
        type: 'join-group',
        groupId: stringField(fields, 'groupId'),
        ...joinRequestFields(fields),
      }
    case 'sync-group':
      return {
        type: 'sync-group',
        groupId: stringField(fields, 'groupId'),
        memberId: stringField(fields, 'memberId'),
        generationId: integerField(fields, 'generationId'),
        assignments: arrayField(fields, 'assignments').map((entry) => {
          const assignment = fieldsOf(entry, 'assignment')
          return {
            memberId: stringField(assignment, 'memberId'),
            assignment: bytesField(assignment, 'assignment'),
          }
        }),
      }
    case 'heartbeat':
      return {
        type: 'heartbeat',
        groupId: stringField(fields, 'groupId'),
        memberId: stringField(fields, 'memberId'),
        generationId: integerField(fields, 'generationId'),
        waitMs: integerField(fields, 'waitMs', 0),
      }
    case 'leave-group':
      return {
        type: 'leave-group',
        groupId: stringField(fields, 'groupId'),
        memberId: stringField(fields, 'memberId'),
        groupInstanceId: optionalStringField(fields, 'groupInstanceId'),
      }
    case 'offset-commit':
      return {
        type: 'offset-commit',
        groupId: stringField(fields, 'groupId'),
        memberId: stringField(fields, 'memberId'),
        generationId: integerField(fields, 'generationId'),
        offsets: offsetsToCommit(fields),
      }
    case 'txn-offset-commit':
      return {
        type: 'txn-offset-commit',
        groupId: stringField(fields, 'groupId'),
        producerId: integerField(fields, 'producerId', 0),
        producerEpoch: integerField(fields, 'producerEpoch', 0),
        offsets: offsetsToCommit(fields),
      }
    case 'end-txn-offsets':
      return {
        type: 'end-txn-offsets',
        groupId: stringField(fields, 'groupId'),
        producerId: integerField(fields, 'producerId', 0),
        commit: booleanField(fields, 'commit'),
      }
    case 'offset-fetch':
      return fields.topics === undefined || fields.topics === null
        ? { type: 'offset-fetch', groupId: stringField(fields, 'groupId') }
        : {
            type: 'offset-fetch',
            groupId: stringField(fields, 'groupId'),
            topics: stringArrayField(fields, 'topics'),
          }
    case 'list-groups':
      return { type: 'list-groups' }
    case 'describe-group':
    case 'delete-group':
      return { type: fields.type, groupId: stringField(fields, 'groupId') }
    case 'partition-led':
      return {
        type: 'partition-led',
        partition: integerField(fields, 'partition', 0),
        log: PartitionLogReader.open(fields.log).handle(),
      }
    case 'partition-lost':
      return { type: 'partition-lost', partition: integerField(fields, 'partition', 0) }
    default:
      throw new MalformedMessageError(`unknown coordinator message ${String(fields.type)}`)
  }
}

export function parseJoinResult(value: unknown): JoinResult {
  const fields = fieldsOf(value, 'join result')
  return {
    generationId: integerField(fields, 'generationId', 0),
    protocolName: stringField(fields, 'protocolName'),
    leaderId: stringField(fields, 'leaderId'),
    memberId: stringField(fields, 'memberId'),
    members: arrayField(fields, 'members').map((entry) => {
      const member = fieldsOf(entry, 'join member')
      return {
        memberId: stringField(member, 'memberId'),
        groupInstanceId: optionalStringField(member, 'groupInstanceId'),
        metadata: bytesField(member, 'metadata'),
      }
    }),
  }
}

export function parseSyncResult(value: unknown): SyncResult {
  return { assignment: bytesField(fieldsOf(value, 'sync result'), 'assignment') }
}

export function parseFetchedOffsets(value: unknown): FetchedOffset[] {
  if (!Array.isArray(value)) throw new MalformedMessageError('fetched offsets are an array')
  return value.map((entry) => {
    const fields = fieldsOf(entry, 'fetched offset')
    return {
      topic: stringField(fields, 'topic'),
      partition: integerField(fields, 'partition', 0),
      offset: integerField(fields, 'offset', -2),
      metadata: nullableString(fields, 'metadata'),
    }
  })
}

export function parseListedGroups(value: unknown): ListedGroup[] {
  if (!Array.isArray(value)) throw new MalformedMessageError('listed groups are an array')
  return value.map((entry) => {
    const fields = fieldsOf(entry, 'listed group')
    return {
      groupId: stringField(fields, 'groupId'),
      protocolType: stringField(fields, 'protocolType'),
    }
  })
}

export function parseDescribedGroup(value: unknown): DescribedGroup {
  const fields = fieldsOf(value, 'described group')
  return {
    groupId: stringField(fields, 'groupId'),
    state: stringField(fields, 'state'),
    protocolType: stringField(fields, 'protocolType'),
    protocol: stringField(fields, 'protocol'),
    generationId: integerField(fields, 'generationId'),
    members: arrayField(fields, 'members').map((entry) => {
      const member = fieldsOf(entry, 'described member')
      return {
        memberId: stringField(member, 'memberId'),
        groupInstanceId: nullableString(member, 'groupInstanceId'),
        clientId: stringField(member, 'clientId'),
        memberMetadata: bytesField(member, 'memberMetadata'),
        memberAssignment: bytesField(member, 'memberAssignment'),
      }
    }),
  }
}

export function parseTrue(value: unknown): true {
  if (value !== true) throw new MalformedMessageError('expected true')
  return true
}
