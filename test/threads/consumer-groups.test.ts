import { afterEach, describe, expect, it } from 'vitest'
import {
  type ProduceReply,
  partitionBatch,
  producedOrThrow,
  produceRequest,
} from '../../src/actors/broker/broker-protocol.js'
import {
  OFFSETS_TOPIC_PARTITIONS,
  offsetsPartitionFor,
} from '../../src/actors/coordinator/offsets-topic.js'
import { OFFSETS_TOPIC } from '../../src/actors/internal-topics.js'
import type {
  CoordinatorAddress,
  MetadataSnapshot,
} from '../../src/actors/supervisor/supervisor-protocol.js'
import { AssignerProtocol, PartitionAssigners } from '../../src/api/assigners/index.js'
import { Cluster } from '../../src/api/cluster.js'
import type { Consumer, ConsumerConfig, InstrumentationEvent } from '../../src/api/consumer.js'
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from '../../src/api/errors.js'
import { defineActor } from '../../src/runtime/index.js'
import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import type { JoinGroup, MemberReport } from '../fixtures/group-member-thread.js'
import { until } from '../support/within.js'

const clusters: Cluster[] = []

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function startCluster(): Promise<Cluster> {
  const cluster = await Cluster.start({ brokers: 3 })
  clusters.push(cluster)
  return cluster
}

async function createTopic(
  cluster: Cluster,
  topic: string,
  numPartitions: number,
  replicationFactor = 1,
) {
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor }] })
  await admin.disconnect()
}

/** Appends `count` records (values "p:i") to one partition through its leader. */
async function produce(cluster: Cluster, topic: string, partition: number, count: number) {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [topic],
  })
  const leader = metadata.topics[0]?.partitions.find(
    (entry) => entry.partition === partition,
  )?.leader
  const broker = cluster.brokerRefs[leader ?? -1]
  if (broker === undefined) throw new Error(`no leader for ${topic}-${partition}`)
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value: Buffer.from(`${partition}:${i}`),
  }))
  const reply = await broker.ask<ProduceReply>(
    produceRequest(1, [
      partitionBatch(topic, partition, encodeRecordBatch({ records, timestamp: Date.now() })),
    ]),
  )
  reply.partitions.map(producedOrThrow)
}

/** Each member's partitions of `topic`, from the coordinator's own description of the group. */
async function assignments(cluster: Cluster, groupId: string, topic: string) {
  const admin = cluster.admin()
  await admin.connect()
  const { groups } = await admin.describeGroups([groupId])
  await admin.disconnect()
  const group = groups[0]
  const byMember = new Map<string, number[]>()
  for (const member of group?.members ?? []) {
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
    byMember.set(
      member.memberId,
      [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b),
    )
  }
  return { state: group?.state, byMember }
}

/** Whether every partition below `count` is owned by exactly one member. */
function exactlyOnce(byMember: ReadonlyMap<string, readonly number[]>, count: number): boolean {
  const owned = [...byMember.values()].flat().sort((a, b) => a - b)
  return owned.length === count && owned.every((partition, index) => partition === index)
}

interface Member {
  readonly consumer: Consumer
  readonly seen: { partition: number; offset: number }[]
  readonly joins: InstrumentationEvent[]
}

async function member(
  cluster: Cluster,
  topic: string | RegExp,
  config: Partial<ConsumerConfig> & { readonly groupId: string },
  handle?: (partition: number, offset: number) => Promise<void>,
): Promise<Member> {
  const consumer = cluster.consumer({ heartbeatInterval: 100, sessionTimeout: 3_000, ...config })
  const seen: { partition: number; offset: number }[] = []
  const joins: InstrumentationEvent[] = []
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joins.push(event)
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      await handle?.(partition, Number(message.offset))
      seen.push({ partition, offset: Number(message.offset) })
    },
  })
  return { consumer, seen, joins }
}

/** The broker coordinating `groupId`, or -1 while there is none (an election under way). */
async function coordinatorOf(cluster: Cluster, groupId: string): Promise<number> {
  const address = await cluster.supervisor
    .ask<CoordinatorAddress>({ type: 'find-coordinator', groupId })
    .catch(() => undefined)
  return address?.brokerId ?? -1
}

