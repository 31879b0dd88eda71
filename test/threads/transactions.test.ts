import { afterEach, describe, expect, it } from 'vitest'
import { offsetsPartitionFor } from '../../src/actors/coordinator/offsets-topic.js'
import { TRANSACTION_TOPIC } from '../../src/actors/internal-topics.js'
import { TRANSACTION_TOPIC_PARTITIONS } from '../../src/actors/transactions/transaction-log.js'
import type { ClusterOptions } from '../../src/api/cluster.js'
import { Cluster } from '../../src/api/cluster.js'
import type { Consumer } from '../../src/api/consumer.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function setUp(options: ClusterOptions = {}, replicationFactor = 1) {
  const cluster = await Cluster.start({ brokers: 1, ...options })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [
      { topic: 'out', numPartitions: 2, replicationFactor },
      { topic: 'in', numPartitions: 1, replicationFactor },
    ],
  })
  const transactional = async (transactionalId: string, transactionTimeout?: number) => {
    const producer = cluster.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout,
    })
    await producer.connect()
    return producer
  }
  return { cluster, admin, transactional }
}

/** Values a consumer of `topic` reads until `count` have come (from the beginning). */
async function consume(
  cluster: Cluster,
  topic: string,
  count: number,
  readUncommitted = false,
): Promise<{ values: string[]; consumer: Consumer }> {
  const consumer = cluster.consumer({
    groupId: `reader-${topic}-${Math.random()}`,
    readUncommitted,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const values: string[] = []
  let done: () => void = () => {}
  const all = new Promise<void>((resolve) => {
    done = resolve
  })
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? '')
      if (values.length >= count) done()
    },
  })
  if (count > 0) await all
  return { values, consumer }
}

const typeOf = async (work: Promise<unknown>) => {
  const error = (await work.catch((caught: unknown) => caught)) as {
    type?: string
    cause?: { type?: string }
  }
  return error.type ?? error.cause?.type
}

