// One consumer group's membership, as Kafka's classic group protocol runs it: pure transitions
// over the group's state. Each returns what must be answered; the coordinator actor holds the
// waiting requests and the clock, and writes what must be kept to the offsets topic.

import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'

export type GroupPhase = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable'

export interface ProtocolChoice {
  readonly name: string
  readonly metadata: Uint8Array
}

/** A member: what it joined with, and where it stands. */
export interface Member extends JoinRequest {
  /** What the leader gave this member in the last completed sync (empty before one). */
  readonly assignment: Uint8Array
  /** Whether it has joined the rebalance under way. */
  readonly joined: boolean
  readonly lastSeenAt: number
}

export interface Group {
  readonly groupId: string
  readonly phase: GroupPhase
  readonly generationId: number
  readonly protocolName: string | undefined
  readonly leaderId: string | undefined
  /** In join order: the first member that joins an empty group leads it. */
  readonly members: ReadonlyMap<string, Member>
  /** When a rebalance under way stops waiting for members that have not joined. */
  readonly rebalanceDeadline: number
}

export interface JoinRequest {
  readonly memberId: string
  /** Kafka's `group.instance.id`: a static member keeps its place across restarts. */
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
  readonly protocols: readonly ProtocolChoice[]
}

/** Kafka's JoinGroup response. Only the leader gets the members and their metadata. */
export interface JoinResult {
  readonly generationId: number
  readonly protocolName: string
  readonly leaderId: string
  readonly memberId: string
  readonly members: readonly {
    readonly memberId: string
    readonly groupInstanceId: string | undefined
    readonly metadata: Uint8Array
  }[]
}

/** What the coordinator must now do for members whose requests wait. */
export type GroupEffect =
  | { readonly kind: 'join-done'; readonly memberId: string; readonly result: JoinResult }
  | { readonly kind: 'sync-done'; readonly memberId: string; readonly assignment: Uint8Array }
  | { readonly kind: 'fail-waiting'; readonly memberId: string; readonly error: KafkaProtocolError }
  /** A rebalance began: parked heartbeats and syncs learn of it now. */
  | { readonly kind: 'rebalance-started' }
  /** The membership changed in a way that must survive a coordinator failover. */
  | { readonly kind: 'persist' }

export interface Transition<T = undefined> {
  readonly group: Group
  readonly effects: readonly GroupEffect[]
  readonly answer: T
}

export function emptyGroup(groupId: string): Group {
  return {
    groupId,
    phase: 'Empty',
    generationId: 0,
    protocolName: undefined,
    leaderId: undefined,
    members: new Map(),
    rebalanceDeadline: Number.POSITIVE_INFINITY,
  }
}

function fail(type: ConstructorParameters<typeof KafkaProtocolError>[0], message: string): never {
  throw new KafkaProtocolError(type, message)
}

function memberOf(group: Group, memberId: string): Member {
  const member = group.members.get(memberId)
  if (member === undefined) {
    fail('UNKNOWN_MEMBER_ID', `'${memberId}' is not a member of group '${group.groupId}'`)
  }
  return member
}

function withMember(group: Group, member: Member): Map<string, Member> {
  const members = new Map(group.members)
  members.set(member.memberId, member)
  return members
}

/** The first protocol, in the leader's order of preference, that every member supports. */
function chooseProtocol(members: readonly Member[]): string | undefined {
  const [first] = members
  return first?.protocols.find(({ name }) =>
    members.every((member) => member.protocols.some((protocol) => protocol.name === name)),
  )?.name
}

function sharesProtocol(group: Group, protocols: readonly ProtocolChoice[]): boolean {
  const others = [...group.members.values()]
  if (others.length === 0) return true
  return protocols.some(({ name }) =>
    others.every((member) => member.protocols.some((protocol) => protocol.name === name)),
  )
}

