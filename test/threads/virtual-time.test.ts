import { afterEach, describe, expect, it } from 'vitest'
import { AssignerProtocol } from '../../src/api/assigners/index.js'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'
import { defineActor } from '../../src/runtime/index.js'
import {
  readTopic,
  WaitTimeoutError,
  waitForGroupStable,
  waitForZeroLag,
} from '../../src/testing/index.js'
import type { JoinGroup, MemberReport } from '../fixtures/group-member-thread.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function startVirtual(options: ClusterOptions = {}): Promise<Cluster> {
  const cluster = await Cluster.start({ brokers: 3, ...options, clock: 'virtual' })
  clusters.push(cluster)
  return cluster
}

async function createTopic(
  cluster: Cluster,
  topic: string,
  numPartitions: number,
  replicationFactor: number,
  configEntries: { name: string; value: string }[] = [],
) {
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor, configEntries }] })
  await admin.disconnect()
}

async function leaders(cluster: Cluster, topic: string): Promise<number[]> {
  const admin = cluster.admin()
  await admin.connect()
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
  await admin.disconnect()
  return (topics[0]?.partitions ?? [])
    .sort((a, b) => a.partitionId - b.partitionId)
    .map((partition) => partition.leader)
}

/** Advances in steps of `stepMs` until `check` holds; fails after `maxMs` of virtual time. */
async function advanceUntil(
  cluster: Cluster,
  what: string,
  check: () => boolean | Promise<boolean>,
  stepMs = 100,
  maxMs = 60_000,
) {
  for (let waited = 0; !(await check()); waited += stepMs) {
    if (waited >= maxMs) throw new Error(`${what}: not after ${maxMs} ms of virtual time`)
    await cluster.clock.advance(stepMs)
  }
}

/** Each member's partitions of `topic`, from the coordinator's description of the group. */
async function assignments(cluster: Cluster, groupId: string, topic: string) {
  const admin = cluster.admin()
  await admin.connect()
  const { groups } = await admin.describeGroups([groupId])
  await admin.disconnect()
  const byMember = new Map<string, number[]>()
  for (const member of groups[0]?.members ?? []) {
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
    byMember.set(
      member.memberId,
      [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b),
    )
  }
  return { state: groups[0]?.state, byMember }
}

