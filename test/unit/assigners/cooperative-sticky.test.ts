import { describe, expect, it } from 'vitest'
import { AssignerProtocol, PartitionAssigners } from '../../../src/api/assigners/index.js'
import {
  clusterOf,
  expectBalanced,
  expectComplete,
  expectNoOverlap,
  type GroupResult,
  key,
  type Layout,
  loadOf,
  type MemberSpec,
  memberIds,
  ownersOf,
  runAssigner,
  withOwnership,
} from './group-fixture.js'

const { cooperativeSticky } = PartitionAssigners
const layout: Layout = { a: 7, b: 11, c: 12 }
const allTopics = ['a', 'b', 'c']

/** Owner of each partition key, for results where each has at most one. */
function ownerMap(result: GroupResult): Map<string, string> {
  return new Map([...ownersOf(result)].map(([partitionKey, [owner]]) => [partitionKey, owner!]))
}

/** A group that has settled (one round from nothing), its members owning what it gave them. */
async function settledGroup(
  count: number,
): Promise<{ members: MemberSpec[]; owners: Map<string, string> }> {
  const fresh = memberIds(count).map((memberId) => ({ memberId, topics: allTopics }))
  const result = await runAssigner(cooperativeSticky, layout, fresh)
  return { members: withOwnership(fresh, result), owners: ownerMap(result) }
}

