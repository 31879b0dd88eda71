import { describe, expect, it } from 'vitest'
import { PartitionAssigners } from '../../../src/api/assigners/index.js'
import {
  expectBalanced,
  expectComplete,
  type Layout,
  type MemberSpec,
  memberIds,
  runAssigner,
} from './group-fixture.js'

const { roundRobin } = PartitionAssigners

describe('round-robin assigner', () => {
  it('deals the sorted partitions to the sorted members in turn', async () => {
    const members = [
      { memberId: 'b', topics: ['t0', 't1'] },
      { memberId: 'a', topics: ['t0', 't1'] },
    ]
    const result = await runAssigner(roundRobin, { t1: 2, t0: 3 }, members)
    expect(result.get('a')).toEqual({ t0: [0, 2], t1: [1] })
    expect(result.get('b')).toEqual({ t0: [1], t1: [0] })
  })

  for (const count of [2, 10]) {
    it(`splits 30 partitions over ${count} members with no overlap, no gap, balanced`, async () => {
      const layout: Layout = { a: 7, b: 11, c: 12 }
      const members = memberIds(count).map((memberId) => ({ memberId, topics: ['a', 'b', 'c'] }))
      const result = await runAssigner(roundRobin, layout, members)
      expectComplete(result, layout, members)
      expectBalanced(result, members)
    })
  }

  it('skips members not subscribed to a partition’s topic', async () => {
    const layout: Layout = { a: 4, b: 4 }
    const members: MemberSpec[] = [
      { memberId: 'm0', topics: ['a'] },
      { memberId: 'm1', topics: ['b'] },
      { memberId: 'm2', topics: ['a', 'b'] },
    ]
    const result = await runAssigner(roundRobin, layout, members)
    expectComplete(result, layout, members)
    expect(result.get('m0')).toEqual({ a: [0, 2] })
    expect(result.get('m1')).toEqual({ b: [0, 2] })
    expect(result.get('m2')).toEqual({ a: [1, 3], b: [1, 3] })
  })
})
