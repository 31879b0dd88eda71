/**
 * KafkaJS's partition assigner shape. The group leader runs the assigner the group agreed on:
 * each member advertises its assigners' names with `protocol()` metadata, the coordinator picks
 * one every member has, and the leader's `assign()` turns all members' metadata into one
 * assignment per member.
 */
import { KafkaJSNonRetriableError } from '../errors.js'
import type { TopicPartitions } from './assigner-protocol.js'

/**
 * Eager: every member gives up all its partitions before rejoining. Cooperative: a member keeps
 * consuming through the rebalance and gives up only what its new assignment leaves out.
 */
export type RebalanceProtocol = 'eager' | 'cooperative'

export interface GroupMember {
  readonly memberId: string
  /** What the member's `protocol()` returned as `metadata` for the chosen assigner. */
  readonly memberMetadata: Buffer
}

export interface GroupMemberAssignment {
  readonly memberId: string
  /** A `MemberAssignment` encoding (see AssignerProtocol). */
  readonly memberAssignment: Buffer
}

/** KafkaJS's name for what `protocol()` returns: one entry of a JoinGroup's protocol list. */
export interface GroupState {
  readonly name: string
  readonly metadata: Buffer
}

/** What a member subscribes with; `ownedPartitions` is its current assignment (cooperative). */
export interface AssignerSubscription {
  readonly topics: readonly string[]
  readonly ownedPartitions?: readonly TopicPartitions[]
}

/** The part of KafkaJS's cluster an assigner may call: partition ids from metadata. */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): readonly { readonly partitionId: number }[]
}

export interface AssignerConfig {
  readonly cluster: AssignerCluster
  readonly groupId: string
}

export interface Assigner {
  /** The protocol name members advertise; the coordinator matches assigners by it. */
  readonly name: string
  readonly version: number
  /** samsa's addition; absent means eager, as for KafkaJS's own assigners. */
  readonly rebalanceProtocol?: RebalanceProtocol
  assign(group: {
    readonly members: readonly GroupMember[]
    readonly topics: readonly string[]
  }): Promise<GroupMemberAssignment[]>
  protocol(subscription: AssignerSubscription): GroupState
}

/** What `partitionAssigners` holds: a factory the consumer calls once it knows its group. */
export type PartitionAssigner = (config: AssignerConfig) => Assigner

const REBALANCE_PROTOCOLS: readonly unknown[] = [
  'eager',
  'cooperative',
] satisfies RebalanceProtocol[]
const BUILT_IN_NAMES =
  'PartitionAssigners.range, PartitionAssigners.roundRobin or PartitionAssigners.cooperativeSticky'

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  return typeof value
}

/** The assigner `factory` makes, checked field by field; `at` names it in errors. */
function createAssigner(factory: unknown, at: string, config: AssignerConfig): Assigner {
  if (typeof factory !== 'function') {
    // A name where a function belongs is the usual mistake (KafkaJS takes functions only).
    const hint = typeof factory === 'string' ? ` (unknown assignor ${JSON.stringify(factory)})` : ''
    throw new KafkaJSNonRetriableError(
      `${at} is not a function but ${describe(factory)}${hint}: pass ${BUILT_IN_NAMES}, or a function returning an assigner`,
    )
  }
  let created: unknown
  try {
    created = factory(config)
  } catch (error) {
    throw new KafkaJSNonRetriableError(
      `${at} threw while creating its assigner: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error instanceof Error ? error : undefined },
    )
  }
  if (typeof created !== 'object' || created === null) {
    throw new KafkaJSNonRetriableError(
      `${at} returned ${describe(created)} instead of an assigner object`,
    )
  }
  const assigner = created as Record<string, unknown>
  const { name, version, rebalanceProtocol } = assigner
  if (typeof name !== 'string' || name === '') {
    throw new KafkaJSNonRetriableError(`${at} returned an assigner without a name (a string)`)
  }
  const named = `${at} (${JSON.stringify(name)})`
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < 0 ||
    version > 0x7fff
  ) {
    throw new KafkaJSNonRetriableError(
      `${named} has version ${String(version)}: expected an integer from 0 to 32767`,
    )
  }
  for (const method of ['assign', 'protocol'] as const) {
    if (typeof assigner[method] !== 'function') {
      throw new KafkaJSNonRetriableError(`${named} has no ${method}() function`)
    }
  }
  if (rebalanceProtocol !== undefined && !REBALANCE_PROTOCOLS.includes(rebalanceProtocol)) {
    throw new KafkaJSNonRetriableError(
      `${named} has rebalanceProtocol ${describe(rebalanceProtocol)}: expected 'eager' or 'cooperative'`,
    )
  }
  return created as Assigner
}

/**
 * The consumer's `partitionAssigners` option, made into assigners and checked: a non-empty
 * array of factories whose assigners have distinct names. Applying KafkaJS's default
 * (`[PartitionAssigners.roundRobin]`) when the option is absent is the caller's part.
 */
export function validateAssigners(value: unknown, config: AssignerConfig): Assigner[] {
  if (!Array.isArray(value)) {
    throw new KafkaJSNonRetriableError(
      `partitionAssigners must be an array of partition assigners, got ${describe(value)}`,
    )
  }
  if (value.length === 0) {
    throw new KafkaJSNonRetriableError('partitionAssigners must hold at least one assigner')
  }
  const assigners: Assigner[] = []
  value.forEach((factory: unknown, index) => {
    const at = `partitionAssigners[${index}]`
    const assigner = createAssigner(factory, at, config)
    const earlier = assigners.findIndex(({ name }) => name === assigner.name)
    if (earlier !== -1) {
      // The coordinator picks an assigner by name; two with one name would be ambiguous.
      throw new KafkaJSNonRetriableError(
        `${at} has the name ${JSON.stringify(assigner.name)} of partitionAssigners[${earlier}]: names must differ`,
      )
    }
    assigners.push(assigner)
  })
  return assigners
}

/** The assigner the group chose, as the leader looks it up among its own. */
export function assignerNamed(assigners: readonly Assigner[], name: string): Assigner {
  const assigner = assigners.find((candidate) => candidate.name === name)
  if (assigner === undefined) {
    const known = assigners.map((candidate) => JSON.stringify(candidate.name)).join(', ')
    throw new KafkaJSNonRetriableError(
      `Unknown assignor ${JSON.stringify(name)}: this consumer's partitionAssigners are ${known}`,
    )
  }
  return assigner
}
