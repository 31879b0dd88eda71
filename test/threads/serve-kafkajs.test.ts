import {
  CompressionTypes,
  type Consumer,
  type EachMessagePayload,
  Kafka,
  logLevel,
  type Producer,
} from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { batchIdentity } from '../../src/actors/broker/producer-state.js'
import { parseMetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster } from '../../src/index.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { within } from '../support/within.js'

/*
 * KafkaJS 2.2.4, unchanged, with only its bootstrap pointed at `cluster.listen()`: the same
 * calls a service makes against Kafka, through samsa's listeners.
 */

const WAIT_MS = 45_000

let cluster: Cluster
let kafka: Kafka
const connected: { disconnect(): Promise<void> }[] = []

beforeAll(async () => {
  cluster = await Cluster.start({ brokers: 3 })
  const bootstrap = await cluster.listen()
  kafka = new Kafka({ clientId: 'serve-test', brokers: [bootstrap], logLevel: logLevel.NOTHING })
})

afterEach(async () => {
  await Promise.allSettled(connected.splice(0).map((client) => client.disconnect()))
})

afterAll(async () => {
  await cluster.stop()
})

async function producer(options: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> {
  const made = kafka.producer(options)
  await made.connect()
  connected.push(made)
  return made
}

async function consumer(groupId: string): Promise<Consumer> {
  const made = kafka.consumer({ groupId, heartbeatInterval: 500, maxWaitTimeInMs: 500 })
  await made.connect()
  connected.push(made)
  return made
}

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 2 }] })
  } finally {
    await admin.disconnect()
  }
}

/** Runs `consumer` and resolves with what it got once `count` messages have come. */
function collect(
  subscribed: Consumer,
  count: number,
  seen: EachMessagePayload[] = [],
): Promise<EachMessagePayload[]> {
  return within(
    WAIT_MS,
    `${count} messages`,
    new Promise((resolve) => {
      void subscribed.run({
        eachMessage: async (payload) => {
          seen.push(payload)
          if (seen.length >= count) resolve(seen)
        },
      })
    }),
  )
}

