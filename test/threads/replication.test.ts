import { afterEach, describe, expect, it } from 'vitest'
import type { MetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'
import { LogState } from '../../src/runtime/log/log-header.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function replicatedTopic(options: ClusterOptions, minInsync = '1') {
  const cluster = await Cluster.start({ brokers: 3, ...options })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [
      {
        topic: 'r',
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: minInsync }],
      },
    ],
  })
  const { topics } = await admin.fetchTopicMetadata({ topics: ['r'] })
  const partition0 = topics[0]?.partitions.find((entry) => entry.partitionId === 0)
  if (partition0 === undefined) throw new Error('no partition 0')
  return { cluster, admin, partition0, partitions: topics[0]?.partitions ?? [] }
}

const high = async (admin: Awaited<ReturnType<typeof replicatedTopic>>['admin']) =>
  (await admin.fetchTopicOffsets('r')).find((entry) => entry.partition === 0)?.high

describe('replication', () => {
  it('places three replicas on distinct brokers, leaders spread, and acks=all once all have it', async () => {
    const { cluster, admin, partitions } = await replicatedTopic({})
    for (const entry of partitions) {
      expect(new Set(entry.replicas).size).toBe(3)
      expect(entry.replicas[0]).toBe(entry.leader)
      expect(entry.isr).toEqual(entry.replicas)
    }
    expect(new Set(partitions.map((entry) => entry.leader)).size).toBe(3)
    const producer = cluster.producer()
    await producer.connect()
    const sent = await producer.send({
      topic: 'r',
      acks: -1,
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
      ],
    })
    expect(sent).toMatchObject([{ partition: 0, baseOffset: '0' }])
    expect(await high(admin)).toBe('2')
  })

  it('holds the high watermark for a lagging follower until it leaves the ISR', async () => {
    const { cluster, admin, partition0 } = await replicatedTopic({
      clock: 'virtual',
      replicaLagTimeMaxMs: 1_500,
      sessionTimeoutMs: 60_000,
    })
    const producer = cluster.producer({ retry: { retries: 0 }, idempotent: false })
    await producer.connect()
    await producer.send({ topic: 'r', acks: -1, messages: [{ value: 'x', partition: 0 }] })
    const lagging = partition0.replicas[2] as number
    await cluster.faults.pauseBroker(lagging)
    await producer.send({ topic: 'r', acks: 1, messages: [{ value: 'y', partition: 0 }] })
    expect(await high(admin)).toBe('1')
    await cluster.clock.advance(1_000)
    expect(await high(admin)).toBe('1')
    // Past replica.lag.time.max.ms the paused follower is out, and what the rest have commits.
    await cluster.clock.advance(1_000)
    expect(await high(admin)).toBe('2')
    cluster.faults.resumeBroker(lagging)
  })

  it('lets a follower many reads behind catch up with no further appends to wake it', async () => {
    // On the virtual clock no idle timer fires: only the followers' own rounds can catch up.
    const { cluster, admin, partition0 } = await replicatedTopic({ clock: 'virtual' })
    const producer = cluster.producer({ idempotent: false })
    await producer.connect()
    const followers = partition0.replicas.slice(1)
    await Promise.all(followers.map((id) => cluster.faults.pauseBroker(id)))
    const value = Buffer.alloc(100, 7)
    const sends = 40
    for (let send = 0; send < sends; send++) {
      const messages = Array.from({ length: 1_000 }, () => ({ value, partition: 0 }))
      await producer.send({ topic: 'r', acks: 1, messages })
    }
    expect(await high(admin)).toBe('0')
    for (const id of followers) cluster.faults.resumeBroker(id)
    const deadline = Date.now() + 10_000
    while ((await high(admin)) !== String(sends * 1_000) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(await high(admin)).toBe(String(sends * 1_000))
  })

  it('refuses acks=all below min.insync.replicas, and accepts again once the follower is back', async () => {
    const { cluster, partition0 } = await replicatedTopic(
      { replicaLagTimeMaxMs: 300, sessionTimeoutMs: 60_000 },
      '3',
    )
    const producer = cluster.producer({ retry: { retries: 0 }, idempotent: false })
    await producer.connect()
    const lagging = partition0.replicas[1] as number
    await cluster.faults.pauseBroker(lagging)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const refused = (await producer
      .send({ topic: 'r', acks: -1, messages: [{ value: 'z', partition: 0 }] })
      .catch((error: unknown) => error)) as { type?: string; cause?: { type?: string } }
    expect(refused.type ?? refused.cause?.type).toBe('NOT_ENOUGH_REPLICAS')
    await expect(
      producer.send({ topic: 'r', acks: 1, messages: [{ value: 'one', partition: 0 }] }),
    ).resolves.toHaveLength(1)
    cluster.faults.resumeBroker(lagging)
    const patient = cluster.producer({ retry: { retries: 10, initialRetryTime: 100 } })
    await patient.connect()
    await expect(
      patient.send({ topic: 'r', acks: -1, messages: [{ value: 'back', partition: 0 }] }),
    ).resolves.toMatchObject([{ baseOffset: '1' }])
  })
})