describe('consumer groups', () => {
  it('splits partitions between two, then ten members: no partition twice, none left out', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'split', 30)
    const members = [
      await member(cluster, 'split', { groupId: 'g' }),
      await member(cluster, 'split', { groupId: 'g' }),
    ]
    await until('two members sharing 30 partitions', async () => {
      const { state, byMember } = await assignments(cluster, 'g', 'split')
      return state === 'Stable' && byMember.size === 2 && exactlyOnce(byMember, 30)
    })
    for (let i = 0; i < 8; i++) members.push(await member(cluster, 'split', { groupId: 'g' }))
    let final = new Map<string, number[]>()
    await until('ten members sharing 30 partitions', async () => {
      const { state, byMember } = await assignments(cluster, 'g', 'split')
      final = byMember
      return state === 'Stable' && byMember.size === 10 && exactlyOnce(byMember, 30)
    })
    expect([...final.values()].map((owned) => owned.length)).toEqual(Array(10).fill(3))
    // Each record is consumed once, by the member that owns its partition.
    for (let partition = 0; partition < 30; partition++)
      await produce(cluster, 'split', partition, 1)
    await until(
      'every record consumed',
      () => members.reduce((sum, { seen }) => sum + seen.length, 0) >= 30,
    )
    const consumedBy = new Map<number, number>()
    members.forEach(({ seen }, index) => {
      for (const { partition } of seen) {
        expect(consumedBy.has(partition)).toBe(false)
        consumedBy.set(partition, index)
      }
    })
    expect(consumedBy.size).toBe(30)
  })

  it('hands a leaving member’s partitions over, resuming at the committed offsets', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'handover', 4)
    const a = await member(cluster, 'handover', { groupId: 'h' })
    const b = await member(cluster, 'handover', { groupId: 'h' })
    await until('both members assigned', async () => {
      const { state, byMember } = await assignments(cluster, 'h', 'handover')
      return state === 'Stable' && byMember.size === 2 && exactlyOnce(byMember, 4)
    })
    for (let partition = 0; partition < 4; partition++)
      await produce(cluster, 'handover', partition, 5)
    await until('20 records consumed', () => a.seen.length + b.seen.length === 20)
    const aPartitions = [...new Set(a.seen.map(({ partition }) => partition))]
    await a.consumer.disconnect()
    const admin = cluster.admin()
    await admin.connect()
    // The leaver committed on its way out; the stayer commits after each batch.
    const [onLeaving] = await admin.fetchOffsets({ groupId: 'h', topics: ['handover'] })
    for (const partition of aPartitions) {
      expect(onLeaving?.partitions[partition]?.offset).toBe('5')
    }
    await until('every partition committed at 5', async () => {
      const [committed] = await admin.fetchOffsets({ groupId: 'h', topics: ['handover'] })
      return committed?.partitions.every(({ offset }) => offset === '5') === true
    })
    await until('b owns all four partitions', async () => {
      const { byMember } = await assignments(cluster, 'h', 'handover')
      return byMember.size === 1 && exactlyOnce(byMember, 4)
    })
    const before = b.seen.length
    for (const partition of aPartitions) await produce(cluster, 'handover', partition, 2)
    await until(
      'b consumes the new records',
      () => b.seen.length === before + 2 * aPartitions.length,
    )
    // Nothing a committed before it left came again.
    for (const { partition, offset } of b.seen.slice(before)) {
      expect(aPartitions).toContain(partition)
      expect(offset).toBeGreaterThanOrEqual(5)
    }
  })

  it('moves a crashed member’s partitions (its thread killed) and redelivers from the commit', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'crash', 4)
    const consumed: Extract<MemberReport, { type: 'consumed' }>[] = []
    const running = new Set<string>()
    const collector = cluster.system.spawn(
      defineActor<MemberReport, null>({
        parseMessage: (value) => value as MemberReport,
        init: () => null,
        receive: (state, message) => {
          if (message.type === 'running') running.add(message.member)
          else consumed.push(message)
          return state
        },
      }),
      { name: 'collector', args: undefined },
    )
    const spawnMember = async (name: string) => {
      const ref = await cluster.system.spawnOnThread<JoinGroup>({
        module: new URL('../fixtures/group-member-thread.ts', import.meta.url),
        exportName: 'groupMember',
        name,
        args: undefined,
        supervision: { strategy: 'stop' },
      })
      ref.tell({
        type: 'join',
        supervisor: cluster.supervisor,
        reportTo: collector,
        member: name,
        groupId: 'c',
        topic: 'crash',
        sessionTimeout: 500,
        heartbeatInterval: 50,
      })
      return ref
    }
    const doomed = await spawnMember('doomed')
    await spawnMember('survivor')
    await until('both members running and assigned', async () => {
      const { state, byMember } = await assignments(cluster, 'c', 'crash')
      return (
        running.size === 2 && state === 'Stable' && byMember.size === 2 && exactlyOnce(byMember, 4)
      )
    })
    for (let partition = 0; partition < 4; partition++)
      await produce(cluster, 'crash', partition, 10)
    await until('40 records consumed', () => consumed.length === 40)
    const doomedPartitions = [
      ...new Set(consumed.filter((c) => c.member === 'doomed').map((c) => c.partition)),
    ]
    expect(doomedPartitions.length).toBeGreaterThan(0)
    const admin = cluster.admin()
    await admin.connect()
    await until('the consumed offsets committed', async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: 'c', topics: ['crash'] })
      return offsets?.partitions.every(({ offset }) => offset === '10') === true
    })
    cluster.system.crashThread(doomed, 'killed by the test')
    for (const partition of doomedPartitions) await produce(cluster, 'crash', partition, 3)
    await until('the survivor takes the dead member’s partitions', () =>
      doomedPartitions.every(
        (partition) =>
          consumed.filter((c) => c.member === 'survivor' && c.partition === partition).length === 3,
      ),
    )
    for (const partition of doomedPartitions) {
      const offsets = consumed
        .filter((c) => c.member === 'survivor' && c.partition === partition)
        .map((c) => c.offset)
      expect(offsets).toEqual([10, 11, 12])
    }
  })

  it('keeps unaffected partitions assigned through a cooperative-sticky rebalance', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'sticky', 6)
    const config = { groupId: 's', partitionAssigners: [PartitionAssigners.cooperativeSticky] }
    const first = await member(cluster, 'sticky', config)
    const second = await member(cluster, 'sticky', config)
    await until('two members with three partitions each', async () => {
      const { state, byMember } = await assignments(cluster, 's', 'sticky')
      return state === 'Stable' && byMember.size === 2 && exactlyOnce(byMember, 6)
    })
    const joinsBefore = [first.joins.length, second.joins.length]
    const third = await member(cluster, 'sticky', config)
    await until('three members with two partitions each', async () => {
      const { state, byMember } = await assignments(cluster, 's', 'sticky')
      return (
        state === 'Stable' &&
        byMember.size === 3 &&
        exactlyOnce(byMember, 6) &&
        [...byMember.values()].every((owned) => owned.length === 2)
      )
    })
    for (const [index, existing] of [first, second].entries()) {
      const history = existing.joins
        .slice((joinsBefore[index] as number) - 1)
        .map(
          (event) =>
            ((event.payload as { memberAssignment: Record<string, number[]> }).memberAssignment
              .sticky ?? []) as number[],
        )
      const final = history.at(-1) ?? []
      // What a member keeps in the end, it had at every step of the rebalance.
      for (const owned of history) for (const partition of final) expect(owned).toContain(partition)
      expect(final.length).toBe(2)
    }
    expect(third.joins.length).toBeGreaterThan(0)
  })

  it('rejects the commit of a member fenced out of the group', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'fenced', 2)
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let holding = false
    let commitError: unknown
    let zombie: Member | undefined
    zombie = await member(
      cluster,
      'fenced',
      { groupId: 'f', rebalanceTimeout: 300 },
      async (partition, offset) => {
        if (offset !== 0) return
        holding = true
        await held
        commitError = await zombie?.consumer
          .commitOffsets([{ topic: 'fenced', partition, offset: '1' }])
          .then(
            () => undefined,
            (error: unknown) => error,
          )
      },
    )
    // A failure must not leave the handler holding, or the cluster could not stop.
    try {
      await produce(cluster, 'fenced', 0, 1)
      await produce(cluster, 'fenced', 1, 1)
      await until('the zombie holding a message', () => holding)
      await member(cluster, 'fenced', { groupId: 'f', rebalanceTimeout: 300 })
      await until('the group rebalanced without the zombie', async () => {
        const { state, byMember } = await assignments(cluster, 'f', 'fenced')
        return state === 'Stable' && byMember.size === 1 && exactlyOnce(byMember, 2)
      })
    } finally {
      release()
    }
    await until('the zombie tried to commit', () => commitError !== undefined)
    expect(commitError).toBeInstanceOf(KafkaJSProtocolError)
    expect(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']).toContain(
      (commitError as KafkaJSProtocolError).type,
    )
  })

  it('disconnects at once while a rebalance waits for a member stuck in its handler', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'stuck', 2)
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let holding = false
    const config = { groupId: 'st2', rebalanceTimeout: 20_000 }
    const stuck = await member(cluster, 'stuck', config, async () => {
      holding = true
      await held
    })
    // A failure must not leave the handler holding, or the cluster could not stop.
    try {
      const leaver = await member(cluster, 'stuck', config)
      await until('both members assigned', async () => {
        const { state, byMember } = await assignments(cluster, 'st2', 'stuck')
        return state === 'Stable' && byMember.size === 2
      })
      for (let partition = 0; partition < 2; partition++)
        await produce(cluster, 'stuck', partition, 1)
      await until('a member held in its handler', () => holding)
      // A newcomer starts a rebalance that cannot finish while the stuck member holds on.
      const newcomer = member(cluster, 'stuck', config)
      await until('the rebalance under way', async () => {
        const { state } = await assignments(cluster, 'st2', 'stuck')
        return state === 'PreparingRebalance'
      })
      await leaver.consumer.disconnect()
      // The leaver is gone while the rebalance still waits: it did not wait for it to end.
      const { state, byMember } = await assignments(cluster, 'st2', 'stuck')
      expect(state).toBe('PreparingRebalance')
      expect(byMember.size).toBe(2)
      release()
      await newcomer
    } finally {
      release()
    }
    await until('the two left share the partitions', async () => {
      const now = await assignments(cluster, 'st2', 'stuck')
      return now.state === 'Stable' && now.byMember.size === 2 && exactlyOnce(now.byMember, 2)
    })
    await stuck.consumer.disconnect()
  })

  it('keeps committed offsets when the coordinator’s broker is killed', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'durable', 3, 3)
    const first = await member(cluster, 'durable', { groupId: 'd' })
    for (let partition = 0; partition < 3; partition++)
      await produce(cluster, 'durable', partition, 4)
    await until('12 records consumed', () => first.seen.length === 12)
    await first.consumer.disconnect()
    const coordinator = await coordinatorOf(cluster, 'd')
    await cluster.faults.killBroker(coordinator)
    await until(
      'another coordinator',
      async () => (await coordinatorOf(cluster, 'd')) !== coordinator,
    )
    const admin = cluster.admin()
    await admin.connect()
    const [offsets] = await admin.fetchOffsets({ groupId: 'd', topics: ['durable'] })
    expect(offsets?.partitions.map(({ offset }) => offset)).toEqual(['4', '4', '4'])
    // A new member starts where the first left off.
    const next = await member(cluster, 'durable', { groupId: 'd' })
    for (let partition = 0; partition < 3; partition++)
      await produce(cluster, 'durable', partition, 1)
    await until('the new records consumed', () => next.seen.length === 3)
    expect(next.seen.map(({ offset }) => offset)).toEqual([4, 4, 4])
  })

  it('keeps every live commit through a coordinator failover after its ring wrapped', async () => {
    const cluster = await startCluster()
    const admin = cluster.admin()
    await admin.connect()
    // Two groups kept in one offsets partition: the quiet one's only commit is its oldest record.
    const quiet = 'quiet'
    const busy = Array.from({ length: 100 }, (_, i) => `busy-${i}`).find(
      (groupId) =>
        offsetsPartitionFor(groupId, OFFSETS_TOPIC_PARTITIONS) ===
        offsetsPartitionFor(quiet, OFFSETS_TOPIC_PARTITIONS),
    ) as string
    await admin.setOffsets({
      groupId: quiet,
      topic: 'elsewhere',
      partitions: [{ partition: 0, offset: '42' }],
    })
    const partitions = Array.from({ length: 200 }, (_, partition) => ({ partition, offset: '0' }))
    const wrapped = async () => {
      const offsets = await admin.fetchTopicOffsets(OFFSETS_TOPIC)
      const partition = offsetsPartitionFor(quiet, OFFSETS_TOPIC_PARTITIONS)
      return Number(offsets.find((entry) => entry.partition === partition)?.low) > 0
    }
    for (let round = 1; !(await wrapped()); round++) {
      expect(round).toBeLessThan(2_000)
      await admin.setOffsets({
        groupId: busy,
        topic: 'busy',
        partitions: partitions.map(({ partition }) => ({ partition, offset: String(round) })),
      })
    }
    await cluster.faults.killBroker(await coordinatorOf(cluster, quiet))
    const [kept] = await admin.fetchOffsets({ groupId: quiet })
    expect(kept).toEqual({
      topic: 'elsewhere',
      partitions: [{ partition: 0, offset: '42', metadata: null }],
    })
  })

  it('gives a static member that comes back within its session its partitions, without a rebalance', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'static', 4)
    const config = { groupId: 'st', groupInstanceId: 'instance-a', sessionTimeout: 10_000 }
    const a = await member(cluster, 'static', config)
    const b = await member(cluster, 'static', { groupId: 'st' })
    await until('both members assigned', async () => {
      const { state, byMember } = await assignments(cluster, 'st', 'static')
      return state === 'Stable' && byMember.size === 2 && exactlyOnce(byMember, 4)
    })
    const aJoin = a.joins.at(-1)?.payload as { memberAssignment: Record<string, number[]> }
    const bJoins = b.joins.length
    await a.consumer.disconnect()
    const again = await member(cluster, 'static', config)
    const againJoin = again.joins.at(-1)?.payload as { memberAssignment: Record<string, number[]> }
    expect(againJoin.memberAssignment.static).toEqual(aJoin.memberAssignment.static)
    const { byMember } = await assignments(cluster, 'st', 'static')
    expect(byMember.size).toBe(2)
    expect(b.joins.length).toBe(bJoins)
  })

  it('picks up topics created later that match a RegExp subscription', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'events-a', 1)
    const consumer = await member(cluster, /^events-/, { groupId: 'r' })
    await createTopic(cluster, 'events-b', 2)
    await createTopic(cluster, 'other', 1)
    await produce(cluster, 'events-b', 1, 2)
    await produce(cluster, 'other', 0, 1)
    await until('the later topic’s records', () => consumer.seen.length === 2)
    const { byMember } = await assignments(cluster, 'r', 'events-b')
    expect([...byMember.values()][0]).toEqual([0, 1])
  })

  it('lists, describes, fetches, sets, resets and deletes groups through the admin client', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'admin', 2)
    const admin = cluster.admin()
    await admin.connect()
    const running = await member(cluster, 'admin', { groupId: 'busy' })
    await admin.setOffsets({
      groupId: 'idle',
      topic: 'admin',
      partitions: [
        { partition: 0, offset: '7' },
        { partition: 1, offset: '3' },
      ],
    })
    expect((await admin.listGroups()).groups).toEqual([
      { groupId: 'busy', protocolType: 'consumer' },
      { groupId: 'idle', protocolType: 'consumer' },
    ])
    const { groups } = await admin.describeGroups(['busy', 'idle', 'nobody'])
    expect(groups.map(({ groupId, state, members }) => [groupId, state, members.length])).toEqual([
      ['busy', 'Stable', 1],
      ['idle', 'Empty', 0],
      ['nobody', 'Dead', 0],
    ])
    expect(groups[0]?.protocol).toBe('RoundRobinAssigner')
    expect(await admin.fetchOffsets({ groupId: 'idle', topics: ['admin'] })).toEqual([
      {
        topic: 'admin',
        partitions: [
          { partition: 0, offset: '7', metadata: null },
          { partition: 1, offset: '3', metadata: null },
        ],
      },
    ])
    await admin.resetOffsets({ groupId: 'idle', topic: 'admin', earliest: true })
    const [reset] = await admin.fetchOffsets({ groupId: 'idle' })
    expect(reset?.partitions.map(({ offset }) => offset)).toEqual(['-2', '-2'])
    // resolveOffsets turns the sentinels into real offsets, and stores them (KafkaJS).
    await admin.resetOffsets({ groupId: 'idle', topic: 'admin' })
    await produce(cluster, 'admin', 0, 3)
    const [resolved] = await admin.fetchOffsets({
      groupId: 'idle',
      topics: ['admin'],
      resolveOffsets: true,
    })
    expect(resolved?.partitions.map(({ offset }) => offset)).toEqual(['3', '0'])
    const [stored] = await admin.fetchOffsets({ groupId: 'idle', topics: ['admin'] })
    expect(stored?.partitions.map(({ offset }) => offset)).toEqual(['3', '0'])
    await expect(
      admin.setOffsets({
        groupId: 'busy',
        topic: 'admin',
        partitions: [{ partition: 0, offset: '1' }],
      }),
    ).rejects.toThrow(/no running instances/)
    await expect(admin.deleteGroups(['busy'])).rejects.toMatchObject({ type: 'NON_EMPTY_GROUP' })
    await expect(admin.deleteGroups(['nobody'])).rejects.toMatchObject({
      type: 'GROUP_ID_NOT_FOUND',
    })
    expect(await admin.deleteGroups(['idle'])).toEqual([{ groupId: 'idle', errorCode: 0 }])
    expect((await admin.listGroups()).groups.map(({ groupId }) => groupId)).toEqual(['busy'])
    await running.consumer.disconnect()
  })

  it('emits KafkaJS’s group events, and auto-commits by threshold and by resolved offset', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'events', 2)
    await produce(cluster, 'events', 0, 7)
    const consumer = cluster.consumer({ groupId: 'ev', heartbeatInterval: 20 })
    const events: InstrumentationEvent[] = []
    for (const type of ['HEARTBEAT', 'COMMIT_OFFSETS', 'GROUP_JOIN', 'REBALANCING'] as const) {
      consumer.on(consumer.events[type], (event) => {
        events.push(event)
      })
    }
    await consumer.connect()
    await consumer.subscribe({ topic: 'events', fromBeginning: true })
    let handled = 0
    await consumer.run({
      autoCommitThreshold: 3,
      eachMessage: async () => {
        handled++
      },
    })
    await until(
      'seven handled and a heartbeat',
      () => handled === 7 && events.some((event) => event.type === consumer.events.HEARTBEAT),
    )
    const commits = events
      .filter((event) => event.type === consumer.events.COMMIT_OFFSETS)
      .map((event) => (event.payload as { topics: { partitions: { offset: string }[] }[] }).topics)
    // Every third record, then the rest at the end of the batch.
    expect(commits.map((topics) => topics[0]?.partitions[0]?.offset)).toEqual(['3', '6', '7'])
    const commit = events.find((event) => event.type === consumer.events.COMMIT_OFFSETS)
    expect(commit?.payload).toMatchObject({
      groupId: 'ev',
      topics: [{ topic: 'events', partitions: [{ partition: '0', offset: '3' }] }],
    })
    const heartbeat = events.find((event) => event.type === consumer.events.HEARTBEAT)
    expect(heartbeat?.payload).toMatchObject({ groupId: 'ev', groupGenerationId: 1 })
    expect(
      events.find((event) => event.type === consumer.events.REBALANCING)?.payload,
    ).toMatchObject({ groupId: 'ev' })
    await consumer.disconnect()
    // eachBatch: only what is resolved is committed, and the next member starts there.
    await produce(cluster, 'events', 1, 5)
    const batcher = cluster.consumer({ groupId: 'batches' })
    await batcher.connect()
    await batcher.subscribe({ topic: 'events', fromBeginning: true })
    let resolvedOne = false
    await batcher.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        // Later batches (the unresolved records again) are left unresolved.
        if (batch.partition !== 1 || resolvedOne) return
        resolveOffset(batch.messages[1]?.offset as string)
        resolvedOne = true
      },
    })
    await until('a batch resolved', () => resolvedOne)
    await batcher.disconnect()
    const admin = cluster.admin()
    await admin.connect()
    const [offsets] = await admin.fetchOffsets({ groupId: 'batches', topics: ['events'] })
    expect(offsets?.partitions[1]?.offset).toBe('2')
  })

  it('refuses bad input with typed errors', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'bad', 2)
    expect(() => cluster.consumer({ groupId: '' })).toThrow(KafkaJSNonRetriableError)
    expect(() =>
      cluster.consumer({ groupId: 'x', partitionAssigners: ['sticky' as never] }),
    ).toThrow(/unknown assignor "sticky"/)
    const admin = cluster.admin()
    await admin.connect()
    await expect(admin.describeGroups([''])).rejects.toMatchObject({ type: 'INVALID_GROUP_ID' })
    const { consumer } = await member(cluster, 'bad', { groupId: 'b' })
    await expect(
      consumer.commitOffsets([{ topic: 'bad', partition: 0, offset: '-5' }]),
    ).rejects.toThrow(/must not be a negative number/)
    await expect(
      consumer.commitOffsets([{ topic: 'bad', partition: 9, offset: '1' }]),
    ).rejects.toThrow(/not assigned to this member/)
    await consumer.commitOffsets([{ topic: 'bad', partition: 1, offset: '1' }])
    const [offsets] = await admin.fetchOffsets({ groupId: 'b', topics: ['bad'] })
    expect(offsets?.partitions[1]?.offset).toBe('1')
  })
})
