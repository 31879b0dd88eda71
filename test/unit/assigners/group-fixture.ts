import { expect } from 'vitest'
import {
  type AssignerCluster,
  AssignerProtocol,
  type PartitionAssigner,
  type TopicPartitions,
} from '../../../src/api/assigners/index.js'

/** Partition counts by topic name. */
export type Layout = Readonly<Record<string, number>>

/** Partition ids by topic, as members own them and assignments hand them out. */
export type Owned = Readonly<Record<string, readonly number[]>>

export interface MemberSpec {
  readonly memberId: string
  readonly topics: readonly string[]
  readonly owned?: Owned
}

/** Partition ids by topic, per member id. */
export type GroupResult = Map<string, Record<string, number[]>>

export function clusterOf(layout: Layout): AssignerCluster {
  return {
    findTopicPartitionMetadata: (topic) =>
      Array.from({ length: layout[topic] ?? 0 }, (_, partitionId) => ({ partitionId })),
  }
}

function toTopicPartitions(owned: Owned): TopicPartitions[] {
  return Object.entries(owned).map(([topic, partitions]) => ({ topic, partitions }))
}

/** One rebalance as a leader runs it: every member's metadata, the group's topics, assign. */
export async function runAssigner(
  factory: PartitionAssigner,
  layout: Layout,
  members: readonly MemberSpec[],
): Promise<GroupResult> {
  const assigner = factory({ cluster: clusterOf(layout), groupId: 'group' })
  const groupMembers = members.map(({ memberId, topics, owned = {} }) => ({
    memberId,
    memberMetadata: assigner.protocol({ topics, ownedPartitions: toTopicPartitions(owned) })
      .metadata,
  }))
  const topics = [...new Set(members.flatMap(({ topics }) => topics))]
  const assignments = await assigner.assign({ members: groupMembers, topics })
  const result: GroupResult = new Map()
  for (const { memberId, memberAssignment } of assignments) {
    expect(result.has(memberId), `${memberId} assigned twice`).toBe(false)
    const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment)
    result.set(memberId, { ...decoded?.assignment })
  }
  return result
}

/** Members as they rejoin after a round: owning what the round gave them. */
export function withOwnership(members: readonly MemberSpec[], result: GroupResult): MemberSpec[] {
  return members.map((member) => ({ ...member, owned: result.get(member.memberId) ?? {} }))
}

export const key = (topic: string, partition: number): string => `${topic}/${partition}`

/** Member ids per partition key, over every partition the result hands out. */
export function ownersOf(result: GroupResult): Map<string, string[]> {
  const owners = new Map<string, string[]>()
  for (const [memberId, assignment] of result) {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const partitionKey = key(topic, partition)
        owners.set(partitionKey, [...(owners.get(partitionKey) ?? []), memberId])
      }
    }
  }
  return owners
}

export function loadOf(assignment: Owned | undefined): number {
  return Object.values(assignment ?? {}).reduce((sum, partitions) => sum + partitions.length, 0)
}

/** No partition twice, and only partitions of topics the member subscribes to. */
export function expectNoOverlap(result: GroupResult, members: readonly MemberSpec[]): void {
  for (const [partitionKey, owners] of ownersOf(result)) {
    expect(owners, `${partitionKey} has one owner`).toHaveLength(1)
  }
  for (const { memberId, topics } of members) {
    for (const topic of Object.keys(result.get(memberId) ?? {})) {
      expect(topics, `${memberId} subscribes to ${topic}`).toContain(topic)
    }
  }
}

/** Every partition of every subscribed topic has exactly one owner. */
export function expectComplete(
  result: GroupResult,
  layout: Layout,
  members: readonly MemberSpec[],
): void {
  expectNoOverlap(result, members)
  const owners = ownersOf(result)
  const subscribed = new Set(members.flatMap(({ topics }) => topics))
  const expected = [...subscribed].flatMap((topic) =>
    Array.from({ length: layout[topic] ?? 0 }, (_, partition) => key(topic, partition)),
  )
  expect([...owners.keys()].sort()).toEqual(expected.sort())
}

export function expectBalanced(result: GroupResult, members: readonly MemberSpec[]): void {
  const loads = members.map(({ memberId }) => loadOf(result.get(memberId)))
  expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1)
}

/** Member ids m0, m1, … padded so that string order is numeric order. */
export function memberIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `m${String(index).padStart(2, '0')}`)
}
