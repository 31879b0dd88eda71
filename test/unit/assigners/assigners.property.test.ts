import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PartitionAssigners } from '../../../src/api/assigners/index.js'
import { propertySeed } from '../log/seed.js'
import {
  expectBalanced,
  expectComplete,
  expectNoOverlap,
  type GroupResult,
  type Layout,
  loadOf,
  type MemberSpec,
  memberIds,
  ownersOf,
  runAssigner,
  withOwnership,
} from './group-fixture.js'

interface Scenario {
  readonly layout: Layout
  readonly members: MemberSpec[]
  /** Whether every member subscribes to every topic, where balance means counts within one. */
  readonly uniform: boolean
}

/**
 * A group with random subscriptions and random previous ownership: partitions owned by nobody,
 * by one member, by two (a stale member), by a member no longer subscribed to the topic, and
 * claims on partitions that do not exist.
 */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    partitionCounts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
    memberCount: fc.integer({ min: 1, max: 8 }),
    uniform: fc.boolean(),
  })
  .chain(({ partitionCounts, memberCount, uniform }) => {
    const topics = partitionCounts.map((_, index) => `t${index}`)
    const partitions = topics.flatMap((topic, index) =>
      Array.from({ length: partitionCounts[index]! }, (_, partition) => ({ topic, partition })),
    )
    const member = fc.nat({ max: memberCount - 1 })
    return fc
      .record({
        subscriptions: fc.array(
          uniform ? fc.constant(topics) : fc.subarray(topics, { minLength: 1 }),
          { minLength: memberCount, maxLength: memberCount },
        ),
        claimants: fc.array(fc.array(member, { maxLength: 2 }), {
          minLength: partitions.length,
          maxLength: partitions.length,
        }),
        missingClaims: fc.array(fc.tuple(member, fc.integer({ min: 12, max: 20 })), {
          maxLength: 2,
        }),
      })
      .map(({ subscriptions, claimants, missingClaims }): Scenario => {
        const owned = Array.from({ length: memberCount }, () => new Map<string, number[]>())
        const claim = (index: number, topic: string, partition: number): void => {
          const ofMember = owned[index]!
          ofMember.set(topic, [...(ofMember.get(topic) ?? []), partition])
        }
        partitions.forEach(({ topic, partition }, index) => {
          for (const claimant of claimants[index]!) claim(claimant, topic, partition)
        })
        for (const [claimant, partition] of missingClaims) claim(claimant, 't0', partition)
        return {
          layout: Object.fromEntries(
            topics.map((topic, index) => [topic, partitionCounts[index]!]),
          ),
          members: memberIds(memberCount).map((memberId, index) => ({
            memberId,
            topics: subscriptions[index]!,
            owned: Object.fromEntries(owned[index]!),
          })),
          uniform,
        }
      })
  })

/** Members claiming each partition key before the round. */
function claimsOf(members: readonly MemberSpec[]): Map<string, string[]> {
  return ownersOf(
    new Map(
      members.map(({ memberId, owned = {} }) => [
        memberId,
        Object.fromEntries(Object.entries(owned).map(([topic, ids]) => [topic, [...ids]])),
      ]),
    ),
  )
}

/**
 * No member could take a partition off one holding two more: with differing subscriptions,
 * the balance there is to have between two members that could swap work.
 */
function expectNoLopsidedPair(result: GroupResult, members: readonly MemberSpec[]): void {
  for (const holder of members) {
    const held = result.get(holder.memberId) ?? {}
    for (const topic of Object.keys(held)) {
      for (const other of members) {
        if (!other.topics.includes(topic)) continue
        expect(
          loadOf(held) - loadOf(result.get(other.memberId)),
          `${holder.memberId} holds ${topic} and two more than ${other.memberId}`,
        ).toBeLessThanOrEqual(1)
      }
    }
  }
}

describe('cooperative-sticky over random groups and ownership', () => {
  it('never gives a partition to two members, nor one a different member still owns, and converges in two rounds', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ layout, members, uniform }) => {
        const { cooperativeSticky } = PartitionAssigners
        const first = await runAssigner(cooperativeSticky, layout, members)
        expectNoOverlap(first, members)
        const claims = claimsOf(members)
        for (const [partitionKey, [owner]] of ownersOf(first)) {
          for (const claimant of claims.get(partitionKey) ?? []) {
            expect(claimant, `${partitionKey} is still owned by ${claimant}`).toBe(owner)
          }
        }

        const rejoined = withOwnership(members, first)
        const second = await runAssigner(cooperativeSticky, layout, rejoined)
        expectComplete(second, layout, members)
        for (const [partitionKey, [owner]] of ownersOf(first)) {
          expect(ownersOf(second).get(partitionKey), `${partitionKey} moved again`).toEqual([owner])
        }
        expectNoLopsidedPair(second, members)
        if (uniform) expectBalanced(second, members)

        const third = await runAssigner(cooperativeSticky, layout, withOwnership(members, second))
        expect(Object.fromEntries(third)).toEqual(Object.fromEntries(second))
      }),
      { seed: propertySeed(), numRuns: 300 },
    )
  })
})

describe('eager assigners over random groups', () => {
  it('give every subscribed partition to exactly one subscribed member', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ layout, members, uniform }) => {
        for (const factory of [PartitionAssigners.range, PartitionAssigners.roundRobin]) {
          const result = await runAssigner(factory, layout, members)
          expectComplete(result, layout, members)
          if (uniform && factory === PartitionAssigners.roundRobin) {
            expectBalanced(result, members)
          }
        }
      }),
      { seed: propertySeed(), numRuns: 200 },
    )
  })
})