describe('failover', () => {
  it('elects a new leader from the ISR when the leader dies; nothing acknowledged is lost', async () => {
    const { cluster, admin, partition0 } = await replicatedTopic({})
    const elections: unknown[] = []
    cluster.on('leader.elected', (event) => elections.push(event.detail))
    const producer = cluster.producer({ retry: { retries: 8, initialRetryTime: 50 } })
    await producer.connect()
    const send = (value: string) =>
      producer.send({ topic: 'r', acks: -1, messages: [{ value, partition: 0 }] })
    for (let index = 0; index < 20; index++) await send(`before-${index}`)
    await cluster.faults.killBroker(partition0.leader, { storage: 'keep' })
    for (let index = 0; index < 20; index++) await send(`after-${index}`)

    const { topics } = await admin.fetchTopicMetadata({ topics: ['r'] })
    const moved = topics[0]?.partitions.find((entry) => entry.partitionId === 0)
    expect(moved?.leader).not.toBe(partition0.leader)
    expect(partition0.replicas).toContain(moved?.leader)
    expect(elections).toContainEqual({ topic: 'r', partition: 0, leaderEpoch: 1 })

    const consumer = cluster.consumer({ groupId: 'check' })
    await consumer.connect()
    await consumer.subscribe({ topic: 'r', fromBeginning: true })
    const values: string[] = []
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (partition === 0) values.push(message.value?.toString() ?? '')
          if (values.length === 40) resolve()
        },
      })
    })
    const expected = [
      ...Array.from({ length: 20 }, (_, index) => `before-${index}`),
      ...Array.from({ length: 20 }, (_, index) => `after-${index}`),
    ]
    expect(values).toEqual(expected)
  })

  it('takes a partition offline when no replica is left, and back when one returns', async () => {
    const cluster = await Cluster.start({ brokers: 2 })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'o', replicationFactor: 2 }] })
    const offline: unknown[] = []
    cluster.on('partition.offline', (event) => offline.push(event.detail))
    const elected = new Promise((resolve) => cluster.on('leader.elected', resolve))
    await cluster.faults.killBroker(0)
    await elected
    const wentOffline = new Promise((resolve) => cluster.on('partition.offline', resolve))
    await cluster.faults.killBroker(1)
    await wentOffline
    expect(offline).toHaveLength(1)
    const producer = cluster.producer({ retry: { retries: 0 }, idempotent: false })
    await producer.connect()
    const refused = (await producer
      .send({ topic: 'o', messages: [{ value: 'x' }] })
      .catch((error: unknown) => error)) as { cause?: { type?: string } }
    expect(refused.cause?.type).toBe('LEADER_NOT_AVAILABLE')
    await cluster.faults.restartBroker(1)
    await expect(producer.send({ topic: 'o', messages: [{ value: 'y' }] })).resolves.toHaveLength(1)
  })
})

describe('restarts and unclean election', () => {
  it.each(['keep', 'lose'] as const)(
    'a follower restarted with its storage %s copies again and rejoins the ISR',
    async (storage) => {
      const { cluster, admin, partition0 } = await replicatedTopic({
        replicaLagTimeMaxMs: 300,
      })
      const producer = cluster.producer({
        retry: { retries: 5, initialRetryTime: 50 },
        idempotent: false,
      })
      await producer.connect()
      const follower = partition0.replicas[1] as number
      const isrOf = async () =>
        (await admin.fetchTopicMetadata({ topics: ['r'] })).topics[0]?.partitions.find(
          (entry) => entry.partitionId === 0,
        )?.isr ?? []
      await cluster.faults.killBroker(follower, { storage })
      await producer.send({
        topic: 'r',
        acks: 1,
        messages: [{ value: 'while-down', partition: 0 }],
      })
      // Past the lag time the dead follower is out of the ISR.
      for (let wait = 0; wait < 50 && (await isrOf()).includes(follower); wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(await isrOf()).not.toContain(follower)
      await cluster.faults.restartBroker(follower)
      for (let wait = 0; wait < 50 && !(await isrOf()).includes(follower); wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(await isrOf()).toContain(follower)
    },
  )

  it('keeps a partition offline without unclean election, and elects a lagging replica with it', async () => {
    const outcome = async (uncleanLeaderElection: boolean) => {
      const cluster = await Cluster.start({
        brokers: 2,
        uncleanLeaderElection,
        replicaLagTimeMaxMs: 200,
        sessionTimeoutMs: 60_000,
      })
      clusters.push(cluster)
      const admin = cluster.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: 'u', replicationFactor: 2 }] })
      const { topics } = await admin.fetchTopicMetadata({ topics: ['u'] })
      const [leader, follower] = topics[0]?.partitions[0]?.replicas ?? []
      if (leader === undefined || follower === undefined) throw new Error('no replicas')
      // The follower stalls, drops out of the ISR, and then the leader dies.
      await cluster.faults.pauseBroker(follower)
      await new Promise((resolve) => setTimeout(resolve, 800))
      const events: string[] = []
      cluster.on('leader.elected', () => events.push('elected'))
      cluster.on('partition.offline', () => events.push('offline'))
      await cluster.faults.killBroker(leader)
      cluster.faults.resumeBroker(follower)
      for (let wait = 0; wait < 50 && events.length === 0; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return events
    }
    expect(await outcome(false)).toEqual(['offline'])
    expect(await outcome(true)).toEqual(['elected'])
  })
})