/** Starts a rebalance (or keeps the one under way): every member must join again. */
function prepareRebalance(group: Group, now: number, effects: GroupEffect[]): Group {
  if (group.phase === 'PreparingRebalance') return group
  const members = new Map<string, Member>()
  let longest = 0
  for (const member of group.members.values()) {
    members.set(member.memberId, member)
    longest = Math.max(longest, member.rebalanceTimeoutMs)
  }
  effects.push({ kind: 'rebalance-started' })
  return { ...group, phase: 'PreparingRebalance', members, rebalanceDeadline: now + longest }
}

/** Ends the join phase once every member has joined: a new generation, answers for all. */
function completeJoin(group: Group, effects: GroupEffect[]): Group {
  const joined = [...group.members.values()]
  if (group.phase !== 'PreparingRebalance' || joined.some((member) => !member.joined)) return group
  if (joined.length === 0) {
    effects.push({ kind: 'persist' })
    return {
      ...group,
      phase: 'Empty',
      generationId: group.generationId + 1,
      protocolName: undefined,
      leaderId: undefined,
      rebalanceDeadline: Number.POSITIVE_INFINITY,
    }
  }
  const leaderId =
    group.leaderId !== undefined && group.members.has(group.leaderId)
      ? group.leaderId
      : (joined[0] as Member).memberId
  const leader = group.members.get(leaderId) as Member
  const protocolName = chooseProtocol([leader, ...joined.filter((member) => member !== leader)])
  if (protocolName === undefined) {
    // Joins are refused when they share no protocol, so this cannot happen; fail loudly if it does.
    throw new Error(`group ${group.groupId}: no protocol common to all members`)
  }
  const generationId = group.generationId + 1
  const members = new Map<string, Member>()
  for (const member of joined) members.set(member.memberId, { ...member, joined: false })
  for (const member of joined) {
    effects.push({
      kind: 'join-done',
      memberId: member.memberId,
      result: {
        generationId,
        protocolName,
        leaderId,
        memberId: member.memberId,
        members:
          member.memberId === leaderId
            ? joined.map((each) => ({
                memberId: each.memberId,
                groupInstanceId: each.groupInstanceId,
                metadata: (
                  each.protocols.find(({ name }) => name === protocolName) as ProtocolChoice
                ).metadata,
              }))
            : [],
      },
    })
  }
  return {
    ...group,
    phase: 'CompletingRebalance',
    generationId,
    protocolName,
    leaderId,
    members,
    rebalanceDeadline: Number.POSITIVE_INFINITY,
  }
}

/**
 * Kafka's JoinGroup. A member without an id gets one (`newMemberId`); a static member that
 * comes back under its `groupInstanceId` takes its old place, and in a stable group gets its
 * generation back without a rebalance. Anyone else joining starts (or joins) a rebalance, and
 * is answered when every member has joined.
 */
export function join(
  group: Group,
  request: JoinRequest,
  now: number,
  newMemberId: () => string,
): Transition<{ memberId: string; immediate?: JoinResult }> {
  if (!sharesProtocol(group, request.protocols)) {
    fail(
      'INCONSISTENT_GROUP_PROTOCOL',
      `group '${group.groupId}' uses ${[...group.members.values()][0]?.protocols.map((p) => p.name).join(', ')}; the member offers ${request.protocols.map((p) => p.name).join(', ')}`,
    )
  }
  const effects: GroupEffect[] = []
  const staticPrevious =
    request.groupInstanceId === undefined
      ? undefined
      : [...group.members.values()].find(
          (member) => member.groupInstanceId === request.groupInstanceId,
        )
  if (request.memberId !== '' && !group.members.has(request.memberId)) {
    fail('UNKNOWN_MEMBER_ID', `'${request.memberId}' is not a member of group '${group.groupId}'`)
  }
  const previous = request.memberId !== '' ? group.members.get(request.memberId) : staticPrevious
  const memberId = request.memberId !== '' ? request.memberId : newMemberId()
  const member: Member = {
    memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: request.clientId,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    protocols: request.protocols,
    assignment: previous?.assignment ?? new Uint8Array(0),
    joined: true,
    lastSeenAt: now,
  }
  if (staticPrevious !== undefined && request.memberId === '') {
    // The restarted instance replaces its old self: the old id is fenced from now on.
    effects.push({
      kind: 'fail-waiting',
      memberId: staticPrevious.memberId,
      error: new KafkaProtocolError(
        'FENCED_INSTANCE_ID',
        `instance '${request.groupInstanceId}' joined again as a new member`,
      ),
    })
    const members = new Map<string, Member>()
    for (const [id, existing] of group.members) {
      members.set(
        id === staticPrevious.memberId ? memberId : id,
        id === staticPrevious.memberId ? member : existing,
      )
    }
    const leaderId = group.leaderId === staticPrevious.memberId ? memberId : group.leaderId
    if (group.phase === 'Stable' && group.protocolName !== undefined) {
      effects.push({ kind: 'persist' })
      const stable = { ...group, members: replaceJoined(members, memberId), leaderId }
      return {
        group: stable,
        effects,
        answer: {
          memberId,
          immediate: {
            generationId: group.generationId,
            protocolName: group.protocolName,
            leaderId: leaderId as string,
            memberId,
            members: [],
          },
        },
      }
    }
    const replaced = prepareRebalance({ ...group, members, leaderId }, now, effects)
    return { group: completeJoin(replaced, effects), effects, answer: { memberId } }
  }
  const preparing = prepareRebalance(group, now, effects)
  const updated = { ...preparing, members: withMember(preparing, member) }
  return { group: completeJoin(updated, effects), effects, answer: { memberId } }
}