describe('cooperative-sticky assigner', () => {
  for (const count of [2, 10]) {
    it(`splits 30 partitions over ${count} new members in one round, balanced`, async () => {
      const members = memberIds(count).map((memberId) => ({ memberId, topics: allTopics }))
      const result = await runAssigner(cooperativeSticky, layout, members)
      expectComplete(result, layout, members)
      expectBalanced(result, members)
    })
  }

  it('sends its owned partitions in version 1 metadata', () => {
    const assigner = cooperativeSticky({ cluster: clusterOf(layout), groupId: 'group' })
    const { name, metadata } = assigner.protocol({
      topics: ['a'],
      ownedPartitions: [{ topic: 'a', partitions: [1, 4] }],
    })
    expect(name).toBe('cooperative-sticky')
    expect(assigner.rebalanceProtocol).toBe('cooperative')
    expect(AssignerProtocol.MemberMetadata.decode(metadata).ownedPartitions).toEqual([
      { topic: 'a', partitions: [1, 4] },
    ])
  })

  it('lets a joining member take its share in two rounds, moving nothing else', async () => {
    const { members: before, owners } = await settledGroup(3)
    const members = [...before, { memberId: 'm03', topics: allTopics }]

    const first = await runAssigner(cooperativeSticky, layout, members)
    expectNoOverlap(first, members)
    const kept = ownerMap(first)
    for (const [partitionKey, owner] of kept) {
      expect(owners.get(partitionKey), `${partitionKey} stays or is withheld`).toBe(owner)
    }
    const withheld = [...owners.keys()].filter((partitionKey) => !kept.has(partitionKey))
    // Exactly the newcomer's share is revoked; nothing moves between the others.
    expect(withheld).toHaveLength(7)
    expect(loadOf(first.get('m03'))).toBe(0)

    const second = await runAssigner(cooperativeSticky, layout, withOwnership(members, first))
    expectComplete(second, layout, members)
    expectBalanced(second, members)
    for (const [partitionKey, owner] of kept) {
      expect(ownerMap(second).get(partitionKey), `${partitionKey} never moved`).toBe(owner)
    }
    expect(withheld.map((partitionKey) => ownerMap(second).get(partitionKey))).toEqual(
      withheld.map(() => 'm03'),
    )
  })

  it('hands a leaving member’s partitions over in one round, moving nobody else’s', async () => {
    const { members: before } = await settledGroup(4)
    const leaving = before[1]!
    const members = before.filter((member) => member !== leaving)

    const result = await runAssigner(cooperativeSticky, layout, members)
    expectComplete(result, layout, members)
    expectBalanced(result, members)
    for (const { memberId, owned = {} } of members) {
      for (const [topic, partitions] of Object.entries(owned)) {
        expect(result.get(memberId)?.[topic]).toEqual(expect.arrayContaining([...partitions]))
      }
    }
  })

  it('keeps a balanced group exactly as it is', async () => {
    const { members } = await settledGroup(5)
    const result = await runAssigner(cooperativeSticky, layout, members)
    for (const { memberId, owned } of members) expect(result.get(memberId)).toEqual(owned)
  })

  it('withholds a partition two members claim, then gives it out', async () => {
    const members: MemberSpec[] = [
      { memberId: 'x', topics: ['t'], owned: { t: [0, 1] } },
      { memberId: 'y', topics: ['t'], owned: { t: [1, 2] } },
    ]
    const first = await runAssigner(cooperativeSticky, { t: 4 }, members)
    expectNoOverlap(first, members)
    expect(ownersOf(first).has(key('t', 1))).toBe(false)
    expect(first.get('x')?.t).toContain(0)
    expect(first.get('y')?.t).toContain(2)

    const second = await runAssigner(cooperativeSticky, { t: 4 }, withOwnership(members, first))
    expectComplete(second, { t: 4 }, members)
    expectBalanced(second, members)
  })

  it('takes a partition from a member that unsubscribed from its topic in two rounds', async () => {
    const members: MemberSpec[] = [
      { memberId: 'x', topics: ['a'], owned: { a: [0], b: [0, 1] } },
      { memberId: 'y', topics: ['a', 'b'], owned: { a: [1] } },
    ]
    const twoTopics: Layout = { a: 2, b: 2 }
    const first = await runAssigner(cooperativeSticky, twoTopics, members)
    // Balanced means x takes all of a, y all of b: a/1 and b wait for their owners to let go.
    expect(first.get('x')).toEqual({ a: [0] })
    expect(first.get('y')).toEqual({})

    const second = await runAssigner(cooperativeSticky, twoTopics, withOwnership(members, first))
    expectComplete(second, twoTopics, members)
    expect(second.get('x')).toEqual({ a: [0, 1] })
    expect(second.get('y')).toEqual({ b: [0, 1] })
  })

  it('balances differing subscriptions through the members that can take each topic', async () => {
    // Only x can take t0; y balances with x by taking more of t1.
    const members: MemberSpec[] = [
      { memberId: 'x', topics: ['t0', 't1'], owned: { t1: [0, 1, 2, 3] } },
      { memberId: 'y', topics: ['t1'] },
    ]
    const uneven: Layout = { t0: 2, t1: 4 }
    const first = await runAssigner(cooperativeSticky, uneven, members)
    const second = await runAssigner(cooperativeSticky, uneven, withOwnership(members, first))
    expectComplete(second, uneven, members)
    expect(second.get('x')?.t0).toEqual([0, 1])
    expect([loadOf(second.get('x')), loadOf(second.get('y'))]).toEqual([3, 3])
  })

  it('ignores claims on partitions the group does not consume', async () => {
    const members: MemberSpec[] = [
      { memberId: 'x', topics: ['t'], owned: { t: [0, 9], gone: [0] } },
      { memberId: 'y', topics: ['t'] },
    ]
    const result = await runAssigner(cooperativeSticky, { t: 2 }, members)
    expect(result.get('x')).toEqual({ t: [0] })
    expect(result.get('y')).toEqual({ t: [1] })
  })

  it('depends on member ids, not on the order members are listed in', async () => {
    const { members: before } = await settledGroup(3)
    const members = [...before, { memberId: 'm03', topics: allTopics }]
    const forward = await runAssigner(cooperativeSticky, layout, members)
    const backward = await runAssigner(cooperativeSticky, layout, [...members].reverse())
    expect(Object.fromEntries(backward)).toEqual(Object.fromEntries(forward))
  })
})