describe('a leader paused past the session timeout', () => {
  it('is replaced by an election, and its log is fenced against stale writes and reads', async () => {
    const { cluster, admin, partition0 } = await replicatedTopic({
      sessionTimeoutMs: 600,
      heartbeatIntervalMs: 50,
    })
    const producer = cluster.producer({ retry: { retries: 10, initialRetryTime: 50 } })
    await producer.connect()
    await producer.send({ topic: 'r', acks: -1, messages: [{ value: 'first', partition: 0 }] })
    const oldLog = (
      await cluster.supervisor.ask<MetadataSnapshot>({ type: 'metadata', topics: ['r'] })
    ).topics[0]?.partitions.find((entry) => entry.partition === 0)?.log
    const elected = new Promise((resolve) => cluster.on('leader.elected', resolve))
    await cluster.faults.pauseBroker(partition0.leader)
    await elected
    cluster.faults.resumeBroker(partition0.leader)
    await expect(
      producer.send({ topic: 'r', acks: -1, messages: [{ value: 'second', partition: 0 }] }),
    ).resolves.toMatchObject([{ baseOffset: '1' }])
    if (oldLog === undefined) throw new Error('no log')
    expect(PartitionLogReader.open(oldLog).state).toBe(LogState.Fenced)
    expect((await admin.fetchTopicOffsets('r')).find((entry) => entry.partition === 0)?.high).toBe(
      '2',
    )
  })
})

describe('preferred leaders', () => {
  it('moves leadership back to the first replica once it is in sync again', async () => {
    const { cluster, admin, partition0 } = await replicatedTopic({ replicaLagTimeMaxMs: 500 })
    const producer = cluster.producer({ retry: { retries: 10, initialRetryTime: 50 } })
    await producer.connect()
    const send = (value: string) =>
      producer.send({ topic: 'r', acks: -1, messages: [{ value, partition: 0 }] })
    await send('one')
    const preferred = partition0.leader
    await cluster.faults.killBroker(preferred)
    await send('two')
    await cluster.faults.restartBroker(preferred)
    const leaderAndIsr = async () =>
      (await admin.fetchTopicMetadata({ topics: ['r'] })).topics[0]?.partitions.find(
        (entry) => entry.partitionId === 0,
      )
    for (let wait = 0; wait < 50 && !(await leaderAndIsr())?.isr.includes(preferred); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect((await leaderAndIsr())?.leader).not.toBe(preferred)
    const moved = await admin.electLeaders({ topics: ['r'] })
    expect(moved).toContainEqual({ topic: 'r', partition: 0, leader: preferred })
    expect((await leaderAndIsr())?.leader).toBe(preferred)
    await send('three')
    expect((await admin.fetchTopicOffsets('r')).find((entry) => entry.partition === 0)?.high).toBe(
      '3',
    )
  })
})

describe('acks=1 under failover', () => {
  it('can lose what only the leader had, and nothing that was replicated', async () => {
    const cluster = await Cluster.start({
      brokers: 3,
      uncleanLeaderElection: true,
      replicaLagTimeMaxMs: 300,
      sessionTimeoutMs: 60_000,
    })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'a1', replicationFactor: 3 }] })
    const { topics } = await admin.fetchTopicMetadata({ topics: ['a1'] })
    const [leader, ...followers] = topics[0]?.partitions[0]?.replicas ?? []
    if (leader === undefined) throw new Error('no leader')
    const producer = cluster.producer({ idempotent: false, retry: { retries: 0 } })
    await producer.connect()
    await producer.send({ topic: 'a1', acks: -1, messages: [{ value: 'replicated' }] })
    await Promise.all(followers.map((follower) => cluster.faults.pauseBroker(follower)))
    await producer.send({ topic: 'a1', acks: 1, messages: [{ value: 'leader only' }] })
    const elected = new Promise((resolve) => cluster.on('leader.elected', resolve))
    await cluster.faults.killBroker(leader)
    for (const follower of followers) cluster.faults.resumeBroker(follower)
    await elected
    const consumer = cluster.consumer({ groupId: 'after' })
    await consumer.connect()
    await consumer.subscribe({ topic: 'a1', fromBeginning: true })
    const values: string[] = []
    const first = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '')
          resolve()
        },
      })
    })
    await first
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(values).toEqual(['replicated'])
  })
})