describe('KafkaJS 2.2.4 against samsa serve', () => {
  it('sees the brokers and the cluster', async () => {
    const admin = kafka.admin()
    await admin.connect()
    connected.push(admin)
    const described = await admin.describeCluster()
    expect(described.brokers.map((broker) => broker.nodeId).sort()).toEqual([0, 1, 2])
    expect(described.clusterId).toBe('samsa')
    await admin.createTopics({
      topics: [{ topic: 'seen', numPartitions: 3, replicationFactor: 3 }],
    })
    const metadata = await admin.fetchTopicMetadata({ topics: ['seen'] })
    expect(metadata.topics[0]?.partitions).toHaveLength(3)
    for (const partition of metadata.topics[0]?.partitions ?? []) {
      expect(partition.replicas).toHaveLength(3)
    }
  })

  it('reads keyed records with headers back intact, in order per partition', async () => {
    await createTopic('keyed', 3)
    const sending = await producer()
    const messages = Array.from({ length: 60 }, (_, index) => ({
      key: `key-${index % 7}`,
      value: `value-${index}`,
      headers: { index: String(index), kind: 'test' },
    }))
    for (let start = 0; start < messages.length; start += 10) {
      await sending.send({ topic: 'keyed', messages: messages.slice(start, start + 10) })
    }
    const reading = await consumer('keyed-group')
    await reading.subscribe({ topic: 'keyed', fromBeginning: true })
    const got = await collect(reading, messages.length)
    const byPartition = new Map<number, number[]>()
    const keyPartition = new Map<string, number>()
    for (const { partition, message } of got) {
      const index = Number(message.headers?.index?.toString())
      expect(message.key?.toString()).toBe(`key-${index % 7}`)
      expect(message.value?.toString()).toBe(`value-${index}`)
      expect(message.headers?.kind?.toString()).toBe('test')
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), index])
      // One key, one partition (KafkaJS's default partitioner, murmur2).
      const key = message.key?.toString() as string
      expect(keyPartition.get(key) ?? partition).toBe(partition)
      keyPartition.set(key, partition)
    }
    expect(got).toHaveLength(messages.length)
    for (const indexes of byPartition.values()) {
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b))
    }
  })

  it('splits partitions between two members, and a member that comes back resumes from the commit', async () => {
    await createTopic('shared', 4)
    const sending = await producer()
    const send = (from: number, count: number) =>
      sending.send({
        topic: 'shared',
        messages: Array.from({ length: count }, (_, index) => ({
          key: `k${from + index}`,
          value: String(from + index),
        })),
      })
    await send(0, 40)
    const first = await consumer('sharing')
    const second = await consumer('sharing')
    const assigned = new Map<Consumer, number[]>()
    for (const member of [first, second]) {
      member.on(member.events.GROUP_JOIN, (event) => {
        assigned.set(member, [...(event.payload.memberAssignment.shared ?? [])])
      })
      await member.subscribe({ topic: 'shared', fromBeginning: true })
    }
    const values = new Set<string>()
    const everyMessage = new Promise<void>((resolve) => {
      for (const member of [first, second]) {
        void member.run({
          eachMessage: async ({ message }) => {
            values.add(message.value?.toString() ?? '')
            if (values.size === 40) resolve()
          },
        })
      }
    })
    await within(WAIT_MS, 'every message', everyMessage)
    await within(WAIT_MS, 'an even split', settledSplit(assigned, first, second))
    const [mine, theirs] = [assigned.get(first) ?? [], assigned.get(second) ?? []]
    expect([...mine, ...theirs].sort()).toEqual([0, 1, 2, 3])
    expect(mine).toHaveLength(2)
    // Leaving commits what each member processed.
    await first.disconnect()
    await second.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    connected.push(admin)
    const committed = await admin.fetchOffsets({ groupId: 'sharing', topics: ['shared'] })
    const total = committed[0]?.partitions.reduce((sum, { offset }) => sum + Number(offset), 0)
    expect(total).toBe(40)
    await send(40, 20)
    const back = await consumer('sharing')
    await back.subscribe({ topic: 'shared', fromBeginning: true })
    const resumed = await collect(back, 20)
    expect(
      resumed.map(({ message }) => Number(message.value?.toString())).sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 20 }, (_, index) => 40 + index))
  })

  it('runs an idempotent producer: its batches carry the producer id it was given', async () => {
    await createTopic('idempotent', 1)
    const sending = await producer({ idempotent: true, maxInFlightRequests: 1 })
    for (let round = 0; round < 3; round++) {
      await sending.send({
        topic: 'idempotent',
        messages: [{ value: `a${round}` }, { value: `b${round}` }],
      })
    }
    const snapshot = await cluster.supervisor.ask(
      { type: 'metadata', topics: ['idempotent'] },
      { parseReply: parseMetadataSnapshot },
    )
    const log = PartitionLogReader.open(snapshot.topics[0]?.partitions[0]?.log)
    const batches = log.read(0, 1 << 20).batches
    expect(batches).toHaveLength(3)
    const identities = batches.map((batch) => batchIdentity(batch))
    expect(identities[0]?.producerId).toBeGreaterThanOrEqual(0)
    expect(identities.map((identity) => identity?.baseSequence)).toEqual([0, 2, 4])
    expect(new Set(identities.map((identity) => identity?.producerId)).size).toBe(1)
  })

  it('produces and consumes gzip batches', async () => {
    await createTopic('zipped', 2)
    const sending = await producer()
    await sending.send({
      topic: 'zipped',
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 30 }, (_, index) => ({
        key: `k${index}`,
        value: 'x'.repeat(200) + index,
      })),
    })
    const reading = await consumer('zipped-group')
    await reading.subscribe({ topic: 'zipped', fromBeginning: true })
    const got = await collect(reading, 30)
    expect(new Set(got.map(({ message }) => message.value?.toString())).size).toBe(30)
  })

  it('finds offsets by timestamp', async () => {
    await createTopic('timed', 1)
    const sending = await producer()
    const start = Date.now() - 60_000
    await sending.send({
      topic: 'timed',
      messages: [0, 1, 2, 3].map((step) => ({
        value: `t${step}`,
        timestamp: String(start + step * 1000),
      })),
    })
    const admin = kafka.admin()
    await admin.connect()
    connected.push(admin)
    expect(await admin.fetchTopicOffsetsByTimestamp('timed', start + 1500)).toEqual([
      { partition: 0, offset: '2' },
    ])
    expect(await admin.fetchTopicOffsetsByTimestamp('timed', start)).toEqual([
      { partition: 0, offset: '0' },
    ])
    const [bounds] = await admin.fetchTopicOffsets('timed')
    expect(bounds).toMatchObject({ partition: 0, low: '0', high: '4' })
  })

  it('creates and deletes topics', async () => {
    const admin = kafka.admin()
    await admin.connect()
    connected.push(admin)
    expect(await admin.createTopics({ topics: [{ topic: 'short-lived', numPartitions: 2 }] })).toBe(
      true,
    )
    expect(await admin.createTopics({ topics: [{ topic: 'short-lived', numPartitions: 2 }] })).toBe(
      false,
    )
    expect(await admin.listTopics()).toContain('short-lived')
    await admin.deleteTopics({ topics: ['short-lived'] })
    expect(await admin.listTopics()).not.toContain('short-lived')
  })

  it('shares one cluster with the in-process clients, both ways', async () => {
    await createTopic('mixed', 2)
    const wireProducer = await producer()
    await wireProducer.send({
      topic: 'mixed',
      messages: [{ key: 'from', value: 'kafkajs', headers: { via: 'wire' } }],
    })
    const inProcess = cluster.consumer({ groupId: 'in-process' })
    await inProcess.connect()
    connected.push(inProcess)
    await inProcess.subscribe({ topics: ['mixed'], fromBeginning: true })
    const readInProcess = within(
      WAIT_MS,
      'the in-process consumer',
      new Promise<string>((resolve) => {
        void inProcess.run({
          eachMessage: async ({ message }) =>
            resolve(`${message.value?.toString()} via ${message.headers?.via?.toString()}`),
        })
      }),
    )
    expect(await readInProcess).toBe('kafkajs via wire')

    const samsaProducer = cluster.producer()
    await samsaProducer.connect()
    connected.push(samsaProducer)
    await samsaProducer.send({ topic: 'mixed', messages: [{ key: 'from', value: 'samsa' }] })
    const wireConsumer = await consumer('over-the-wire')
    await wireConsumer.subscribe({ topic: 'mixed', fromBeginning: true })
    const got = await collect(wireConsumer, 2)
    expect(got.map(({ message }) => message.value?.toString()).sort()).toEqual(['kafkajs', 'samsa'])
  })
})

/** Resolves once each member's latest assignment holds two of the four partitions. */
async function settledSplit(
  assigned: ReadonlyMap<Consumer, readonly number[]>,
  first: Consumer,
  second: Consumer,
): Promise<void> {
  while ((assigned.get(first)?.length ?? 0) !== 2 || (assigned.get(second)?.length ?? 0) !== 2) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
