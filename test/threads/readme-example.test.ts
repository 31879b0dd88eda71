import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/index.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

describe("the README's example", () => {
  it('runs as written: create a topic, send, consume with eachMessage', async () => {
    const cluster = await Cluster.start({ brokers: 3 })
    clusters.push(cluster)
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] })

    const producer = cluster.producer()
    await producer.connect()
    const [metadata] = await producer.send({
      topic: 'orders',
      messages: [{ key: 'k1', value: 'hello', headers: { h: 'v' } }],
    })

    const consumer = cluster.consumer({ groupId: 'g1' })
    await consumer.connect()
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
    const received = new Promise<{ partition: number; offset: string; value: string; h: string }>(
      (resolve) => {
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            resolve({
              partition,
              offset: message.offset,
              value: message.value?.toString() ?? '',
              h: String(message.headers?.h),
            })
          },
        })
      },
    )
    expect(await received).toEqual({
      partition: metadata?.partition,
      offset: '0',
      value: 'hello',
      h: 'v',
    })
  })
})
