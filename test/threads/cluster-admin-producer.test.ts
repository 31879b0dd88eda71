import { afterEach, describe, expect, it } from 'vitest'
import { partitionForKey } from '../../src/actors/producer/partitioner.js'
import type { MetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'
import {
  KafkaJSAggregateError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from '../../src/api/errors.js'
import type { ProducerConfig } from '../../src/api/producer.js'
import { ManualClock } from '../../src/runtime/clock/clock.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../src/runtime/log/record-reader.js'
import { committedBatches } from '../support/committed-batches.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'
import { within } from '../support/within.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function startCluster(options: ClusterOptions = {}) {
  const cluster = await Cluster.start({ brokers: 3, ...options })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  return { cluster, admin }
}

/** Every record of a partition, read straight from its log as a consumer would. */
async function readPartition(cluster: Cluster, topic: string, partition: number) {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [topic],
  })
  const entry = metadata.topics[0]?.partitions.find(
    (candidate) => candidate.partition === partition,
  )
  if (entry === undefined) throw new Error(`no partition ${topic}-${partition}`)
  const log = PartitionLogReader.open(entry.log)
  const records = []
  let offset = log.logStartOffset as number
  while (offset < log.highWatermark) {
    const read = log.read(offset, 1 << 20)
    for (const batch of read.batches) records.push(...decodeRecordBatch(batch).records)
    offset = read.nextOffset
  }
  return records
}

const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString())

describe('admin', () => {
  it('creates, lists, describes, grows and deletes topics', async () => {
    const { admin } = await startCluster()
    await expect(
      admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }, { topic: 'audit' }] }),
    ).resolves.toBe(true)
    await expect(admin.createTopics({ topics: [{ topic: 'orders' }] })).resolves.toBe(false)
    expect((await admin.listTopics()).sort()).toEqual(['audit', 'orders'])
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] })
    const leaders = topics[0]?.partitions.map((partition) => partition.leader) ?? []
    expect(leaders).toHaveLength(6)
    expect(new Set(leaders).size).toBe(3)
    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 8 }] })
    expect(await admin.fetchTopicOffsets('orders')).toHaveLength(8)
    await admin.deleteTopics({ topics: ['audit'] })
    expect(await admin.listTopics()).toEqual(['orders'])
  })

  it('refuses bad topics per topic, with Kafka error types, as a broker does', async () => {
    const { admin } = await startCluster()
    const refusal = await admin
      .createTopics({
        topics: [
          { topic: 'x'.repeat(250) },
          { topic: 'bad/name' },
          { topic: 'zero', numPartitions: 0 },
          { topic: 'negative', numPartitions: -3 },
          { topic: 'fine' },
        ],
      })
      .catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(KafkaJSAggregateError)
    const types = (refusal as KafkaJSAggregateError).errors.map(
      (error) => (error as KafkaJSProtocolError).type,
    )
    expect(types).toEqual([
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_PARTITIONS',
      'INVALID_PARTITIONS',
    ])
    expect(await admin.listTopics()).toEqual(['fine'])
    await expect(admin.fetchTopicOffsets('missing')).rejects.toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    })
    await expect(
      admin.createPartitions({ topicPartitions: [{ topic: 'fine', count: 1 }] }),
    ).rejects.toBeInstanceOf(KafkaJSAggregateError)
  })
})