function replaceJoined(members: Map<string, Member>, memberId: string): Map<string, Member> {
  const member = members.get(memberId) as Member
  members.set(memberId, { ...member, joined: false })
  return members
}

function checkGeneration(group: Group, member: Member, generationId: number): void {
  if (generationId !== group.generationId) {
    fail(
      'ILLEGAL_GENERATION',
      `member '${member.memberId}' is at generation ${generationId}, group '${group.groupId}' at ${group.generationId}`,
    )
  }
}

/**
 * Kafka's SyncGroup: the leader hands in every member's assignment; the others wait for it.
 * Answers at once in a stable group (a member asking again) and with the assignment when the
 * leader's sync arrives.
 */
export function sync(
  group: Group,
  request: {
    readonly memberId: string
    readonly generationId: number
    readonly assignments: readonly { readonly memberId: string; readonly assignment: Uint8Array }[]
  },
  now: number,
): Transition<Uint8Array | undefined> {
  const member = memberOf(group, request.memberId)
  checkGeneration(group, member, request.generationId)
  const seen = { ...member, lastSeenAt: now }
  const touched = { ...group, members: withMember(group, seen) }
  if (group.phase === 'PreparingRebalance') {
    fail('REBALANCE_IN_PROGRESS', `group '${group.groupId}' is rebalancing`)
  }
  if (group.phase === 'Stable') return { group: touched, effects: [], answer: member.assignment }
  if (request.memberId !== group.leaderId) return { group: touched, effects: [], answer: undefined }
  const given = new Map(request.assignments.map((entry) => [entry.memberId, entry.assignment]))
  const members = new Map<string, Member>()
  const effects: GroupEffect[] = []
  for (const [id, each] of touched.members) {
    const assignment = given.get(id) ?? new Uint8Array(0)
    members.set(id, { ...each, assignment })
    if (id !== request.memberId) effects.push({ kind: 'sync-done', memberId: id, assignment })
  }
  effects.push({ kind: 'persist' })
  return {
    group: { ...group, phase: 'Stable', members },
    effects,
    answer: given.get(request.memberId) ?? new Uint8Array(0),
  }
}

/** Kafka's Heartbeat: the member is alive. Throws what the member must learn (a rebalance). */
export function heartbeat(
  group: Group,
  request: { readonly memberId: string; readonly generationId: number },
  now: number,
): Group {
  const member = memberOf(group, request.memberId)
  const touched = { ...group, members: withMember(group, { ...member, lastSeenAt: now }) }
  if (group.phase === 'PreparingRebalance') {
    fail('REBALANCE_IN_PROGRESS', `group '${group.groupId}' is rebalancing`)
  }
  checkGeneration(group, member, request.generationId)
  return touched
}

