import {
  type Consumer,
  type ConsumerConfig,
  type EachMessagePayload,
  Kafka,
  logLevel,
  type Producer,
} from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import { ApiKeys } from '../../src/runtime/kafka-protocol/index.js'
import { fetchRequest, WireTestClient } from '../support/wire-client.js'
import { within } from '../support/within.js'

/*
 * Transactions over the wire: KafkaJS 2.2.4's transactional producer, read-committed and
 * read-uncommitted consumers and admin against `cluster.listen()`, and raw requests for what
 * KafkaJS never sends.
 */

const WAIT_MS = 45_000
const TEARDOWN_MS = 20_000

let cluster: Cluster
let bootstrap: string
let kafka: Kafka
const connected: { disconnect(): Promise<void> }[] = []
const rawClients: WireTestClient[] = []

beforeAll(async () => {
  cluster = await Cluster.start({ brokers: 3 })
  bootstrap = await cluster.listen({ port: 0 })
  kafka = new Kafka({ clientId: 'serve-txn', brokers: [bootstrap], logLevel: logLevel.NOTHING })
})

afterEach(async () => {
  for (const client of rawClients.splice(0)) client.close()
  await within(
    TEARDOWN_MS,
    'the clients disconnecting',
    Promise.allSettled(connected.splice(0).map((client) => client.disconnect())),
  )
})

afterAll(async () => {
  await within(TEARDOWN_MS, 'the cluster stopping', cluster.stop())
})

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const made = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
  await made.connect()
  connected.push(made)
  return made
}

async function consumer(groupId: string, options: Partial<ConsumerConfig> = {}): Promise<Consumer> {
  const made = kafka.consumer({ groupId, heartbeatInterval: 500, maxWaitTimeInMs: 200, ...options })
  await made.connect()
  connected.push(made)
  return made
}

async function admin() {
  const made = kafka.admin()
  await made.connect()
  connected.push(made)
  return made
}

async function createTopic(topic: string): Promise<void> {
  const creating = await admin()
  await creating.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 2 }] })
}

/** The values `subscribed` reads from `topic`'s beginning, once it has read `count`. */
async function readValues(subscribed: Consumer, topic: string, count: number): Promise<string[]> {
  await subscribed.subscribe({ topic, fromBeginning: true })
  const seen: EachMessagePayload[] = []
  await within(
    WAIT_MS,
    `${count} messages of ${topic}`,
    new Promise<void>((resolve) => {
      void subscribed.run({
        eachMessage: async (payload) => {
          seen.push(payload)
          if (seen.length >= count) resolve()
        },
      })
    }),
  )
  return seen.map(({ message }) => String(message.value))
}

const messages = (...values: string[]) => values.map((value) => ({ value }))

async function rawClient(address: string): Promise<WireTestClient> {
  const made = await WireTestClient.connect(address)
  rawClients.push(made)
  return made
}

/** A raw connection to the broker whose listener serves `nodeId`. */
async function rawClientOf(nodeId: number): Promise<WireTestClient> {
  const seed = await rawClient(bootstrap)
  const described = await seed.request(ApiKeys.Metadata, 1, {
    topics: [],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  })
  const broker = described.brokers.find((entry) => entry.nodeId === nodeId)
  return rawClient(`${broker?.host}:${broker?.port}`)
}

async function leaderOf(topic: string): Promise<number> {
  const describing = await admin()
  const [metadata] = (await describing.fetchTopicMetadata({ topics: [topic] })).topics
  return metadata?.partitions[0]?.leader as number
}

