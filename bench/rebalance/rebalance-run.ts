import { Cluster } from '../../src/api/cluster.js'
import type { Consumer, InstrumentationEvent } from '../../src/api/consumer.js'
import type { Producer } from '../../src/api/producer.js'

/*
 * Members joining and leaving a consumer group under a steady produce load. The group starts
 * with `members` consumers over `partitions`; then, `cycles` times, one member leaves
 * (`disconnect`: it commits and sends LeaveGroup) and a new one joins. Each change is timed
 * from its start until every partition is owned by exactly one member and has delivered, to
 * its new owner, a record produced after the change began.
 *
 * Verified: no partition is owned by two members at once (ownership followed from each
 * member's GROUP_JOIN and REBALANCING events: an eager member gives everything up before it
 * rejoins), no record is delivered to a member that does not own its partition, and at the
 * end every record produced is delivered at least once (none skipped by a commit).
 */

export interface RebalanceOptions {
  readonly members: number
  readonly partitions: number
  /** Leave-then-join cycles: as many joins, as many leaves. */
  readonly cycles: number
  readonly seed: number
}

export interface RebalanceReport extends RebalanceOptions {
  readonly joins: number
  readonly leaves: number
  readonly joinMsP50: number
  readonly joinMsP99: number
  readonly leaveMsP50: number
  readonly leaveMsP99: number
  readonly recordsProduced: number
  readonly ownedTwice: number
  readonly deliveredToNonOwner: number
  readonly skipped: number
  readonly verified: boolean
}

const TOPIC = 'rebalance'
const GROUP = 'rebalance-bench'
const CHANGE_TIMEOUT_MS = 10_000

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number
}

interface Delivery {
  readonly partition: number
  readonly offset: number
  readonly at: number
}

/** Who owns what, as the members' own events say, and what broke the rules. */
class OwnershipLedger {
  readonly owned = new Map<string, Set<number>>()
  /**
   * Members disconnecting: they stop fetching before they send LeaveGroup, and the others'
   * next generation needs that LeaveGroup, so once another member joins, a leaver owns nothing.
   */
  readonly #leaving = new Set<string>()
  ownedTwice = 0
  deliveredToNonOwner = 0

  take(member: string, partitions: readonly number[]): void {
    for (const leaver of this.#leaving) this.owned.delete(leaver)
    this.#leaving.clear()
    for (const [other, set] of this.owned) {
      if (other === member) continue
      for (const partition of partitions) if (set.has(partition)) this.ownedTwice++
    }
    this.owned.set(member, new Set(partitions))
  }

  leaving(member: string): void {
    this.#leaving.add(member)
  }

  release(member: string): void {
    this.owned.delete(member)
  }

  delivered(member: string, partition: number): void {
    if (!this.owned.get(member)?.has(partition)) this.deliveredToNonOwner++
  }

  /** Each partition's one owner, when every partition has exactly one. */
  owners(partitions: number): Map<number, string> | undefined {
    const owners = new Map<number, string>()
    for (const [member, set] of this.owned) {
      for (const partition of set) {
        if (owners.has(partition)) return undefined
        owners.set(partition, member)
      }
    }
    return owners.size === partitions ? owners : undefined
  }
}

class Member {
  readonly deliveries: Delivery[] = []
  readonly consumer: Consumer
  readonly #ledger: OwnershipLedger
  #name = ''

  constructor(cluster: Cluster, ledger: OwnershipLedger) {
    this.#ledger = ledger
    this.consumer = cluster.consumer({ groupId: GROUP, sessionTimeout: 10_000 })
    const assigned = (event: InstrumentationEvent) => {
      const payload = event.payload as {
        memberId: string
        memberAssignment: Record<string, number[]>
      }
      this.#name = payload.memberId
      ledger.take(payload.memberId, payload.memberAssignment[TOPIC] ?? [])
    }
    this.consumer.on(this.consumer.events.GROUP_JOIN, assigned)
    // An eager member has given all its partitions up by the time it says it is rebalancing.
    this.consumer.on(this.consumer.events.REBALANCING, () => {
      if (this.#name !== '') ledger.release(this.#name)
    })
  }

  get name(): string {
    return this.#name
  }

  async start(): Promise<void> {
    await this.consumer.connect()
    await this.consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        this.#ledger.delivered(this.#name, partition)
        this.deliveries.push({ partition, offset: Number(message.offset), at: performance.now() })
      },
    })
  }

  async leave(): Promise<void> {
    this.#ledger.leaving(this.#name)
    await this.consumer.disconnect()
  }
}

