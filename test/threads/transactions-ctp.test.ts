import { afterEach, describe, expect, it } from 'vitest'
import { offsetsPartitionFor } from '../../src/actors/coordinator/offsets-topic.js'
import { TRANSACTION_TOPIC } from '../../src/actors/internal-topics.js'
import { TRANSACTION_TOPIC_PARTITIONS } from '../../src/actors/transactions/transaction-log.js'
import type { Admin } from '../../src/api/admin.js'
import { Cluster } from '../../src/api/cluster.js'
import { KafkaJSError } from '../../src/api/errors.js'
import type { Producer } from '../../src/api/producer.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'
import { until } from '../support/within.js'

/*
 * Consume-transform-produce, Kafka's exactly-once pattern, with brokers killed under it: each
 * input batch is turned into output records and the group's offsets in one transaction, so
 * whatever fails, a read_committed reader of the output sees each input's output exactly once.
 */

const INPUTS = 1_000
const GROUP = 'transformers'
const TRANSACTIONAL_ID = 'transformer'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

/** The broker leading `topic`'s `partition` now. */
async function leaderOf(admin: Admin, topic: string, partition: number): Promise<number> {
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics
  const leader = metadata?.partitions.find((entry) => entry.partitionId === partition)?.leader
  if (leader === undefined) throw new Error(`${topic}-${partition} has no leader`)
  return leader
}

describe('consume-transform-produce in transactions', () => {
  it('writes each input once to read_committed readers through leader and coordinator kills', async () => {
    const before = liveResources()
    const cluster = await Cluster.start({ brokers: 3 })
    cleanups.push(() => cluster.stop())
    const admin = cluster.admin()
    await admin.connect()
    cleanups.push(() => admin.disconnect())
    await admin.createTopics({
      topics: [
        { topic: 'in', numPartitions: 2, replicationFactor: 3 },
        { topic: 'out', numPartitions: 2, replicationFactor: 3 },
      ],
    })
    const source = cluster.producer()
    await source.connect()
    for (let first = 0; first < INPUTS; first += 50) {
      await source.send({
        topic: 'in',
        messages: Array.from({ length: 50 }, (_, index) => ({
          value: String(first + index),
          partition: (first + index) % 2,
        })),
      })
    }
    await source.disconnect()

    // A producer whose transaction failed is replaced by a new one with the same
    // transactional id, which fences it: what an application does.
    let producer: Producer | undefined
    const transactional = async () => {
      if (producer === undefined) {
        producer = cluster.producer({
          transactionalId: TRANSACTIONAL_ID,
          idempotent: true,
          maxInFlightRequests: 1,
        })
        await producer.connect()
      }
      return producer
    }
    cleanups.push(async () => producer?.disconnect())
    let committedBatches = 0
    let committedInputs = 0
    const transformer = cluster.consumer({ groupId: GROUP, maxBytesPerPartition: 400 })
    cleanups.push(() => transformer.disconnect())
    await transformer.connect()
    await transformer.subscribe({ topics: ['in'], fromBeginning: true })
    await transformer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (batch.messages.length === 0) return
        const writer = await transactional()
        const transaction = await writer.transaction()
        try {
          await transaction.send({
            topic: 'out',
            messages: batch.messages.map((message) => ({
              value: `out-${message.value?.toString()}`,
              partition: batch.partition,
            })),
          })
          await transaction.sendOffsets({
            consumerGroupId: GROUP,
            topics: [
              {
                topic: 'in',
                partitions: [
                  { partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
                ],
              },
            ],
          })
          await transaction.commit()
        } catch (error) {
          // A transactional producer whose batch failed keeps that partition's sequence
          // broken (samsa does not bump the epoch on abort, as KafkaJS does not): the next
          // batch goes through a new producer, which fences this one.
          await transaction.abort().catch(() => {})
          await writer.disconnect().catch(() => {})
          producer = undefined
          // Retriable: the consumer hands the same batch over again, for a new transaction.
          throw new KafkaJSError(`transaction failed: ${String(error)}`, { retriable: true })
        }
        resolveOffset(batch.lastOffset())
        committedBatches++
        committedInputs += batch.messages.length
      },
    })

    // Each kill comes while inputs are left, and transactions commit after it.
    const killed: number[] = []
    const killWhileWorking = async (broker: number) => {
      killed.push(INPUTS - committedInputs)
      await cluster.faults.killBroker(broker)
      const batches = committedBatches
      await until(
        `a transaction committed after broker ${broker} died`,
        () => {
          return committedBatches > batches + 2 || committedInputs === INPUTS
        },
        20_000,
      )
      await cluster.faults.restartBroker(broker)
    }
    await until('a first transaction committed', () => committedBatches > 0, 20_000)
    await killWhileWorking(
      await leaderOf(
        admin,
        TRANSACTION_TOPIC,
        offsetsPartitionFor(TRANSACTIONAL_ID, TRANSACTION_TOPIC_PARTITIONS),
      ),
    )
    await killWhileWorking(await leaderOf(admin, 'out', 0))

    await until(
      'every input transformed and its offset committed',
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: ['in'] })
        const offsets = committed?.partitions ?? []
        return offsets.length === 2 && offsets.every((entry) => entry.offset === String(INPUTS / 2))
      },
      40_000,
    )
    await transformer.disconnect()

    const outputs: string[] = []
    const reader = cluster.consumer({ groupId: 'reader' })
    cleanups.push(() => reader.disconnect())
    await reader.connect()
    await reader.subscribe({ topics: ['out'], fromBeginning: true })
    await reader.run({
      eachMessage: async ({ message }) => {
        outputs.push(message.value?.toString() ?? '')
      },
    })
    await until('every output read', () => outputs.length >= INPUTS, 20_000)
    // Whatever came late would come now.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const expected = Array.from({ length: INPUTS }, (_, index) => `out-${index}`)
    expect([...outputs].sort()).toEqual([...expected].sort())
    expect(killed.every((left) => left > 0)).toBe(true)
    await reader.disconnect()
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
    await expectNothingLeftSince(before)
  }, 120_000)
})