describe('virtual time', () => {
  it('stands still until advanced, and moves by exactly what it is told', async () => {
    const cluster = await startVirtual({ brokers: 1 })
    const start = cluster.clock.now()
    await createTopic(cluster, 'still', 1, 1)
    expect(cluster.clock.now()).toBe(start)
    await cluster.clock.advance(12_345)
    expect(cluster.clock.now()).toBe(start + 12_345)
    await expect(cluster.clock.advance(-1)).rejects.toThrow('advance')
  })

  it('resolves an advance once what fell due has run through: a linger, the produce, the consume', async () => {
    const cluster = await startVirtual({ brokers: 1 })
    await createTopic(cluster, 'lingering', 1, 1)
    const consumer = cluster.consumer({ groupId: 'reader', maxWaitTimeInMs: 5_000 })
    const seen: string[] = []
    await consumer.connect()
    await consumer.subscribe({ topic: 'lingering', fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value))
      },
    })
    await advanceUntil(cluster, 'the consumer assigned', async () => {
      const { state } = await assignments(cluster, 'reader', 'lingering')
      return state === 'Stable'
    })
    const producer = cluster.producer({ lingerMs: 1_000 })
    await producer.connect()
    let sent = false
    const sending = producer
      .send({ topic: 'lingering', messages: [{ value: 'a' }, { value: 'b' }] })
      .then(() => {
        sent = true
      })
    await cluster.clock.advance(999)
    expect(sent).toBe(false)
    await cluster.clock.advance(1)
    expect(sent).toBe(true)
    expect(seen).toEqual(['a', 'b'])
    await sending
    await producer.disconnect()
    await consumer.disconnect()
  })

  it('refuses to advance a cluster on the real clock', async () => {
    const cluster = await Cluster.start({ brokers: 1 })
    clusters.push(cluster)
    await expect(cluster.clock.advance(1)).rejects.toThrow("clock: 'virtual'")
  })

  it('declares a broker paused past the session timeout dead, and fails its partitions over', async () => {
    const cluster = await startVirtual({ sessionTimeoutMs: 10_000 })
    await createTopic(cluster, 'moving', 3, 3)
    const before = await leaders(cluster, 'moving')
    expect(before).toContain(0)
    const downs: number[] = []
    cluster.on('broker.down', (event) => downs.push(event.brokerId ?? -1))
    await cluster.faults.pauseBroker(0)
    await cluster.clock.advance(9_000)
    expect(downs).toEqual([])
    expect(await leaders(cluster, 'moving')).toEqual(before)
    await cluster.clock.advance(2_000)
    expect(downs).toEqual([0])
    const after = await leaders(cluster, 'moving')
    expect(after).not.toContain(0)
    expect(after.every((leader) => leader === 1 || leader === 2)).toBe(true)
    const producer = cluster.producer()
    await producer.connect()
    const sent = await producer.send({
      topic: 'moving',
      messages: [0, 1, 2].map((partition) => ({ partition, value: `after-${partition}` })),
    })
    expect(sent.map((result) => result.errorCode)).toEqual([0, 0, 0])
    await producer.disconnect()
  })

  it('removes a group member paused past its 30 s session timeout and gives its partitions to the other', async () => {
    // Thread liveness outlasts the member's session: the member is paused, not dead.
    const cluster = await startVirtual({
      brokers: 1,
      sessionTimeoutMs: 600_000,
      heartbeatIntervalMs: 1_000,
    })
    await createTopic(cluster, 'shared', 4, 1)
    const running = new Set<string>()
    const collector = cluster.system.spawn(
      defineActor<MemberReport, null>({
        parseMessage: (value) => value as MemberReport,
        init: () => null,
        receive: (state, message) => {
          if (message.type === 'running') running.add(message.member)
          return state
        },
      }),
      { name: 'collector', args: undefined },
    )
    const pausedMember = await cluster.system.spawnOnThread<JoinGroup>({
      module: new URL('../fixtures/group-member-thread.ts', import.meta.url),
      exportName: 'groupMember',
      name: 'paused-member',
      args: undefined,
      supervision: { strategy: 'stop' },
    })
    pausedMember.tell({
      type: 'join',
      supervisor: cluster.supervisor,
      reportTo: collector,
      member: 'paused-member',
      groupId: 'g',
      topic: 'shared',
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    })
    await advanceUntil(cluster, 'the first member running', () => running.has('paused-member'))
    const survivor = cluster.consumer({
      groupId: 'g',
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    })
    await survivor.connect()
    await survivor.subscribe({ topic: 'shared', fromBeginning: true })
    await survivor.run({ eachMessage: async () => {} })
    await advanceUntil(cluster, 'two members sharing the partitions', async () => {
      const { state, byMember } = await assignments(cluster, 'g', 'shared')
      return state === 'Stable' && byMember.size === 2
    })
    const shared = await assignments(cluster, 'g', 'shared')
    expect([...shared.byMember.values()].flat().sort()).toEqual([0, 1, 2, 3])

    await cluster.system.pauseThread(pausedMember)
    await cluster.clock.advance(25_000)
    expect((await assignments(cluster, 'g', 'shared')).byMember.size).toBe(2)
    await cluster.clock.advance(6_000)
    await advanceUntil(cluster, 'the survivor alone, with every partition', async () => {
      const { state, byMember } = await assignments(cluster, 'g', 'shared')
      return state === 'Stable' && byMember.size === 1
    })
    const alone = await assignments(cluster, 'g', 'shared')
    expect([...alone.byMember.values()]).toEqual([[0, 1, 2, 3]])
    await survivor.disconnect()
  })

  it('has samsa/testing waits move virtual time until what they wait for happens, or their time is up', async () => {
    const cluster = await startVirtual({ brokers: 1 })
    await createTopic(cluster, 'tracked', 2, 1)
    const admin = cluster.admin()
    await admin.connect()
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({
      topic: 'tracked',
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 1 },
      ],
    })
    const consumer = cluster.consumer({ groupId: 'tracking' })
    await consumer.connect()
    await consumer.subscribe({ topic: 'tracked', fromBeginning: true })
    // The consumer's first read is answered 5 s later: the waits must move time that far.
    await cluster.rules.add({ api: 'Fetch', delayMs: 5_000, times: 1 })
    const seen: string[] = []
    const started = cluster.clock.now()
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value))
      },
    })
    await waitForGroupStable(admin, 'tracking', { members: 1 })
    await waitForZeroLag(admin, 'tracking', 'tracked')
    expect(seen.sort()).toEqual(['a', 'b'])
    expect(cluster.clock.now() - started).toBeGreaterThanOrEqual(5_000)

    const givenUpFrom = cluster.clock.now()
    const never = waitForGroupStable(admin, 'nobody', { timeoutMs: 60_000, intervalMs: 1_000 })
    await expect(never).rejects.toBeInstanceOf(WaitTimeoutError)
    await expect(never).rejects.toThrow('group nobody stable: not within 60000 ms')
    expect(cluster.clock.now() - givenUpFrom).toBe(60_000)
    await consumer.disconnect()
  })

  it('keeps a record through its hour of retention.ms, and drops it once it is older', async () => {
    // Broker liveness beats once a minute: an hour is then about a hundred steps, not 18,000.
    const cluster = await startVirtual({
      brokers: 1,
      heartbeatIntervalMs: 60_000,
      sessionTimeoutMs: 600_000,
    })
    await createTopic(cluster, 'hourly', 1, 1, [{ name: 'retention.ms', value: '3600000' }])
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({ topic: 'hourly', messages: [{ value: 'for an hour' }] })
    await producer.disconnect()
    const values = async () =>
      (await readTopic(cluster, 'hourly')).map((record) => record.value?.toString())
    await cluster.clock.advance(3_599_999)
    expect(await values()).toEqual(['for an hour'])
    // Exactly an hour old: Kafka deletes only what is older than retention.ms.
    await cluster.clock.advance(1)
    expect(await values()).toEqual(['for an hour'])
    await cluster.clock.advance(1)
    expect(await values()).toEqual([])
  })
})