/** Sends one record to every partition, again and again, until stopped. */
function steadyLoad(producer: Producer, partitions: number) {
  let running = true
  let produced = 0
  const done = (async () => {
    while (running) {
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: partitions }, (_, partition) => ({
          partition,
          value: `${produced}`,
        })),
      })
      produced += partitions
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  })()
  return {
    get produced() {
      return produced
    },
    async stop() {
      running = false
      await done
    },
  }
}

/**
 * When `partition` was first delivered at or after `since`. Deliveries are in time order, so
 * the scan goes backwards and stops at `since`: this runs every millisecond while the group
 * settles, and must not take the CPU the members need.
 */
function firstSince(deliveries: readonly Delivery[], partition: number, since: number) {
  let first: number | undefined
  for (let i = deliveries.length - 1; i >= 0; i--) {
    const delivery = deliveries[i] as Delivery
    if (delivery.at < since) break
    if (delivery.partition === partition) first = delivery.at
  }
  return first
}

/** Waits until each partition has one owner that has received a record of it since `since`. */
async function settled(
  members: readonly Member[],
  ledger: OwnershipLedger,
  partitions: number,
  since: number,
): Promise<number> {
  const deadline = performance.now() + CHANGE_TIMEOUT_MS
  const byName = new Map<string, Member>()
  for (;;) {
    for (const member of members) byName.set(member.name, member)
    const owners = ledger.owners(partitions)
    if (owners !== undefined) {
      let latest = 0
      let complete = true
      for (const [partition, owner] of owners) {
        const first = firstSince(byName.get(owner)?.deliveries ?? [], partition, since)
        if (first === undefined) {
          complete = false
          break
        }
        latest = Math.max(latest, first)
      }
      if (complete) return latest - since
    }
    if (performance.now() > deadline) {
      throw new Error(`the group did not settle within ${CHANGE_TIMEOUT_MS} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

export async function runRebalance(options: RebalanceOptions): Promise<RebalanceReport> {
  const cluster = await Cluster.start({ brokers: 3, seed: options.seed })
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: options.partitions }] })
    const ledger = new OwnershipLedger()
    const members: Member[] = []
    const everyMember: Member[] = []
    const producer = cluster.producer({ lingerMs: 0 })
    await producer.connect()
    const load = steadyLoad(producer, options.partitions)
    for (let i = 0; i < options.members; i++) {
      const member = new Member(cluster, ledger)
      await member.start()
      members.push(member)
      everyMember.push(member)
    }
    await settled(members, ledger, options.partitions, performance.now())
    const joinMs: number[] = []
    const leaveMs: number[] = []
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const leaving = members.shift() as Member
      const leftAt = performance.now()
      await leaving.leave()
      leaveMs.push(await settled(members, ledger, options.partitions, leftAt))
      const joining = new Member(cluster, ledger)
      const joinedAt = performance.now()
      members.push(joining)
      everyMember.push(joining)
      await joining.start()
      joinMs.push(await settled(members, ledger, options.partitions, joinedAt))
    }
    await load.stop()
    // Every record produced must reach some member: a commit never skips one.
    const offsets = await admin.fetchTopicOffsets(TOPIC)
    const everyone = () => everyMember.flatMap((member) => member.deliveries)
    const deadline = performance.now() + CHANGE_TIMEOUT_MS
    let skipped = 0
    for (;;) {
      const seen = new Map<number, Set<number>>()
      for (const { partition, offset } of everyone()) {
        let set = seen.get(partition)
        if (set === undefined) {
          set = new Set()
          seen.set(partition, set)
        }
        set.add(offset)
      }
      skipped = 0
      for (const { partition, high } of offsets) {
        const set = seen.get(partition) ?? new Set<number>()
        for (let offset = 0; offset < Number(high); offset++) if (!set.has(offset)) skipped++
      }
      if (skipped === 0 || performance.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await producer.disconnect()
    return {
      ...options,
      joins: joinMs.length,
      leaves: leaveMs.length,
      joinMsP50: percentile(joinMs, 0.5),
      joinMsP99: percentile(joinMs, 0.99),
      leaveMsP50: percentile(leaveMs, 0.5),
      leaveMsP99: percentile(leaveMs, 0.99),
      recordsProduced: load.produced,
      ownedTwice: ledger.ownedTwice,
      deliveredToNonOwner: ledger.deliveredToNonOwner,
      skipped,
      verified: ledger.ownedTwice === 0 && ledger.deliveredToNonOwner === 0 && skipped === 0,
    }
  } finally {
    await cluster.stop()
  }
}
