import { describe, expect, it } from 'vitest'
import {
  commit,
  emptyGroup,
  expire,
  type Group,
  type GroupEffect,
  heartbeat,
  type JoinRequest,
  join,
  leave,
  sync,
} from '../../../src/actors/coordinator/group.js'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'

const protocols = [{ name: 'range', metadata: new Uint8Array([1]) }]

function request(memberId = '', extra: Partial<JoinRequest> = {}): JoinRequest {
  return {
    memberId,
    groupInstanceId: undefined,
    clientId: 'client',
    sessionTimeoutMs: 1_000,
    rebalanceTimeoutMs: 5_000,
    protocols,
    ...extra,
  }
}

function ids() {
  let next = 0
  return () => `member-${++next}`
}

function kafkaType(action: () => unknown): string | undefined {
  try {
    action()
  } catch (error) {
    if (error instanceof KafkaProtocolError) return error.type
    throw error
  }
  return undefined
}

function joinedIds(effects: readonly GroupEffect[]): string[] {
  return effects.flatMap((effect) => (effect.kind === 'join-done' ? [effect.memberId] : []))
}

/** A stable group of the given members (each joined and synced). */
function stableGroup(count: number): { group: Group; members: string[] } {
  const newId = ids()
  let group = emptyGroup('g')
  const members: string[] = []
  for (let i = 0; i < count; i++) {
    const joined = join(group, request(), i, newId)
    group = joined.group
    members.push(joined.answer.memberId)
    // Everyone rejoins the rebalance the newcomer started.
    for (const member of members.slice(0, -1)) group = join(group, request(member), i, newId).group
  }
  const leader = group.leaderId as string
  group = sync(
    group,
    {
      memberId: leader,
      generationId: group.generationId,
      assignments: members.map((memberId) => ({ memberId, assignment: new Uint8Array([7]) })),
    },
    count,
  ).group
  return { group, members }
}

