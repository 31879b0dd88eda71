import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import { defineActor } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { KafkaProtocolError, SamsaError } from '../../runtime/errors/samsa-error.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import { OFFSETS_TOPIC } from '../internal-topics.js'
import {
  type CoordinatorMessage,
  type DescribedGroup,
  type FetchedOffset,
  type GroupRequest,
  type ListedGroup,
  parseCoordinatorMessage,
} from './coordinator-protocol.js'
import { describeCoordinatorRequest } from './coordinator-requests.js'
import {
  type CoordinatorState,
  type LoadedPartition,
  pendingKey,
  type Waiting,
} from './coordinator-state.js'
import {
  commit,
  emptyGroup,
  expire,
  type Group,
  type GroupEffect,
  heartbeat,
  join,
  leave,
  nextExpiry,
  sync,
} from './group.js'
import {
  groupIdsOf,
  load,
  stored,
  unload,
  write,
  writeAndAnswer,
  writeFailure,
} from './group-storage.js'
import { coordinatedPartition } from './internal-topic.js'
import { OFFSETS_TOPIC_PARTITIONS, type OffsetsRecord } from './offsets-topic.js'

export interface CoordinatorArgs {
  readonly brokerId: number
  /** The broker this coordinator runs beside: its offsets partitions' leader. */
  readonly broker: ActorRef<BrokerMessage>
}

/**
 * A group coordinator (Kafka's GroupCoordinator): runs on each broker, and serves the groups
 * whose offsets partition that broker leads. Membership follows the pure transitions in
 * group.ts; committed offsets and group metadata are written to the offsets topic through this
 * broker, acks=all, so a coordinator that takes over rebuilds everything from its replica.
 */
export const coordinator = defineActor<CoordinatorMessage, CoordinatorState, CoordinatorArgs>({
  parseMessage: parseCoordinatorMessage,
  describeRequest: (state, message) => describeCoordinatorRequest(state.brokerId, message),
  init: ({ brokerId, broker }) => ({
    brokerId,
    broker,
    partitions: new Map(),
    waiting: new Map(),
    timer: undefined,
    timerAt: Number.POSITIVE_INFINITY,
    membersJoined: 0,
  }),
  receive(state, message, context) {
    try {
      handle(state, message, context)
    } catch (error) {
      // A request that cannot be served is answered; the coordinator serves everyone else.
      if (!(error instanceof SamsaError)) throw error
      context.replyError(error)
    }
    armTimer(state, context)
    return state
  },
})

function handle(
  state: CoordinatorState,
  message: CoordinatorMessage,
  context: ActorContext<CoordinatorMessage>,
): void {
  const now = context.clock.now()
  switch (message.type) {
    case 'partition-led':
      state.partitions.set(message.partition, load(message.partition, message.log, now))
      return
    case 'partition-lost':
      unload(state, message.partition)
      return
    case 'tick':
      state.timer = undefined
      state.timerAt = Number.POSITIVE_INFINITY
      tick(state, now, context)
      return
    case 'written':
      if (message.ok && state.partitions.has(message.partition)) {
        message.apply()
        message.replier?.resolve(true)
      } else {
        message.replier?.reject(writeFailure(message.error))
      }
      return
    case 'list-groups': {
      const listed: ListedGroup[] = []
      for (const loaded of state.partitions.values()) {
        for (const groupId of groupIdsOf(loaded)) listed.push({ groupId, protocolType: 'consumer' })
      }
      context.reply(listed)
      return
    }
    default:
      groupRequest(state, message, now, context)
  }
}