describe('producer', () => {
  it('writes in order per partition, places keys as Kafka does, and answers per partition', async () => {
    const { cluster, admin } = await startCluster()
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] })
    const producer = cluster.producer()
    await producer.connect()
    const keys = Array.from({ length: 60 }, (_, index) => `key-${index % 12}`)
    const metadata = await producer.send({
      topic: 'orders',
      messages: keys.map((key, index) => ({ key, value: `v${index}` })),
    })
    expect(metadata.map((entry) => entry.partition).sort()).toEqual(
      [...new Set(keys.map((key) => partitionForKey(key, 6)))].sort(),
    )
    for (const entry of metadata) {
      expect(entry).toMatchObject({ topicName: 'orders', errorCode: 0, baseOffset: '0' })
    }
    for (let partition = 0; partition < 6; partition++) {
      const records = await readPartition(cluster, 'orders', partition)
      const expected = keys
        .map((key, index) => ({ key, value: `v${index}` }))
        .filter(({ key }) => partitionForKey(key, 6) === partition)
      expect(
        records.map((record) => ({ key: text(record.key), value: text(record.value) })),
      ).toEqual(expected)
      expect(records.map((record) => record.offset)).toEqual(expected.map((_, index) => index))
    }
    const offsets = await admin.fetchTopicOffsets('orders')
    const total = offsets.reduce((sum, entry) => sum + Number(entry.high), 0)
    expect(total).toBe(60)
    expect(offsets.every((entry) => entry.low === '0' && entry.offset === entry.high)).toBe(true)
  })

  it('sends at once with linger 0, without a timer: the clock never moves and the send lands', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1, clock: new ManualClock() })
    await admin.createTopics({ topics: [{ topic: 'now', numPartitions: 1 }] })
    const producer = cluster.producer()
    await producer.connect()
    const sent = producer.send({ topic: 'now', messages: [{ value: 'v' }] })
    await expect(within(5_000, 'a send on a clock that never moves', sent)).resolves.toEqual([
      expect.objectContaining({ topicName: 'now', partition: 0, baseOffset: '0' }),
    ])
    await producer.disconnect()
  })

  it('sends a full batch before a later one whose linger ends first', async () => {
    const clock = new ManualClock()
    const { cluster, admin } = await startCluster({ brokers: 1, clock })
    await admin.createTopics({ topics: [{ topic: 'order', numPartitions: 1 }] })
    const producer = cluster.producer({ lingerMs: 5, batchSize: 300 })
    await producer.connect()
    const first = producer.send({ topic: 'order', messages: [{ value: 'metadata' }] })
    clock.advance(5)
    await within(5_000, 'the first send', first)
    const values = Array.from({ length: 6 }, (_, index) => `${index}`.padEnd(80, '.'))
    // In one turn: the first batch fills (it goes at the end of the turn), the second
    // lingers, and its linger runs out before that end.
    const { sending } = await new Promise<{ sending: Promise<unknown> }>((resolve) => {
      setImmediate(() => {
        const messages = values.map((value) => ({ value }))
        resolve({ sending: producer.send({ topic: 'order', messages }) })
        clock.advance(5)
      })
    })
    await within(5_000, 'the send', sending)
    const written = (await readPartition(cluster, 'order', 0)).map((record) => text(record.value))
    expect(written).toEqual(['metadata', ...values])
    await producer.disconnect()
  })

  it('gathers records sent one at a time into one batch while its broker is busy, as Kafka does', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 'busy', numPartitions: 1 }] })
    const producer = cluster.producer({ maxInFlightRequests: 1 })
    await producer.connect()
    await cluster.faults.slowBroker(0, 300)
    const values = Array.from({ length: 20 }, (_, index) => `record-${index}`)
    const sends: Promise<unknown>[] = []
    for (const value of values) {
      sends.push(producer.send({ topic: 'busy', acks: 1, messages: [{ value }] }))
      // Each send in a turn of its own, as a service handling one event at a time makes them.
      await new Promise((resolve) => setImmediate(resolve))
    }
    await within(10_000, 'the sends', Promise.all(sends))
    const batches = await committedBatches(cluster, 'busy')
    // The first goes alone; the rest wait in one open batch while it is answered.
    expect(batches.map((batch) => batch.records.length)).toEqual([1, 19])
    expect(batches.flatMap((batch) => batch.records.map((record) => text(record.value)))).toEqual(
      values,
    )
    await producer.disconnect()
  })

  it('sees partitions added after it connected, told by the supervisor, not by an error', async () => {
    const { cluster, admin } = await startCluster()
    await admin.createTopics({ topics: [{ topic: 'growing', numPartitions: 2 }] })
    const producer = cluster.producer({ retry: { retries: 0 } })
    await producer.connect()
    await producer.send({ topic: 'growing', messages: [{ value: 'before' }] })
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 4 }] })
    await expect(
      producer.send({ topic: 'growing', messages: [{ value: 'after', partition: 3 }] }),
    ).resolves.toMatchObject([{ partition: 3, baseOffset: '0' }])
  })

  it('round-trips headers, null keys and null values', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 't' }] })
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({
      topic: 't',
      messages: [
        { key: null, value: 'a', headers: { h: 'v', many: ['x', Buffer.from('y')] } },
        { key: 'k', value: null },
      ],
    })
    const [first, second] = await readPartition(cluster, 't', 0)
    expect(first?.key).toBeNull()
    expect(first?.headers.map((header) => [header.key, text(header.value)])).toEqual([
      ['h', 'v'],
      ['many', 'x'],
      ['many', 'y'],
    ])
    expect(text(second?.key ?? null)).toBe('k')
    expect(second?.value).toBeNull()
  })

  it('keeps each producer’s order when many write to one partition', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 'shared' }] })
    const producers = Array.from({ length: 4 }, () => cluster.producer({ lingerMs: 1 }))
    await Promise.all(producers.map((producer) => producer.connect()))
    await Promise.all(
      producers.map(async (producer, id) => {
        for (let seq = 0; seq < 50; seq++) {
          await producer.send({ topic: 'shared', messages: [{ value: `${id}:${seq}` }] })
        }
      }),
    )
    const values = (await readPartition(cluster, 'shared', 0)).map(
      (record) => text(record.value) ?? '',
    )
    expect(values).toHaveLength(200)
    for (let id = 0; id < 4; id++) {
      const own = values.filter((value) => value.startsWith(`${id}:`))
      expect(own).toEqual(Array.from({ length: 50 }, (_, seq) => `${id}:${seq}`))
    }
  })

  it('finds offsets by timestamp, and the high watermark past the last', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 'times' }] })
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({
      topic: 'times',
      messages: [1000, 2000, 3000].map((timestamp) => ({
        value: 'x',
        timestamp: String(timestamp),
      })),
    })
    const at = (timestamp: number) => admin.fetchTopicOffsetsByTimestamp('times', timestamp)
    await expect(at(1500)).resolves.toEqual([{ partition: 0, offset: '1' }])
    await expect(at(3000)).resolves.toEqual([{ partition: 0, offset: '2' }])
    await expect(at(9999)).resolves.toEqual([{ partition: 0, offset: '3' }])
  })

  it('refuses bad input with typed errors and keeps serving', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1, maxMessageBytes: 1024 })
    await admin.createTopics({ topics: [{ topic: 't' }] })
    for (const config of [null, 42, { requestTimeout: -1 }]) {
      expect(() => cluster.producer(config as unknown as ProducerConfig)).toThrow(
        KafkaJSNonRetriableError,
      )
    }
    const producer = cluster.producer({ retry: { retries: 1, initialRetryTime: 5 } })
    await expect(
      producer.send({ topic: 't', messages: [{ value: 'early' }] }),
    ).rejects.toMatchObject({
      name: 'KafkaJSError',
      retriable: true,
    })
    await producer.connect()
    await expect(
      producer.send({ topic: 't', messages: [{ value: 42 as unknown as string }] }),
    ).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
    await expect(
      producer.send({ topic: 't', messages: [{ value: undefined as unknown as string }] }),
    ).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
    await expect(
      producer.send({ topic: 'bad name', messages: [{ value: 'x' }] }),
    ).rejects.toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION' })
    await expect(
      producer.send({ topic: 't', messages: [{ value: 'x', partition: 5 }] }),
    ).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
    const tooLarge = await producer
      .send({ topic: 't', messages: [{ value: Buffer.alloc(4096) }] })
      .catch((error: unknown) => error)
    expect(tooLarge).toBeInstanceOf(KafkaJSProtocolError)
    expect(tooLarge).toMatchObject({ type: 'MESSAGE_TOO_LARGE', retriable: false })
    const unknown = await producer
      .send({ topic: 'missing', messages: [{ value: 'x' }] })
      .catch((error: unknown) => error)
    expect(unknown).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect((unknown as KafkaJSNumberOfRetriesExceeded).cause).toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    })
    await expect(
      producer.send({ topic: 't', messages: [{ value: 'still fine' }] }),
    ).resolves.toHaveLength(1)
    await producer.disconnect()
    await expect(
      producer.send({ topic: 't', messages: [{ value: 'late' }] }),
    ).rejects.toBeInstanceOf(KafkaJSError)
  })

  it('has a corrupt batch refused by the broker with CORRUPT_MESSAGE, and nothing appended', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 't' }] })
    const producer = cluster.producer({ retry: { retries: 0 } })
    await producer.connect()
    const batch = encodeRecordBatch({
      records: [{ key: null, value: Buffer.from('x') }],
      timestamp: 1,
    })
    batch[batch.length - 1] = (batch.at(-1) as number) ^ 0xff
    const refusal = (await producer
      .sendEncodedBatch({ topic: 't', partition: 0, batch })
      .catch((error: unknown) => error)) as { type?: string; cause?: { type?: string } }
    expect(refusal.type ?? refusal.cause?.type).toBe('CORRUPT_MESSAGE')
    expect(await readPartition(cluster, 't', 0)).toEqual([])
    await expect(
      producer.send({ topic: 't', messages: [{ value: 'fine' }] }),
    ).resolves.toHaveLength(1)
  })

  it('resolves [] with acks 0, and the record still lands', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 't' }] })
    const producer = cluster.producer({ idempotent: false })
    await producer.connect()
    await expect(
      producer.send({ topic: 't', acks: 0, messages: [{ value: 'fire' }] }),
    ).resolves.toEqual([])
    await producer.send({ topic: 't', acks: 1, messages: [{ value: 'and forget' }] })
    expect((await readPartition(cluster, 't', 0)).map((record) => text(record.value))).toEqual([
      'fire',
      'and forget',
    ])
  })
  it('answers [] for a send without messages, compressed or not, and writes nothing', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] })
    const producer = cluster.producer()
    await producer.connect()
    for (const compression of [0, 1]) {
      await expect(producer.send({ topic: 't', messages: [], compression })).resolves.toEqual([])
    }
    await expect(
      producer.sendBatch({
        topicMessages: [
          { topic: 't', messages: [] },
          { topic: 't', messages: [{ value: 'one', partition: 1 }] },
        ],
      }),
    ).resolves.toMatchObject([{ partition: 1, baseOffset: '0' }])
    expect(await readPartition(cluster, 't', 0)).toEqual([])
  })

  it('sends large batches with acks 0 from memory it copied: the next sends are intact', async () => {
    const { cluster, admin } = await startCluster({ brokers: 1 })
    await admin.createTopics({ topics: [{ topic: 't' }] })
    const producer = cluster.producer({ idempotent: false })
    await producer.connect()
    const values = Array.from({ length: 3_000 }, (_, index) => `${index}:${'v'.repeat(100)}`)
    for (let start = 0; start < values.length; start += 1_000) {
      const messages = values.slice(start, start + 1_000).map((value) => ({ value }))
      await expect(producer.send({ topic: 't', acks: 0, messages })).resolves.toEqual([])
    }
    await producer.send({ topic: 't', acks: 1, messages: [{ value: 'last' }] })
    expect((await readPartition(cluster, 't', 0)).map((record) => text(record.value))).toEqual([
      ...values,
      'last',
    ])
  })
})

describe('cluster', () => {
  it('stops everything it started and refuses use afterwards', async () => {
    const before = liveResources()
    const cluster = await Cluster.start({ brokers: 3 })
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 3 }] })
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({ topic: 't', messages: [{ value: 'x' }] })
    await cluster.stop()
    await expectNothingLeftSince(before)
    expect(() => cluster.producer()).toThrow(KafkaJSNonRetriableError)
    await expect(producer.send({ topic: 't', messages: [{ value: 'y' }] })).rejects.toBeInstanceOf(
      KafkaJSError,
    )
    await expect(Cluster.start({ brokers: 0 })).rejects.toThrow(
      'brokers must be a positive integer',
    )
  })
})