describe('KafkaJS 2.2.4 transactions against samsa serve', () => {
  it('shows committed records to read-committed consumers, and aborted ones only to read-uncommitted', async () => {
    const topic = 'txn-visibility'
    await createTopic(topic)
    const producer = await transactionalProducer('visibility')
    const first = await producer.transaction()
    await first.send({ topic, messages: messages('a', 'b') })
    await first.commit()
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: messages('x', 'y') })
    await aborted.abort()
    const last = await producer.transaction()
    await last.send({ topic, messages: messages('c') })
    await last.commit()

    // 'c' lies past the aborted records: a reader that got it has passed them.
    const committed = await readValues(await consumer('txn-read-committed'), topic, 3)
    expect(committed).toEqual(['a', 'b', 'c'])
    const uncommitted = await readValues(
      await consumer('txn-read-uncommitted', { readUncommitted: true }),
      topic,
      5,
    )
    expect(uncommitted).toEqual(['a', 'b', 'x', 'y', 'c'])
  })

  it("commits a group's offsets with the transaction, and drops them with an abort", async () => {
    const topic = 'txn-offsets'
    await createTopic(topic)
    const groupId = 'txn-offsets-group'
    const inspecting = await admin()
    const committedOffset = async () => {
      const [fetched] = await inspecting.fetchOffsets({ groupId, topics: [topic] })
      return fetched?.partitions.find(({ partition }) => partition === 0)?.offset
    }
    const producer = await transactionalProducer('offsets')

    const committing = await producer.transaction()
    await committing.send({ topic, messages: messages('one') })
    await committing.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }],
    })
    expect(await committedOffset()).toBe('-1')
    await committing.commit()
    expect(await committedOffset()).toBe('5')

    const aborting = await producer.transaction()
    await aborting.send({ topic, messages: messages('two') })
    await aborting.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '9' }] }],
    })
    await aborting.abort()
    expect(await committedOffset()).toBe('5')
  })

  it('fences the older producer of a transactional id, whose open transaction is aborted', async () => {
    const topic = 'txn-fencing'
    await createTopic(topic)
    const older = await transactionalProducer('fenced')
    const stale = await older.transaction()
    await stale.send({ topic, messages: messages('stale') })

    const newer = await transactionalProducer('fenced')
    const current = await newer.transaction()
    await current.send({ topic, messages: messages('current') })

    await expect(stale.commit()).rejects.toMatchObject({
      type: expect.stringMatching(/^(INVALID_PRODUCER_EPOCH|PRODUCER_FENCED)$/),
    })
    await current.commit()
    expect(await readValues(await consumer('txn-fencing-group'), topic, 1)).toEqual(['current'])
  })
})