describe('transactions', () => {
  it('shows committed records to read_committed, never aborted ones; read_uncommitted sees both', async () => {
    const { cluster, transactional } = await setUp()
    const producer = await transactional('t-visibility')
    const aborted = await producer.transaction()
    await aborted.send({ topic: 'out', messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] })
    await aborted.abort()
    expect(aborted.isActive()).toBe(false)
    const committed = await producer.transaction()
    await committed.send({
      topic: 'out',
      messages: [{ value: 'committed-1' }, { value: 'committed-2' }],
    })
    await committed.commit()

    const { values: readCommitted, consumer } = await consume(cluster, 'out', 2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(readCommitted.sort()).toEqual(['committed-1', 'committed-2'])
    await consumer.disconnect()
    const { values: readAll, consumer: uncommitted } = await consume(cluster, 'out', 4, true)
    expect(readAll.sort()).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2'])
    await uncommitted.disconnect()
    await expect(committed.send({ topic: 'out', messages: [{ value: 'late' }] })).rejects.toThrow(
      'Cannot continue to use transaction once ended',
    )
  }, 30_000)

  it('holds a read_committed consumer at the last stable offset of an open transaction, then moves on', async () => {
    const { cluster, transactional } = await setUp()
    const producer = await transactional('t-lso')
    const plain = cluster.producer()
    await plain.connect()
    await plain.send({ topic: 'out', messages: [{ value: 'before', partition: 0 }] })
    const open = await producer.transaction()
    await open.send({ topic: 'out', messages: [{ value: 'in-transaction', partition: 0 }] })
    await plain.send({ topic: 'out', messages: [{ value: 'after', partition: 0 }] })

    const { values, consumer } = await consume(cluster, 'out', 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    // 'after' lies past the open transaction's first offset: not stable yet.
    expect(values).toEqual(['before'])
    await open.commit()
    for (let waited = 0; values.length < 3 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(values).toEqual(['before', 'in-transaction', 'after'])
    await consumer.disconnect()
  }, 30_000)

  it("commits the group's offsets sent in a transaction only when it commits", async () => {
    const { admin, transactional } = await setUp()
    const producer = await transactional('t-offsets')
    const committedOffset = async () =>
      (await admin.fetchOffsets({ groupId: 'g', topics: ['in'] }))[0]?.partitions[0]?.offset
    const offsets = (offset: string) => ({
      consumerGroupId: 'g',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset }] }],
    })
    const aborted = await producer.transaction()
    await aborted.send({ topic: 'out', messages: [{ value: 'x' }] })
    await aborted.sendOffsets(offsets('5'))
    expect(await committedOffset()).toBe('-1')
    await aborted.abort()
    expect(await committedOffset()).toBe('-1')
    const committed = await producer.transaction()
    await committed.send({ topic: 'out', messages: [{ value: 'y' }] })
    await committed.sendOffsets(offsets('7'))
    expect(await committedOffset()).toBe('-1')
    await committed.commit()
    expect(await committedOffset()).toBe('7')
  }, 30_000)

  it('fences a zombie: the same transactional id at an older epoch can neither send nor commit', async () => {
    const { cluster, transactional } = await setUp()
    const zombie = await transactional('t-zombie')
    const stale = await zombie.transaction()
    await stale.send({ topic: 'out', messages: [{ value: 'zombie', partition: 0 }] })
    const successor = await transactional('t-zombie')
    const fresh = await successor.transaction()
    // The successor's InitProducerId aborted the zombie's transaction under the next epoch.
    expect(
      await typeOf(stale.send({ topic: 'out', messages: [{ value: 'z2', partition: 0 }] })),
    ).toBe('INVALID_PRODUCER_EPOCH')
    expect(
      await typeOf(stale.send({ topic: 'out', messages: [{ value: 'z3', partition: 1 }] })),
    ).toBe('PRODUCER_FENCED')
    expect(await typeOf(stale.commit())).toBe('PRODUCER_FENCED')
    await fresh.send({ topic: 'out', messages: [{ value: 'successor', partition: 0 }] })
    await fresh.commit()
    const { values, consumer } = await consume(cluster, 'out', 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(values).toEqual(['successor'])
    await consumer.disconnect()
  }, 30_000)

  it('aborts a transaction left open past its timeout, fencing its producer', async () => {
    const { cluster, transactional } = await setUp({ clock: 'virtual' })
    const stalled = await transactional('t-stalled', 1_000)
    const open = await stalled.transaction()
    await open.send({ topic: 'out', messages: [{ value: 'stalled', partition: 0 }] })
    await cluster.clock.advance(1_500)
    expect(await typeOf(open.commit())).toBe('PRODUCER_FENCED')
    const other = await transactional('t-other')
    const next = await other.transaction()
    await next.send({ topic: 'out', messages: [{ value: 'next', partition: 0 }] })
    await next.commit()
    const { values, consumer } = await consume(cluster, 'out', 1)
    expect(values).toEqual(['next'])
    await consumer.disconnect()
  }, 30_000)

  it('commits exactly once across a coordinator failover and a partition leader failover', async () => {
    const { cluster, admin, transactional } = await setUp({ brokers: 3 }, 3)
    const producer = await transactional('t-failover')
    const first = await producer.transaction()
    await first.send({ topic: 'out', messages: [{ value: 'one', partition: 0 }] })
    const [stateTopic] = (await admin.fetchTopicMetadata({ topics: [TRANSACTION_TOPIC] })).topics
    const statePartition = offsetsPartitionFor('t-failover', TRANSACTION_TOPIC_PARTITIONS)
    const coordinator = stateTopic?.partitions.find(
      ({ partitionId }) => partitionId === statePartition,
    )?.leader
    await cluster.faults.killBroker(coordinator as number)
    await first.commit()

    const [outTopic] = (await admin.fetchTopicMetadata({ topics: ['out'] })).topics
    const second = await producer.transaction()
    await second.send({ topic: 'out', messages: [{ value: 'aborted', partition: 0 }] })
    const leader = outTopic?.partitions.find(({ partitionId }) => partitionId === 0)?.leader
    if (leader !== coordinator) await cluster.faults.killBroker(leader as number)
    await second.abort()
    const third = await producer.transaction()
    await third.send({ topic: 'out', messages: [{ value: 'two', partition: 0 }] })
    await third.commit()

    const { values, consumer } = await consume(cluster, 'out', 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(values).toEqual(['one', 'two'])
    await consumer.disconnect()
  }, 60_000)
})