/** Kafka's LeaveGroup (by member id, or a static member by its instance id): rebalances at once. */
export function leave(
  group: Group,
  request: { readonly memberId: string; readonly groupInstanceId?: string | undefined },
  now: number,
): Transition {
  const member =
    request.groupInstanceId !== undefined
      ? [...group.members.values()].find((each) => each.groupInstanceId === request.groupInstanceId)
      : group.members.get(request.memberId)
  if (member === undefined) {
    fail('UNKNOWN_MEMBER_ID', `'${request.memberId}' is not a member of group '${group.groupId}'`)
  }
  return removeMembers(group, [member.memberId], now, 'left the group')
}

function removeMembers(
  group: Group,
  memberIds: readonly string[],
  now: number,
  why: string,
): Transition {
  const effects: GroupEffect[] = []
  const members = new Map(group.members)
  for (const memberId of memberIds) {
    members.delete(memberId)
    effects.push({
      kind: 'fail-waiting',
      memberId,
      error: new KafkaProtocolError('UNKNOWN_MEMBER_ID', `member '${memberId}' ${why}`),
    })
  }
  const leaderId =
    group.leaderId !== undefined && members.has(group.leaderId) ? group.leaderId : undefined
  const smaller = { ...group, members, leaderId }
  if (members.size === 0 && group.phase !== 'PreparingRebalance') {
    effects.push({ kind: 'rebalance-started' }, { kind: 'persist' })
    return {
      group: {
        ...smaller,
        phase: 'Empty',
        generationId: group.generationId + 1,
        protocolName: undefined,
        rebalanceDeadline: Number.POSITIVE_INFINITY,
      },
      effects,
      answer: undefined,
    }
  }
  const preparing = prepareRebalance(smaller, now, effects)
  return { group: completeJoin(preparing, effects), effects, answer: undefined }
}

/**
 * The clock moved: members silent past their session timeout are removed, and a join phase
 * past its deadline goes on without the members that did not join. `waiting` says which
 * members have a request parked at the coordinator (a parked heartbeat is a live member).
 */
export function expire(
  group: Group,
  now: number,
  waiting: (memberId: string) => boolean,
): Transition {
  const silent = [...group.members.values()]
    .filter(
      (member) => !waiting(member.memberId) && now - member.lastSeenAt > member.sessionTimeoutMs,
    )
    .map((member) => member.memberId)
  const late =
    group.phase === 'PreparingRebalance' && now >= group.rebalanceDeadline
      ? [...group.members.values()]
          .filter((member) => !member.joined)
          .map((member) => member.memberId)
      : []
  const gone = [...new Set([...silent, ...late])]
  if (gone.length === 0) return { group, effects: [], answer: undefined }
  return removeMembers(group, gone, now, 'was removed: its session timed out')
}

/**
 * Kafka's OffsetCommit, as far as the group goes: throws when the commit may not be kept now;
 * otherwise the group, its member seen alive (a commit counts as a heartbeat, as in Kafka).
 */
export function commit(
  group: Group,
  request: { readonly memberId: string; readonly generationId: number },
  now: number,
): Group {
  if (request.generationId < 0 && request.memberId === '') {
    // An admin's or a simple consumer's commit: only while nobody consumes the group.
    if (group.members.size > 0) {
      fail('UNKNOWN_MEMBER_ID', `group '${group.groupId}' has active members; stop them first`)
    }
    return group
  }
  const member = memberOf(group, request.memberId)
  if (group.phase === 'CompletingRebalance') {
    fail('REBALANCE_IN_PROGRESS', `group '${group.groupId}' is rebalancing`)
  }
  checkGeneration(group, member, request.generationId)
  return { ...group, members: withMember(group, { ...member, lastSeenAt: now }) }
}

/** The earliest time `expire` could remove someone: the coordinator's next timer. */
export function nextExpiry(group: Group): number {
  let next =
    group.phase === 'PreparingRebalance' ? group.rebalanceDeadline : Number.POSITIVE_INFINITY
  for (const member of group.members.values()) {
    next = Math.min(next, member.lastSeenAt + member.sessionTimeoutMs + 1)
  }
  return next
}
