import { describe, expect, it } from 'vitest'
import { PartitionAssigners } from '../../../src/api/assigners/index.js'
import {
  expectBalanced,
  expectComplete,
  expectNoOverlap,
  type Layout,
  loadOf,
  type MemberSpec,
  memberIds,
  runAssigner,
} from './group-fixture.js'

const { range } = PartitionAssigners

describe('range assigner', () => {
  it("lays out Kafka's documented example: 2 consumers, 2 topics of 3 partitions", async () => {
    const members = [
      { memberId: 'C0', topics: ['t0', 't1'] },
      { memberId: 'C1', topics: ['t0', 't1'] },
    ]
    const result = await runAssigner(range, { t0: 3, t1: 3 }, members)
    expect(result.get('C0')).toEqual({ t0: [0, 1], t1: [0, 1] })
    expect(result.get('C1')).toEqual({ t0: [2], t1: [2] })
  })

  it('gives contiguous runs, the first members one extra', async () => {
    const members = memberIds(3).map((memberId) => ({ memberId, topics: ['t'] }))
    const result = await runAssigner(range, { t: 8 }, members)
    expect([...result.values()]).toEqual([{ t: [0, 1, 2] }, { t: [3, 4, 5] }, { t: [6, 7] }])
  })

  for (const count of [2, 10]) {
    it(`splits 30 partitions over ${count} members with no overlap, no gap, balanced`, async () => {
      const layout: Layout = { a: 10, b: 10, c: 10 }
      const members = memberIds(count).map((memberId) => ({ memberId, topics: ['a', 'b', 'c'] }))
      const result = await runAssigner(range, layout, members)
      expectComplete(result, layout, members)
      expectBalanced(result, members)
    })
  }

  it('balances each topic on its own among its subscribers only', async () => {
    const layout: Layout = { a: 7, b: 5 }
    const members: MemberSpec[] = [
      { memberId: 'm0', topics: ['a'] },
      { memberId: 'm1', topics: ['a', 'b'] },
      { memberId: 'm2', topics: ['b'] },
      { memberId: 'm3', topics: ['a', 'b'] },
    ]
    const result = await runAssigner(range, layout, members)
    expectComplete(result, layout, members)
    for (const [topic, subscribers] of [
      ['a', ['m0', 'm1', 'm3']],
      ['b', ['m1', 'm2', 'm3']],
    ] as const) {
      const counts = subscribers.map((memberId) => result.get(memberId)?.[topic]?.length ?? 0)
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    }
  })

  it('depends on member ids, not on the order members are listed in', async () => {
    const members = memberIds(4).map((memberId) => ({ memberId, topics: ['t'] }))
    const forward = await runAssigner(range, { t: 6 }, members)
    const backward = await runAssigner(range, { t: 6 }, [...members].reverse())
    expect(Object.fromEntries(backward)).toEqual(Object.fromEntries(forward))
  })

  it('tells members beyond the partition count that they get nothing', async () => {
    const members = memberIds(4).map((memberId) => ({ memberId, topics: ['t'] }))
    const result = await runAssigner(range, { t: 2 }, members)
    expectNoOverlap(result, members)
    expect(memberIds(4).map((memberId) => loadOf(result.get(memberId)))).toEqual([1, 1, 0, 0])
  })
})
