import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/api/cluster.js'
import type { EachBatchPayload } from '../../src/api/consumer.js'
import { KafkaJSNotImplemented } from '../../src/api/errors.js'
import {
  BuiltinCompressionCodecs,
  CompressionCodecs,
  CompressionTypes,
} from '../../src/runtime/log/compression.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_HEADER_SIZE,
  compressRecordBatch,
  encodeRecordBatch,
  sealRecordBatch,
} from '../../src/runtime/log/record-batch-codec.js'
import { committedBatches, committedValues } from '../support/committed-batches.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
  Object.assign(CompressionCodecs, BuiltinCompressionCodecs)
})

async function startCluster(brokers: number) {
  const cluster = await Cluster.start({ brokers })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  return { cluster, admin }
}

const RECORDS = 10_000
const PER_SEND = 1_000

const messageAt = (index: number) => ({
  key: `key-${index % 97}`,
  value: `value-${index}-${'x'.repeat(index % 50)}`,
  headers: { index: String(index), tags: ['a', Buffer.from([index % 256])] },
})

const typeOf = (error: unknown) => {
  const caught = error as { type?: string; cause?: { type?: string } }
  return caught.type ?? caught.cause?.type
}

describe('compression', () => {
  it.each([
    ['GZIP', CompressionTypes.GZIP],
    ['Snappy', CompressionTypes.Snappy],
    ['LZ4', CompressionTypes.LZ4],
    ['ZSTD', CompressionTypes.ZSTD],
  ])(
    '%s: 10,000 records with keys and headers, stored compressed, read back by a group consumer and by the follower',
    async (_name, compression) => {
      const { cluster, admin } = await startCluster(2)
      await admin.createTopics({ topics: [{ topic: 'c', replicationFactor: 2 }] })
      const producer = cluster.producer()
      await producer.connect()
      for (let start = 0; start < RECORDS; start += PER_SEND) {
        const messages = Array.from({ length: PER_SEND }, (_, offset) => messageAt(start + offset))
        await producer.send({ topic: 'c', compression, messages })
      }
      const stored = await committedBatches(cluster, 'c')
      expect(stored.every((batch) => (batch.attributes & 0x07) === compression)).toBe(true)

      const consumer = cluster.consumer({ groupId: 'readers' })
      await consumer.connect()
      await consumer.subscribe({ topics: ['c'], fromBeginning: true })
      const received: EachBatchPayload['batch']['messages'][number][] = []
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachBatch: async ({ batch }) => {
            received.push(...batch.messages)
            if (received.length >= RECORDS) resolve()
          },
        })
      })
      await consumer.disconnect()
      expect(received).toHaveLength(RECORDS)
      received.forEach((message, index) => {
        const sent = messageAt(index)
        expect(message.offset).toBe(String(index))
        expect(message.key?.toString()).toBe(sent.key)
        expect(message.value?.toString()).toBe(sent.value)
        expect(message.headers).toEqual({
          index: Buffer.from(sent.headers.index),
          tags: [Buffer.from('a'), Buffer.from([index % 256])],
        })
      })

      // The follower copied the compressed batches as they were: elected, it serves them all.
      const [partition] =
        (await admin.fetchTopicMetadata({ topics: ['c'] })).topics[0]?.partitions ?? []
      if (partition === undefined) throw new Error('no partition 0')
      await cluster.faults.killBroker(partition.leader)
      const leaderOf = async () =>
        (await admin.fetchTopicMetadata({ topics: ['c'] })).topics[0]?.partitions[0]?.leader
      // Elected, the follower commits what it has once its ISR (itself) is checked again.
      let values: string[] = []
      for (const deadline = Date.now() + 10_000; values.length < RECORDS; ) {
        const leader = await leaderOf()
        if (leader !== partition.leader && leader !== undefined && leader >= 0) {
          values = await committedValues(cluster, 'c')
        }
        if (Date.now() > deadline) throw new Error(`${values.length} records within 10 s`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(values).toEqual(Array.from({ length: RECORDS }, (_, index) => messageAt(index).value))
    },
  )

  it('refuses corrupt compressed bytes and an unknown codec with CORRUPT_MESSAGE, appending nothing', async () => {
    const { cluster, admin } = await startCluster(1)
    await admin.createTopics({ topics: [{ topic: 'bad' }] })
    const producer = cluster.producer({ retry: { retries: 0 } })
    await producer.connect()
    const plain = encodeRecordBatch({
      records: Array.from({ length: 50 }, (_, index) => ({
        key: null,
        value: Buffer.from(`v${index}`),
      })),
      timestamp: 1,
    })
    const corrupt = await compressRecordBatch(plain, CompressionTypes.GZIP)
    // Past gzip's header, inside the deflate stream; the CRC is made right again, so only
    // inflating the records can tell.
    const at = BATCH_HEADER_SIZE + 12
    corrupt[at] = (corrupt[at] as number) ^ 0x5a
    corrupt[at + 1] = (corrupt[at + 1] as number) ^ 0xa5
    sealRecordBatch(corrupt)
    const unknown = plain.slice()
    unknown[BATCH_ATTRIBUTES + 1] = 5
    sealRecordBatch(unknown)
    for (const batch of [corrupt, unknown]) {
      const refusal = await producer
        .sendEncodedBatch({ topic: 'bad', partition: 0, batch })
        .catch((error: unknown) => error)
      expect(typeOf(refusal)).toBe('CORRUPT_MESSAGE')
    }
    expect(await committedBatches(cluster, 'bad')).toEqual([])
    await producer.send({
      topic: 'bad',
      compression: CompressionTypes.GZIP,
      messages: [{ value: 'ok' }],
    })
    expect(await committedValues(cluster, 'bad')).toEqual(['ok'])
  })

  it('uses a codec registered in CompressionCodecs, and refuses one that is not, as KafkaJS does', async () => {
    const { cluster, admin } = await startCluster(1)
    await admin.createTopics({ topics: [{ topic: 'plug' }] })
    const producer = cluster.producer()
    await producer.connect()
    let compressed = 0
    let decompressed = 0
    const builtin = BuiltinCompressionCodecs[CompressionTypes.Snappy]
    if (builtin === undefined) throw new Error('no built-in Snappy codec')
    CompressionCodecs[CompressionTypes.Snappy] = () => ({
      compress: (encoder) => {
        compressed++
        return builtin().compress(encoder)
      },
      decompress: (buffer) => {
        decompressed++
        return builtin().decompress(buffer)
      },
    })
    await producer.send({
      topic: 'plug',
      compression: CompressionTypes.Snappy,
      messages: [{ value: 'a' }, { value: 'b' }],
    })
    expect(compressed).toBe(1)
    const consumer = cluster.consumer({ groupId: 'plugged' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['plug'], fromBeginning: true })
    const values: string[] = []
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '')
          if (values.length === 2) resolve()
        },
      })
    })
    await consumer.disconnect()
    expect(values).toEqual(['a', 'b'])
    expect(decompressed).toBe(1)

    CompressionCodecs[CompressionTypes.LZ4] = undefined
    const refusal = await producer
      .send({ topic: 'plug', compression: CompressionTypes.LZ4, messages: [{ value: 'c' }] })
      .catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(KafkaJSNotImplemented)
    expect((refusal as Error).message).toBe('LZ4 compression not implemented')
    await expect(
      producer.send({ topic: 'plug', compression: 9, messages: [{ value: 'c' }] }),
    ).rejects.toThrow('Invalid compression')
  })
})