function groupRequest(
  state: CoordinatorState,
  request: GroupRequest & { readonly groupId: string },
  now: number,
  context: ActorContext<CoordinatorMessage>,
): void {
  if (request.groupId.length === 0) {
    throw new KafkaProtocolError('INVALID_GROUP_ID', 'a group id must not be empty')
  }
  const loaded = partitionOf(state, request.groupId)
  const group = loaded.groups.get(request.groupId) ?? emptyGroup(request.groupId)
  switch (request.type) {
    case 'join-group': {
      const {
        group: next,
        effects,
        answer,
      } = join(group, request, now, () => {
        state.membersJoined++
        return `${request.clientId}-${state.brokerId}-${state.membersJoined}-${now}`
      })
      loaded.groups.set(request.groupId, next)
      if (answer.immediate !== undefined) context.reply(answer.immediate)
      else waitingFor(state, request.groupId, answer.memberId).join = context.deferReply()
      apply(state, loaded, next, effects, context)
      return
    }
    case 'sync-group': {
      const { group: next, effects, answer } = sync(group, request, now)
      loaded.groups.set(request.groupId, next)
      if (answer !== undefined) context.reply({ assignment: answer })
      else waitingFor(state, request.groupId, request.memberId).sync = context.deferReply()
      apply(state, loaded, next, effects, context)
      return
    }
    case 'heartbeat': {
      const next = heartbeat(group, request, now)
      loaded.groups.set(request.groupId, next)
      const waiting = waitingFor(state, request.groupId, request.memberId)
      // One parked heartbeat per member: an older one is simply answered.
      waiting.heartbeat?.replier.resolve(true)
      waiting.heartbeat = { replier: context.deferReply(), releaseAt: now + request.waitMs }
      return
    }
    case 'leave-group': {
      const { group: next, effects } = leave(group, request, now)
      loaded.groups.set(request.groupId, next)
      context.reply(true)
      apply(state, loaded, next, effects, context)
      return
    }
    case 'offset-commit': {
      loaded.groups.set(request.groupId, commit(group, request, now))
      const records: OffsetsRecord[] = request.offsets.map(
        ({ topic, partition, offset, metadata }) => ({
          kind: 'offset',
          groupId: request.groupId,
          topic,
          partition,
          value: { offset, metadata, commitTimestamp: now },
        }),
      )
      writeAndAnswer(state, loaded, records, context)
      return
    }
    case 'txn-offset-commit': {
      const records: OffsetsRecord[] = request.offsets.map(
        ({ topic, partition, offset, metadata }) => ({
          kind: 'pending-offset',
          groupId: request.groupId,
          producerId: request.producerId,
          topic,
          partition,
          value: { offset, metadata, commitTimestamp: now },
        }),
      )
      writeAndAnswer(state, loaded, records, context)
      return
    }
    case 'end-txn-offsets': {
      const pending = loaded.pending.get(pendingKey(request.groupId, request.producerId))
      if (pending === undefined) {
        context.reply(true)
        return
      }
      const records: OffsetsRecord[] = []
      for (const { topic, partition, offset, metadata } of pending.values()) {
        const where = { groupId: request.groupId, topic, partition }
        if (request.commit) {
          records.push({
            kind: 'offset',
            ...where,
            value: { offset, metadata, commitTimestamp: now },
          })
        }
        records.push({
          kind: 'pending-offset',
          ...where,
          producerId: request.producerId,
          value: null,
        })
      }
      writeAndAnswer(state, loaded, records, context)
      return
    }
    case 'offset-fetch': {
      const committed = loaded.offsets.get(request.groupId)
      const fetched: FetchedOffset[] = []
      for (const { topic, partition, offset, metadata } of committed?.values() ?? []) {
        if (request.topics === undefined || request.topics.includes(topic)) {
          fetched.push({ topic, partition, offset, metadata })
        }
      }
      context.reply(fetched)
      return
    }
    case 'describe-group':
      context.reply(describe(loaded, request.groupId))
      return
    case 'delete-group': {
      if (!groupIdsOf(loaded).includes(request.groupId)) {
        throw new KafkaProtocolError(
          'GROUP_ID_NOT_FOUND',
          `group '${request.groupId}' does not exist`,
        )
      }
      if (group.members.size > 0) {
        throw new KafkaProtocolError(
          'NON_EMPTY_GROUP',
          `group '${request.groupId}' has ${group.members.size} active members`,
        )
      }
      const records: OffsetsRecord[] = [
        ...[...(loaded.offsets.get(request.groupId)?.values() ?? [])].map(
          ({ topic, partition }): OffsetsRecord => ({
            kind: 'offset',
            groupId: request.groupId,
            topic,
            partition,
            value: null,
          }),
        ),
        { kind: 'group', groupId: request.groupId, value: null },
      ]
      writeAndAnswer(state, loaded, records, context)
    }
  }
}

function partitionOf(state: CoordinatorState, groupId: string): LoadedPartition {
  const where = {
    brokerId: state.brokerId,
    topic: OFFSETS_TOPIC,
    partitions: OFFSETS_TOPIC_PARTITIONS,
  }
  return coordinatedPartition(state.partitions, where, groupId, 'group')
}

function waitingFor(state: CoordinatorState, groupId: string, memberId: string): Waiting {
  let members = state.waiting.get(groupId)
  if (members === undefined) {
    members = new Map()
    state.waiting.set(groupId, members)
  }
  let waiting = members.get(memberId)
  if (waiting === undefined) {
    waiting = {}
    members.set(memberId, waiting)
  }
  return waiting
}