describe('a consumer group’s transitions', () => {
  it('answers every joined member with one new generation, the first member leading', () => {
    const newId = ids()
    const first = join(emptyGroup('g'), request(), 0, newId)
    expect(joinedIds(first.effects)).toEqual(['member-1'])
    expect(first.group.phase).toBe('CompletingRebalance')
    expect(first.group.generationId).toBe(1)
    const second = join(first.group, request(), 1, newId)
    // The newcomer waits until the first member has joined again.
    expect(second.group.phase).toBe('PreparingRebalance')
    expect(second.effects.map((effect) => effect.kind)).toContain('rebalance-started')
    expect(joinedIds(second.effects)).toEqual([])
    const rejoined = join(second.group, request('member-1'), 2, newId)
    expect(joinedIds(rejoined.effects).sort()).toEqual(['member-1', 'member-2'])
    expect(rejoined.group.generationId).toBe(2)
    expect(rejoined.group.leaderId).toBe('member-1')
    const leaderResult = rejoined.effects.find(
      (effect) => effect.kind === 'join-done' && effect.memberId === 'member-1',
    )
    expect(leaderResult?.kind === 'join-done' && leaderResult.result.members.length).toBe(2)
  })

  it('hands the leader’s assignments to every member at sync, and becomes stable', () => {
    const { group, members } = stableGroup(3)
    expect(group.phase).toBe('Stable')
    for (const memberId of members) {
      expect(
        sync(group, { memberId, generationId: group.generationId, assignments: [] }, 9).answer,
      ).toEqual(new Uint8Array([7]))
    }
  })

  it('fences a member of an older generation: its commit and heartbeat are refused', () => {
    const { group, members } = stableGroup(2)
    const stale = { memberId: members[0] as string, generationId: group.generationId - 1 }
    expect(kafkaType(() => commit(group, stale, 10))).toBe('ILLEGAL_GENERATION')
    expect(kafkaType(() => heartbeat(group, stale, 10))).toBe('ILLEGAL_GENERATION')
    expect(kafkaType(() => commit(group, { memberId: 'stranger', generationId: 1 }, 10))).toBe(
      'UNKNOWN_MEMBER_ID',
    )
    expect(
      kafkaType(() =>
        commit(group, { memberId: members[0] as string, generationId: group.generationId }, 10),
      ),
    ).toBeUndefined()
  })

  it('counts a commit as a sign of life, as a heartbeat', () => {
    const { group, members } = stableGroup(2)
    const [committer, silent] = members as [string, string]
    const committed = commit(group, { memberId: committer, generationId: group.generationId }, 900)
    expect([...expire(committed, 1_500, () => false).group.members.keys()]).toEqual([committer])
    expect(committed.members.has(silent)).toBe(true)
  })

  it('refuses commits while the assignments are being handed out', () => {
    const newId = ids()
    const { group } = join(emptyGroup('g'), request(), 0, newId)
    expect(group.phase).toBe('CompletingRebalance')
    expect(kafkaType(() => commit(group, { memberId: 'member-1', generationId: 1 }, 1))).toBe(
      'REBALANCE_IN_PROGRESS',
    )
  })

  it('tells heartbeating members to rejoin while a rebalance is under way', () => {
    const { group, members } = stableGroup(2)
    const newcomer = join(group, request(), 20, () => 'member-new')
    expect(
      kafkaType(() =>
        heartbeat(
          newcomer.group,
          { memberId: members[0] as string, generationId: group.generationId },
          21,
        ),
      ),
    ).toBe('REBALANCE_IN_PROGRESS')
  })

  it('removes a member silent past its session, and one that did not rejoin in time', () => {
    const { group, members } = stableGroup(2)
    const alive = members[0] as string
    const beat = heartbeat(group, { memberId: alive, generationId: group.generationId }, 900)
    const expired = expire(beat, 1_500, () => false)
    expect([...expired.group.members.keys()]).toEqual([alive])
    // The one left must rejoin to take the partitions of the one removed.
    expect(expired.group.phase).toBe('PreparingRebalance')
    const rejoined = join(expired.group, request(alive), 1_501, ids())
    expect(joinedIds(rejoined.effects)).toEqual([alive])
    expect(rejoined.group.generationId).toBe(group.generationId + 1)
    // A rebalance stops waiting for a member once its rebalance timeout has passed.
    const { group: stable } = stableGroup(2)
    const started = join(stable, request(), 100, () => 'member-new')
    const late = expire(started.group, 100 + 5_000, (memberId) => memberId === 'member-new')
    expect([...late.group.members.keys()].sort()).toEqual(['member-new'])
    expect(joinedIds(late.effects)).toEqual(['member-new'])
  })

  it('rebalances at once when a member leaves, and empties with the last', () => {
    const { group, members } = stableGroup(2)
    const left = leave(group, { memberId: members[0] as string }, 30)
    expect(left.group.phase).toBe('PreparingRebalance')
    const empty = leave(left.group, { memberId: members[1] as string }, 31)
    expect(empty.group.phase).toBe('Empty')
    expect(empty.group.members.size).toBe(0)
  })

  it('gives a static member that comes back its place and assignment, without a rebalance', () => {
    const newId = ids()
    let group = join(emptyGroup('g'), request('', { groupInstanceId: 'a' }), 0, newId).group
    group = sync(
      group,
      {
        memberId: 'member-1',
        generationId: 1,
        assignments: [{ memberId: 'member-1', assignment: new Uint8Array([3]) }],
      },
      1,
    ).group
    const back = join(group, request('', { groupInstanceId: 'a' }), 2, newId)
    expect(back.answer.immediate?.generationId).toBe(1)
    expect(back.group.phase).toBe('Stable')
    expect(back.group.leaderId).toBe('member-2')
    expect(
      back.effects.some(
        (effect) => effect.kind === 'fail-waiting' && effect.memberId === 'member-1',
      ),
    ).toBe(true)
    const synced = sync(back.group, { memberId: 'member-2', generationId: 1, assignments: [] }, 3)
    expect(synced.answer).toEqual(new Uint8Array([3]))
  })

  it('refuses a member that shares no protocol with the group', () => {
    const { group } = join(emptyGroup('g'), request(), 0, ids())
    expect(
      kafkaType(() =>
        join(
          group,
          request('', { protocols: [{ name: 'other', metadata: new Uint8Array() }] }),
          1,
          ids(),
        ),
      ),
    ).toBe('INCONSISTENT_GROUP_PROTOCOL')
  })
})
