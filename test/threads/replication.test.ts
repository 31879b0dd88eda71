import { afterEach, describe, expect, it } from 'vitest'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'

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
      replicaLagTimeMaxMs: 1_500,
      sessionTimeoutMs: 60_000,
    })
    const producer = cluster.producer({ retry: { retries: 0 } })
    await producer.connect()
    await producer.send({ topic: 'r', acks: -1, messages: [{ value: 'x', partition: 0 }] })
    const lagging = partition0.replicas[2] as number
    cluster.faults.pauseBroker(lagging)
    await producer.send({ topic: 'r', acks: 1, messages: [{ value: 'y', partition: 0 }] })
    expect(await high(admin)).toBe('1')
    // Past replica.lag.time.max.ms the paused follower is out, and what the rest have commits.
    await new Promise((resolve) => setTimeout(resolve, 3_500))
    expect(await high(admin)).toBe('2')
    cluster.faults.resumeBroker(lagging)
  })

  it('refuses acks=all below min.insync.replicas, and accepts again once the follower is back', async () => {
    const { cluster, partition0 } = await replicatedTopic(
      { replicaLagTimeMaxMs: 300, sessionTimeoutMs: 60_000 },
      '3',
    )
    const producer = cluster.producer({ retry: { retries: 0 } })
    await producer.connect()
    const lagging = partition0.replicas[1] as number
    cluster.faults.pauseBroker(lagging)
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
