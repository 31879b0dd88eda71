import { describe, expect, it } from 'vitest'
import {
  type Assigner,
  AssignerProtocol,
  assignerNamed,
  type PartitionAssigner,
  PartitionAssigners,
  validateAssigners,
} from '../../../src/api/assigners/index.js'
import { KafkaJSNonRetriableError } from '../../../src/api/errors.js'
import { clusterOf, runAssigner } from './group-fixture.js'

const config = { cluster: clusterOf({ t: 3 }), groupId: 'group' }

/** A custom assigner written as KafkaJS documents one: everything to the first member. */
const everythingToFirst: PartitionAssigner = ({ cluster }) => ({
  name: 'EverythingToFirst',
  version: 0,
  async assign({ members, topics }) {
    const [first, ...rest] = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
    const assignment = Object.fromEntries(
      topics.map((topic) => [
        topic,
        cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => partitionId),
      ]),
    )
    return [
      ...(first === undefined
        ? []
        : [
            {
              memberId: first.memberId,
              memberAssignment: AssignerProtocol.MemberAssignment.encode({
                version: 0,
                assignment,
              }),
            },
          ]),
      ...rest.map(({ memberId }) => ({ memberId, memberAssignment: Buffer.alloc(0) })),
    ]
  },
  protocol({ topics }) {
    return {
      name: 'EverythingToFirst',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
    }
  },
})

function expectRefused(value: unknown, message: RegExp): void {
  expect(() => validateAssigners(value, config)).toThrow(KafkaJSNonRetriableError)
  expect(() => validateAssigners(value, config)).toThrow(message)
}

const valid = (overrides: Record<string, unknown>): PartitionAssigner =>
  (() => ({ ...everythingToFirst(config), ...overrides })) as PartitionAssigner

describe('validateAssigners', () => {
  it('creates the built-in assigners with their protocol names and rebalance protocols', () => {
    const assigners = validateAssigners(
      [
        PartitionAssigners.cooperativeSticky,
        PartitionAssigners.range,
        PartitionAssigners.roundRobin,
      ],
      config,
    )
    expect(assigners.map(({ name, rebalanceProtocol }) => [name, rebalanceProtocol])).toEqual([
      ['cooperative-sticky', 'cooperative'],
      ['RangeAssigner', 'eager'],
      ['RoundRobinAssigner', 'eager'],
    ])
  })

  it('passes the cluster and group id to each factory', () => {
    let seen: unknown
    const spy: PartitionAssigner = (given) => {
      seen = given
      return everythingToFirst(given)
    }
    validateAssigners([spy], config)
    expect(seen).toBe(config)
  })

  it('refuses what is not a non-empty array', () => {
    expectRefused(
      undefined,
      /partitionAssigners must be an array of partition assigners, got undefined/,
    )
    expectRefused(PartitionAssigners.range, /must be an array .* got function/)
    expectRefused([], /at least one assigner/)
  })

  it('names the entry that is not a function, and an assignor given by name', () => {
    expectRefused(
      [PartitionAssigners.range, 42],
      /partitionAssigners\[1\] is not a function but number/,
    )
    expectRefused(
      ['sticky'],
      /partitionAssigners\[0\] is not a function but the string "sticky" \(unknown assignor "sticky"\)/,
    )
  })

  it('refuses a factory that throws or returns something other than an assigner', () => {
    const throwing: PartitionAssigner = () => {
      throw new Error('no cluster for me')
    }
    expectRefused(
      [throwing],
      /partitionAssigners\[0\] threw while creating its assigner: no cluster for me/,
    )
    expectRefused(
      [() => null],
      /partitionAssigners\[0\] returned null instead of an assigner object/,
    )
  })

  it('refuses an assigner with a missing or wrong field', () => {
    expectRefused(
      [valid({ name: '' })],
      /partitionAssigners\[0\] returned an assigner without a name/,
    )
    expectRefused([valid({ version: 'one' })], /\("EverythingToFirst"\) has version one/)
    expectRefused([valid({ version: -1 })], /has version -1/)
    expectRefused([valid({ assign: undefined })], /has no assign\(\) function/)
    expectRefused([valid({ protocol: 'x' })], /has no protocol\(\) function/)
    expectRefused(
      [valid({ rebalanceProtocol: 'incremental' })],
      /has rebalanceProtocol the string "incremental": expected 'eager' or 'cooperative'/,
    )
  })

  it('refuses two assigners with one name', () => {
    expectRefused(
      [PartitionAssigners.range, everythingToFirst, PartitionAssigners.range],
      /partitionAssigners\[2\] has the name "RangeAssigner" of partitionAssigners\[0\]/,
    )
  })
})

describe('assignerNamed', () => {
  const assigners: Assigner[] = validateAssigners(
    [PartitionAssigners.roundRobin, everythingToFirst],
    config,
  )

  it("finds the group's chosen assigner", () => {
    expect(assignerNamed(assigners, 'EverythingToFirst').name).toBe('EverythingToFirst')
  })

  it('refuses an unknown assignor with the names it has', () => {
    expect(() => assignerNamed(assigners, 'range')).toThrow(KafkaJSNonRetriableError)
    expect(() => assignerNamed(assigners, 'range')).toThrow(
      'Unknown assignor "range": this consumer\'s partitionAssigners are "RoundRobinAssigner", "EverythingToFirst"',
    )
  })
})

describe('a custom assigner written against KafkaJS', () => {
  it('runs through the same protocol as the built-in ones', async () => {
    const result = await runAssigner(everythingToFirst, { t: 3 }, [
      { memberId: 'b', topics: ['t'] },
      { memberId: 'a', topics: ['t'] },
    ])
    expect(result.get('a')).toEqual({ t: [0, 1, 2] })
    expect(result.get('b')).toEqual({})
  })
})