function apply(
  state: CoordinatorState,
  loaded: LoadedPartition,
  group: Group,
  effects: readonly GroupEffect[],
  context: ActorContext<CoordinatorMessage>,
): void {
  const members = state.waiting.get(group.groupId)
  for (const effect of effects) {
    switch (effect.kind) {
      case 'join-done': {
        const waiting = members?.get(effect.memberId)
        waiting?.join?.resolve(effect.result)
        if (waiting !== undefined) waiting.join = undefined
        break
      }
      case 'sync-done': {
        const waiting = members?.get(effect.memberId)
        waiting?.sync?.resolve({ assignment: effect.assignment })
        if (waiting !== undefined) waiting.sync = undefined
        break
      }
      case 'fail-waiting': {
        const waiting = members?.get(effect.memberId)
        if (waiting === undefined) break
        members?.delete(effect.memberId)
        waiting.join?.reject(effect.error)
        waiting.sync?.reject(effect.error)
        waiting.heartbeat?.replier.reject(effect.error)
        break
      }
      case 'rebalance-started': {
        const rebalancing = new KafkaProtocolError(
          'REBALANCE_IN_PROGRESS',
          `group '${group.groupId}' is rebalancing`,
        )
        for (const waiting of members?.values() ?? []) {
          waiting.heartbeat?.replier.reject(rebalancing)
          waiting.heartbeat = undefined
          waiting.sync?.reject(rebalancing)
          waiting.sync = undefined
        }
        break
      }
      case 'persist':
        write(
          state,
          loaded,
          [{ kind: 'group', groupId: group.groupId, value: stored(group) }],
          context,
        )
        break
    }
  }
}

function describe(loaded: LoadedPartition, groupId: string): DescribedGroup {
  const group = loaded.groups.get(groupId)
  const known = group !== undefined || loaded.offsets.has(groupId)
  return {
    groupId,
    state: group?.phase ?? (known ? 'Empty' : 'Dead'),
    protocolType: known ? 'consumer' : '',
    protocol: group?.phase === 'Stable' ? (group.protocolName ?? '') : '',
    generationId: group?.generationId ?? -1,
    members: [...(group?.members.values() ?? [])].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId ?? null,
      clientId: member.clientId,
      memberMetadata:
        member.protocols.find(({ name }) => name === group?.protocolName)?.metadata ??
        new Uint8Array(0),
      memberAssignment: member.assignment,
    })),
  }
}

/** Releases heartbeats whose wait is over, and removes members whose session ran out. */
function tick(
  state: CoordinatorState,
  now: number,
  context: ActorContext<CoordinatorMessage>,
): void {
  for (const members of state.waiting.values()) {
    for (const waiting of members.values()) {
      if (waiting.heartbeat !== undefined && waiting.heartbeat.releaseAt <= now) {
        waiting.heartbeat.replier.resolve(true)
        waiting.heartbeat = undefined
      }
    }
  }
  for (const loaded of state.partitions.values()) {
    for (const [groupId, group] of loaded.groups) {
      const parked = state.waiting.get(groupId)
      const { group: next, effects } = expire(group, now, (memberId) => {
        const waiting = parked?.get(memberId)
        return waiting?.join !== undefined || waiting?.sync !== undefined
      })
      if (next === group) continue
      loaded.groups.set(groupId, next)
      apply(state, loaded, next, effects, context)
    }
  }
}

/** Keeps one timer, at the earliest heartbeat release or session expiry. */
function armTimer(state: CoordinatorState, context: ActorContext<CoordinatorMessage>): void {
  let earliest = Number.POSITIVE_INFINITY
  for (const members of state.waiting.values()) {
    for (const waiting of members.values()) {
      if (waiting.heartbeat !== undefined)
        earliest = Math.min(earliest, waiting.heartbeat.releaseAt)
    }
  }
  for (const loaded of state.partitions.values()) {
    for (const group of loaded.groups.values()) earliest = Math.min(earliest, nextExpiry(group))
  }
  if (earliest >= state.timerAt) return
  if (state.timer !== undefined) context.cancelTimer(state.timer)
  state.timerAt = earliest
  state.timer =
    earliest === Number.POSITIVE_INFINITY
      ? undefined
      : context.scheduleSelf(Math.max(0, earliest - context.clock.now()), { type: 'tick' })
}
