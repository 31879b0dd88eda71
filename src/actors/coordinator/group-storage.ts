import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import { OFFSETS_TOPIC } from '../internal-topics.js'
import type { CoordinatorMessage } from './coordinator-protocol.js'
import { type CoordinatorState, type LoadedPartition, pendingKey } from './coordinator-state.js'
import { emptyGroup, type Group } from './group.js'
import { appendRecords, readKeyedRecords, recordBytes } from './internal-topic.js'
import {
  decodeOffsetsRecord,
  encodeOffsetsRecord,
  OFFSETS_TOPIC_LOG_BYTES,
  type OffsetsRecord,
  type StoredGroup,
} from './offsets-topic.js'

/* Groups and offsets written to the offsets topic, and rebuilt from it by a coordinator taking over. */

// Every live key is written again once this much has been appended since the last time, so a
// key's newest record is never the one the ring evicts (Kafka compacts the topic instead).
const REWRITE_AFTER_BYTES = OFFSETS_TOPIC_LOG_BYTES / 4
const offsetKey = (topic: string, partition: number) => `${topic}\u0000${partition}`

export function stored(group: Group): StoredGroup {
  return {
    generationId: group.generationId,
    protocolName: group.protocolName,
    leaderId: group.leaderId,
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      sessionTimeoutMs: member.sessionTimeoutMs,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      protocols: member.protocols,
      assignment: member.assignment,
    })),
  }
}

/**
 * Appends records to this coordinator's offsets partition through its broker (acks=all), then
 * applies them and answers `replier` once they are replicated.
 */
export function write(
  state: CoordinatorState,
  loaded: LoadedPartition,
  records: readonly OffsetsRecord[],
  context: ActorContext<CoordinatorMessage>,
  replier?: Replier,
  applyWritten: () => void = () => {},
): void {
  const encoded = records.map(encodeOffsetsRecord)
  loaded.bytesSinceRewrite += recordBytes(encoded)
  const written = appendRecords(
    state.broker,
    OFFSETS_TOPIC,
    loaded.partition,
    encoded,
    context.clock.now(),
  )
  context.pipeToSelf(written, (outcome) => ({
    type: 'written',
    partition: loaded.partition,
    ok: outcome.ok,
    error: outcome.ok ? undefined : outcome.error,
    apply: applyWritten,
    replier,
  }))
  if (loaded.bytesSinceRewrite > REWRITE_AFTER_BYTES) rewriteLive(state, loaded, context)
}

/** Writes records, then applies them and answers the request once they are replicated. */
export function writeAndAnswer(
  state: CoordinatorState,
  loaded: LoadedPartition,
  records: readonly OffsetsRecord[],
  context: ActorContext<CoordinatorMessage>,
): void {
  write(state, loaded, records, context, context.deferReply(), () => {
    for (const record of records) applyRecord(loaded, record)
  })
}

/** Writes every live key again, so the ring may evict everything older. */
function rewriteLive(
  state: CoordinatorState,
  loaded: LoadedPartition,
  context: ActorContext<CoordinatorMessage>,
): void {
  loaded.bytesSinceRewrite = 0
  const records: OffsetsRecord[] = []
  for (const [groupId, committed] of loaded.offsets) {
    for (const { topic, partition, offset, metadata, commitTimestamp } of committed.values()) {
      records.push({
        kind: 'offset',
        groupId,
        topic,
        partition,
        value: { offset, metadata, commitTimestamp },
      })
    }
  }
  for (const group of loaded.groups.values()) {
    records.push({ kind: 'group', groupId: group.groupId, value: stored(group) })
  }
  for (const [key, pending] of loaded.pending) {
    const split = key.lastIndexOf('\u0000')
    const groupId = key.slice(0, split)
    const producerId = Number(key.slice(split + 1))
    for (const { topic, partition, offset, metadata, commitTimestamp } of pending.values()) {
      records.push({
        kind: 'pending-offset',
        groupId,
        producerId,
        topic,
        partition,
        value: { offset, metadata, commitTimestamp },
      })
    }
  }
  if (records.length > 0) write(state, loaded, records, context)
}

export function writeFailure(error: unknown): KafkaProtocolError {
  // The broker no longer leads the partition, or could not replicate: the member asks again,
  // of whichever coordinator the controller names then.
  return new KafkaProtocolError(
    'NOT_COORDINATOR',
    `the commit could not be written: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  )
}

function applyRecord(loaded: LoadedPartition, record: OffsetsRecord): void {
  if (record.kind === 'offset' || record.kind === 'pending-offset') {
    const [byKey, groupKey] =
      record.kind === 'offset'
        ? [loaded.offsets, record.groupId]
        : [loaded.pending, pendingKey(record.groupId, record.producerId)]
    let committed = byKey.get(groupKey)
    const key = offsetKey(record.topic, record.partition)
    if (record.value === null) {
      committed?.delete(key)
      if (committed?.size === 0) byKey.delete(groupKey)
      return
    }
    if (committed === undefined) {
      committed = new Map()
      byKey.set(groupKey, committed)
    }
    committed.set(key, { topic: record.topic, partition: record.partition, ...record.value })
    return
  }
  if (record.value === null) loaded.groups.delete(record.groupId)
}

/** Rebuilds a partition's groups and offsets from its log, oldest record first. */
export function load(
  partition: number,
  handle: Parameters<typeof PartitionLogReader.open>[0],
  now: number,
): LoadedPartition {
  const loaded: LoadedPartition = {
    partition,
    groups: new Map(),
    offsets: new Map(),
    pending: new Map(),
    bytesSinceRewrite: 0,
  }
  loaded.bytesSinceRewrite = readKeyedRecords(handle, (key, value) => {
    const record = decodeOffsetsRecord(key, value)
    applyRecord(loaded, record)
    if (record.kind === 'group' && record.value !== null) {
      loaded.groups.set(record.groupId, restoredGroup(record.groupId, record.value, now))
    }
  })
  return loaded
}

/** A group as its last record left it; its members get a fresh session to find this coordinator. */
function restoredGroup(groupId: string, value: StoredGroup, now: number): Group {
  const members = new Map(
    value.members.map((member) => [member.memberId, { ...member, joined: false, lastSeenAt: now }]),
  )
  return {
    ...emptyGroup(groupId),
    phase: members.size > 0 && value.protocolName !== undefined ? 'Stable' : 'Empty',
    generationId: value.generationId,
    protocolName: value.protocolName,
    leaderId: value.leaderId,
    members,
  }
}

export function unload(state: CoordinatorState, partition: number): void {
  const loaded = state.partitions.get(partition)
  if (loaded === undefined) return
  state.partitions.delete(partition)
  for (const groupId of loaded.groups.keys()) {
    const moved = new KafkaProtocolError(
      'NOT_COORDINATOR',
      `group '${groupId}' moved to another coordinator`,
    )
    for (const waiting of state.waiting.get(groupId)?.values() ?? []) {
      waiting.join?.reject(moved)
      waiting.sync?.reject(moved)
      waiting.heartbeat?.replier.reject(moved)
    }
    state.waiting.delete(groupId)
  }
}

export function groupIdsOf(loaded: LoadedPartition): string[] {
  return [...new Set([...loaded.offsets.keys(), ...loaded.groups.keys()])].sort()
}
