import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/api/cluster.js'
import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { committedBatches, committedValues } from '../support/committed-batches.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

const batch = (baseSequence: number, producerEpoch = 0, values = ['a', 'b']) =>
  encodeRecordBatch({
    records: values.map((value) => ({ key: null, value: Buffer.from(value) })),
    timestamp: 1,
    producerId: 42,
    producerEpoch,
    baseSequence,
  })

async function setUp(brokers: number, replicationFactor: number) {
  const cluster = await Cluster.start({ brokers })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'i', replicationFactor }] })
  const producer = cluster.producer({ retry: { retries: 0 } })
  await producer.connect()
  const send = (bytes: Uint8Array) =>
    producer.sendEncodedBatch({ topic: 'i', partition: 0, batch: bytes, acks: -1 })
  const high = async () => (await admin.fetchTopicOffsets('i'))[0]?.high
  return { cluster, admin, send, high }
}

const typeOf = async (work: Promise<unknown>) => {
  const error = (await work.catch((caught: unknown) => caught)) as {
    type?: string
    cause?: { type?: string }
  }
  return error.type ?? error.cause?.type
}

describe('idempotent produce at the leader', () => {
  it('acknowledges a retried batch with its first offsets and appends it once', async () => {
    const { send, high } = await setUp(1, 1)
    await expect(send(batch(0))).resolves.toMatchObject({ baseOffset: '0' })
    await expect(send(batch(2))).resolves.toMatchObject({ baseOffset: '2' })
    await expect(send(batch(0))).resolves.toMatchObject({ baseOffset: '0' })
    expect(await high()).toBe('4')
  })

  it('refuses a sequence gap and fences an older epoch', async () => {
    const { send, high } = await setUp(1, 1)
    await send(batch(0, 1))
    expect(await typeOf(send(batch(5, 1)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER')
    expect(await typeOf(send(batch(2, 0)))).toBe('INVALID_PRODUCER_EPOCH')
    expect(await high()).toBe('2')
  })

  it('still knows a batch after a failover: the new leader rebuilt it from its log', async () => {
    const { cluster, admin, send, high } = await setUp(3, 3)
    await send(batch(0))
    const leader = (await admin.fetchTopicMetadata({ topics: ['i'] })).topics[0]?.partitions[0]
      ?.leader as number
    await cluster.faults.killBroker(leader)
    const retried = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await send(batch(0))
        } catch (error) {
          if (attempt > 40) throw error
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
    }
    await expect(retried()).resolves.toMatchObject({ baseOffset: '0' })
    expect(await high()).toBe('2')
  })
})

describe('the idempotent producer (the default)', () => {
  it('writes a record once when its acknowledgement is dropped and the send retried', async () => {
    const cluster = await Cluster.start({ brokers: 1, seed: 5 })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'once' }] })
    const producer = cluster.producer({
      requestTimeout: 200,
      retry: { retries: 5, initialRetryTime: 20 },
    })
    await producer.connect()
    expect(producer.isIdempotent()).toBe(true)
    await producer.send({ topic: 'once', messages: [{ value: 'warm-up' }] })
    // Every reply from the broker is lost once: the produce lands, the producer never hears.
    await cluster.faults.setLinkFault({ from: 0, to: '*', drop: 1 })
    const sending = producer.send({ topic: 'once', messages: [{ value: 'exactly once' }] })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await cluster.faults.heal()
    await expect(sending).resolves.toMatchObject([{ baseOffset: '1' }])
    expect((await admin.fetchTopicOffsets('once'))[0]?.high).toBe('2')
  })

  it.each([
    { lost: 'requests', fault: { drop: 0.2 }, towardsBroker: true },
    { lost: 'acknowledgements', fault: { drop: 0.2 }, towardsBroker: false },
    { lost: 'nothing, but requests come twice', fault: { duplicate: 0.3 }, towardsBroker: true },
  ])(
    'keeps order with five batches in flight when $lost: each record once, where its send was told',
    async ({ fault, towardsBroker }) => {
      const cluster = await Cluster.start({ brokers: 1, seed: 11 })
      clusters.push(cluster)
      const admin = cluster.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: 'ordered' }] })
      // One record per batch, so that forty sends make forty batches, five of them in flight.
      const producer = cluster.producer({
        batchSize: 1,
        requestTimeout: 200,
        retry: { retries: 30, initialRetryTime: 10, maxRetryTime: 50 },
      })
      await producer.connect()
      await producer.send({ topic: 'ordered', messages: [{ value: '0' }] })
      const [from, to] = towardsBroker ? [producer.linkName, 0] : [0, producer.linkName]
      await cluster.faults.setLinkFault({ from, to, ...fault })
      const values = Array.from({ length: 40 }, (_, index) => String(index + 1))
      const sent = await Promise.all(
        values.map((value) => producer.send({ topic: 'ordered', messages: [{ value }] })),
      )
      await cluster.faults.heal()
      expect(sent.map(([metadata]) => metadata?.baseOffset)).toEqual(values)
      expect(await committedValues(cluster, 'ordered')).toEqual(['0', ...values])
    },
  )

  it('goes on under the next epoch of its producer id after giving a batch up (KIP-360)', async () => {
    const cluster = await Cluster.start({ brokers: 1, seed: 3 })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'epochs' }] })
    const producer = cluster.producer({ requestTimeout: 150, retry: { retries: 1 } })
    await producer.connect()
    await producer.send({ topic: 'epochs', messages: [{ value: 'before' }] })
    await cluster.faults.setLinkFault({ from: producer.linkName, to: 0, drop: 1 })
    await expect(
      producer.send({ topic: 'epochs', messages: [{ value: 'given up' }] }),
    ).rejects.toThrow()
    await cluster.faults.heal()
    await producer.send({ topic: 'epochs', messages: [{ value: 'after' }] })
    const batches = await committedBatches(cluster, 'epochs')
    const [before, after] = batches
    expect(batches).toHaveLength(2)
    expect(before).toMatchObject({ producerEpoch: 0, baseSequence: 0 })
    expect(after).toMatchObject({
      producerId: before?.producerId,
      producerEpoch: 1,
      baseSequence: 0,
    })
    expect(Buffer.from(after?.records[0]?.value ?? []).toString()).toBe('after')
  })

  it('goes without idempotence for acks 0 and 1 when it was not asked for, as Kafka does', async () => {
    const cluster = await Cluster.start({ brokers: 1 })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'once' }] })
    const producer = cluster.producer()
    await producer.connect()
    expect(producer.isIdempotent()).toBe(true)
    const [leaderAck] = await producer.send({ topic: 'once', acks: 1, messages: [{ value: 'a' }] })
    expect(leaderAck).toMatchObject({ topicName: 'once', partition: 0, baseOffset: '0' })
    await expect(
      producer.send({ topic: 'once', acks: 0, messages: [{ value: 'b' }] }),
    ).resolves.toEqual([])
    await producer.send({ topic: 'once', messages: [{ value: 'c' }] })
    const batches = await committedBatches(cluster, 'once')
    expect(batches.map((written) => written.producerId >= 0)).toEqual([false, false, true])
    expect(await committedValues(cluster, 'once')).toEqual(['a', 'b', 'c'])
  })

  it('refuses acks other than all when idempotence was asked for, as KafkaJS does', async () => {
    const cluster = await Cluster.start({ brokers: 1 })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'once' }] })
    const producer = cluster.producer({ idempotent: true })
    await producer.connect()
    await expect(
      producer.send({ topic: 'once', acks: 1, messages: [{ value: 'x' }] }),
    ).rejects.toThrow(
      "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    )
    // Kafka's default leaves it off when more than five requests may be in flight.
    expect(cluster.producer({ maxInFlightRequests: 6 }).isIdempotent()).toBe(false)
    expect(cluster.producer({ maxInFlightRequests: 5 }).isIdempotent()).toBe(true)
  })
})