describe('transaction requests over a raw socket', () => {
  it('answers malformed and unknown transaction requests with error codes', async () => {
    const topic = 'txn-raw'
    await createTopic(topic)
    const connection = await rawClient(bootstrap)

    const emptyId = await connection.request(ApiKeys.AddPartitionsToTxn, 1, {
      transactions: [],
      v3AndBelowTransactionalId: '',
      v3AndBelowProducerId: -5n,
      v3AndBelowProducerEpoch: -1,
      v3AndBelowTopics: [{ name: topic, partitions: [0] }],
    })
    expect(emptyId.resultsByTopicV3AndBelow).toEqual([
      { name: topic, resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 42 }] },
    ])

    const unknownPartition = await connection.request(ApiKeys.AddPartitionsToTxn, 1, {
      transactions: [],
      v3AndBelowTransactionalId: 'raw',
      v3AndBelowProducerId: 1n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [{ name: topic, partitions: [0, 7] }],
    })
    // UNKNOWN_TOPIC_OR_PARTITION for the partition that does not exist; OPERATION_NOT_ATTEMPTED
    expect(unknownPartition.resultsByTopicV3AndBelow[0]?.resultsByPartition).toEqual([
      { partitionIndex: 0, partitionErrorCode: 55 },
      { partitionIndex: 7, partitionErrorCode: 3 },
    ])

    const found = await connection.request(ApiKeys.FindCoordinator, 1, {
      key: 'raw',
      keyType: 1,
      coordinatorKeys: [],
    })
    expect(found.errorCode).toBe(0)
    const badKeyType = await connection.request(ApiKeys.FindCoordinator, 1, {
      key: 'raw',
      keyType: 9,
      coordinatorKeys: [],
    })
    expect(badKeyType.errorCode).toBe(42)

    // The coordinator of an id it has never seen: no producer of it can end a transaction.
    const coordinator = await rawClientOf(found.nodeId)
    const ended = await coordinator.request(ApiKeys.EndTxn, 1, {
      transactionalId: 'raw',
      producerId: 123_456n,
      producerEpoch: 0,
      committed: true,
    })
    expect(ended.errorCode).toBe(49)
    const timeout = await coordinator.request(ApiKeys.InitProducerId, 1, {
      transactionalId: 'raw',
      transactionTimeoutMs: -1,
      producerId: -1n,
      producerEpoch: -1,
    })
    expect(timeout.errorCode).toBe(50)
    const offsets = await coordinator.request(ApiKeys.TxnOffsetCommit, 0, {
      transactionalId: 'raw',
      groupId: 'raw-group',
      producerId: 1n,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: topic,
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: -3n,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            },
          ],
        },
      ],
    })
    expect(offsets.topics[0]?.partitions[0]?.errorCode).toBe(42)
  })

  it('lets only the current producer of a transactional id resume under its own id', async () => {
    const seed = await rawClient(bootstrap)
    const found = await seed.request(ApiKeys.FindCoordinator, 1, {
      key: 'resuming',
      keyType: 1,
      coordinatorKeys: [],
    })
    const coordinator = await rawClientOf(found.nodeId)
    const init = (version: number, producerId: bigint, producerEpoch: number) =>
      coordinator.request(ApiKeys.InitProducerId, version, {
        transactionalId: 'resuming',
        transactionTimeoutMs: 60_000,
        producerId,
        producerEpoch,
      })
    const first = await init(4, -1n, -1)
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 })
    const resumed = await init(4, first.producerId, 0)
    expect(resumed).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 })
    // Epoch 0 is fenced now: PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH before version 4.
    expect((await init(4, first.producerId, 0)).errorCode).toBe(90)
    expect((await init(3, first.producerId, 0)).errorCode).toBe(47)
    expect((await init(4, first.producerId, -1)).errorCode).toBe(42)
    expect((await init(4, -1n, -1)).producerEpoch).toBe(2)
  })

  it('ends read-committed Fetch and ListOffsets at the last stable offset, naming aborted transactions', async () => {
    const topic = 'txn-isolation'
    await createTopic(topic)
    const producer = await transactionalProducer('isolation')
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: messages('x', 'y') })
    await aborted.abort()
    // Left open: offsets 0–1 aborted, 2 the abort marker, 3 open.
    const open = await producer.transaction()
    await open.send({ topic, messages: messages('open') })

    const leader = await rawClientOf(await leaderOf(topic))
    const latest = async (isolationLevel: number) => {
      const answer = await leader.request(ApiKeys.ListOffsets, 2, {
        replicaId: -1,
        isolationLevel,
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 },
            ],
          },
        ],
        timeoutMs: 0,
      })
      return answer.topics[0]?.partitions[0]
    }
    expect(await latest(0)).toMatchObject({ errorCode: 0, offset: 4n })
    expect(await latest(1)).toMatchObject({ errorCode: 0, offset: 3n })
    expect(await latest(5)).toMatchObject({ errorCode: 42 })

    const fetchFromStart = async (isolationLevel: number) => {
      const answer = await leader.request(ApiKeys.Fetch, 11, {
        ...fetchRequest(topic, 0n),
        maxWaitMs: 0,
        minBytes: 0,
        isolationLevel,
      })
      return answer.responses[0]?.partitions[0]
    }
    const committed = await fetchFromStart(1)
    expect(committed).toMatchObject({ errorCode: 0, highWatermark: 4n, lastStableOffset: 3n })
    expect(committed?.abortedTransactions).toHaveLength(1)
    expect(committed?.abortedTransactions?.[0]?.firstOffset).toBe(0n)
    const uncommitted = await fetchFromStart(0)
    expect(uncommitted).toMatchObject({ errorCode: 0, highWatermark: 4n, lastStableOffset: 3n })
    expect(uncommitted?.abortedTransactions ?? []).toHaveLength(0)
    // Read uncommitted reaches the open transaction's batch, read committed stops before it.
    expect(uncommitted?.records?.length ?? 0).toBeGreaterThan(committed?.records?.length ?? 0)
    expect((await fetchFromStart(3))?.errorCode).toBe(42)
    await open.abort()
  })
})
