// The internal offsets topic (Kafka's `__consumer_offsets`): which partition keeps a group, and
// the records a coordinator writes there. Committed offsets and group metadata are records
// keyed by what they describe, so the newest record of a key is its value (a null value
// deletes it), and a coordinator that takes over rebuilds its state by reading them in order.

import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import { Packr } from '../../runtime/transport/msgpack.js'
import {
  arrayField,
  bytesField,
  fieldsOf,
  integerField,
  optionalStringField,
} from '../protocol-fields.js'
import { joinRequestFields } from './coordinator-protocol.js'
import type { JoinRequest } from './group.js'

/** Kafka's `offsets.topic.num.partitions` is 50; in one process a few spread the load enough. */
export const OFFSETS_TOPIC_PARTITIONS = 5
/** Kafka's `offsets.topic.replication.factor`, capped at the brokers there are. */
export const OFFSETS_TOPIC_REPLICATION = 3
/** Each replica's ring; coordinators rewrite what is live well before it wraps (see snapshots). */
export const OFFSETS_TOPIC_LOG_BYTES = 4 * 1024 * 1024

/** Kafka's placement: the group id's Java `String.hashCode`, made non-negative, modulo the count. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  let hash = 0
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 rather than overflowing.
  const positive = hash === -2147483648 ? 0 : Math.abs(hash)
  return positive % partitions
}

export interface CommittedOffset {
  readonly offset: number
  readonly metadata: string | null
  readonly commitTimestamp: number
}

export interface StoredMember extends JoinRequest {
  readonly assignment: Uint8Array
}

export interface StoredGroup {
  readonly generationId: number
  readonly protocolName: string | undefined
  readonly leaderId: string | undefined
  readonly members: readonly StoredMember[]
}

export type OffsetsRecord =
  | {
      readonly kind: 'offset'
      readonly groupId: string
      readonly topic: string
      readonly partition: number
      /** Null deletes the commit (a deleted group). */
      readonly value: CommittedOffset | null
    }
  | { readonly kind: 'group'; readonly groupId: string; readonly value: StoredGroup | null }
  /** An offset a transaction commits, until it ends (null: it ended). */
  | {
      readonly kind: 'pending-offset'
      readonly groupId: string
      readonly producerId: number
      readonly topic: string
      readonly partition: number
      readonly value: CommittedOffset | null
    }

// Self-describing maps, so that a record written by one version of samsa reads in another.
const packr = new Packr({ useRecords: false })

export function encodeOffsetsRecord(record: OffsetsRecord): {
  key: Uint8Array
  value: Uint8Array | null
} {
  if (record.kind === 'offset') {
    return {
      key: packr.pack(['offset', record.groupId, record.topic, record.partition]),
      value: record.value === null ? null : packr.pack(record.value),
    }
  }
  if (record.kind === 'pending-offset') {
    return {
      key: packr.pack([
        'pending-offset',
        record.groupId,
        record.topic,
        record.partition,
        record.producerId,
      ]),
      value: record.value === null ? null : packr.pack(record.value),
    }
  }
  return {
    key: packr.pack(['group', record.groupId]),
    value:
      record.value === null
        ? null
        : packr.pack({
            ...record.value,
            protocolName: record.value.protocolName ?? null,
            leaderId: record.value.leaderId ?? null,
            members: record.value.members.map((member) => ({
              ...member,
              groupInstanceId: member.groupInstanceId ?? null,
            })),
          }),
  }
}

function committedOffset(body: unknown): CommittedOffset {
  const fields = fieldsOf(body, 'committed offset')
  const metadata = fields.metadata
  if (metadata !== null && typeof metadata !== 'string') {
    throw new MalformedMessageError('offset metadata is a string or null')
  }
  return {
    offset: integerField(fields, 'offset', -2),
    metadata,
    commitTimestamp: integerField(fields, 'commitTimestamp'),
  }
}

function storedMember(value: unknown): StoredMember {
  const fields = fieldsOf(value, 'stored member')
  return {
    ...joinRequestFields(fields),
    assignment: bytesField(fields, 'assignment'),
  }
}

/** Reads back a record of the offsets topic; a record it cannot read is reported, not skipped. */
export function decodeOffsetsRecord(key: Uint8Array, value: Uint8Array | null): OffsetsRecord {
  const parts: unknown = packr.unpack(key)
  if (!Array.isArray(parts)) throw new MalformedMessageError('an offsets record key is an array')
  const [kind, groupId, topic, partition, producerId] = parts as unknown[]
  if (typeof groupId !== 'string') throw new MalformedMessageError('a group id is a string')
  const body: unknown = value === null ? null : packr.unpack(value)
  if (kind === 'offset' || kind === 'pending-offset') {
    if (typeof topic !== 'string' || !Number.isInteger(partition)) {
      throw new MalformedMessageError('an offset key names a topic and a partition')
    }
    const where = { groupId, topic, partition: partition as number }
    const committed = body === null ? null : committedOffset(body)
    if (kind === 'offset') return { kind, ...where, value: committed }
    if (!Number.isInteger(producerId)) {
      throw new MalformedMessageError('a pending offset key names its producer id')
    }
    return { kind, ...where, producerId: producerId as number, value: committed }
  }
  if (kind === 'group') {
    if (body === null) return { kind, groupId, value: null }
    const fields = fieldsOf(body, 'stored group')
    return {
      kind,
      groupId,
      value: {
        generationId: integerField(fields, 'generationId', 0),
        protocolName: optionalStringField(fields, 'protocolName'),
        leaderId: optionalStringField(fields, 'leaderId'),
        members: arrayField(fields, 'members').map(storedMember),
      },
    }
  }
  throw new MalformedMessageError(`unknown offsets record kind ${String(kind)}`)
}
