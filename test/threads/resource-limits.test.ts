import { afterEach, describe, expect, it } from 'vitest'
import {
  type ProduceReply,
  partitionBatch,
  produceRequest,
} from '../../src/actors/broker/broker-protocol.js'
import type { TopicResult } from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'
import { KafkaJSAggregateError, KafkaJSProtocolError } from '../../src/api/errors.js'
import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { expectTopicWhole, sendValues } from '../support/kept-topic.js'

const MIB = 2 ** 20
const clusters: Cluster[] = []

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function startCluster(options: ClusterOptions) {
  const cluster = await Cluster.start({ brokers: 3, ...options })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  return { cluster, admin }
}

/** The protocol error a call was refused with, inside a KafkaJSAggregateError or not. */
async function refusal(call: Promise<unknown>): Promise<KafkaJSProtocolError> {
  const error = await call.then(
    () => {
      throw new Error('expected a refusal')
    },
    (error: unknown) => error,
  )
  const inner = error instanceof KafkaJSAggregateError ? error.errors[0] : error
  expect(inner).toBeInstanceOf(KafkaJSProtocolError)
  return inner as KafkaJSProtocolError
}

async function expectRefused(call: Promise<unknown>, type: string, message?: RegExp) {
  const error = await refusal(call)
  expect(error.type).toBe(type)
  if (message !== undefined) expect(error.message).toMatch(message)
}

describe('limits checked before any work', () => {
  it('refuses partition counts and rings the cluster cannot hold, and an existing topic loses nothing', async () => {
    const { cluster, admin } = await startCluster({ maxMemoryBytes: 512 * MIB })
    await admin.createTopics({
      topics: [{ topic: 'kept', numPartitions: 3, replicationFactor: 3 }],
    })
    const sent = Array.from({ length: 30 }, (_, index) => `kept-${index}`)
    await sendValues(cluster, 'kept', sent)

    for (const count of [1_000_000, 2 ** 40]) {
      await expectRefused(
        admin.createPartitions({ topicPartitions: [{ topic: 'kept', count }] }),
        'INVALID_PARTITIONS',
      )
      await expectRefused(
        admin.createTopics({ topics: [{ topic: `big-${count}`, numPartitions: count }] }),
        'INVALID_PARTITIONS',
      )
    }
    // Possible counts, but more than the budget holds: the message says how much and how much is left.
    await expectRefused(
      admin.createPartitions({ topicPartitions: [{ topic: 'kept', count: 100 }] }),
      'POLICY_VIOLATION',
      /97 new partitions × 3 replicas .* ask for .*; the memory budget .* has .* left/,
    )
    await expectRefused(
      admin.createTopics({ topics: [{ topic: 'wide', numPartitions: 50_000 }] }),
      'POLICY_VIOLATION',
    )
    const ring = (bytes: number) => [{ name: 'samsa.log.capacity.bytes', value: String(bytes) }]
    await expectRefused(
      admin.createTopics({ topics: [{ topic: 'huge-ring', configEntries: ring(2 ** 30) }] }),
      'POLICY_VIOLATION',
      /each a ring of 1\.0 GiB/,
    )
    for (const bytes of [2 ** 31, 2 ** 40, 1000]) {
      await expectRefused(
        admin.createTopics({ topics: [{ topic: 'odd-ring', configEntries: ring(bytes) }] }),
        'INVALID_CONFIG',
      )
    }

    // The controller holds the same line for requests that skip the client's checks.
    const asked = async (request: Parameters<typeof cluster.supervisor.ask>[0]) => {
      const [result] = await cluster.supervisor.ask<TopicResult[]>(request)
      return result?.error?.kafkaType
    }
    expect(
      await asked({
        type: 'create-partitions',
        topicPartitions: [{ topic: 'kept', count: 2 ** 40 }],
      }),
    ).toBe('INVALID_PARTITIONS')
    expect(
      await asked({
        type: 'create-topics',
        topics: [
          { topic: 'raw', numPartitions: 1, replicationFactor: 1, logCapacityBytes: 2 ** 40 },
        ],
      }),
    ).toBe('INVALID_CONFIG')
    expect(
      await asked({
        type: 'create-topics',
        topics: [{ topic: 'raw', numPartitions: 10 ** 6, replicationFactor: 3 }],
      }),
    ).toBe('INVALID_PARTITIONS')

    await expectTopicWhole(cluster, 'kept', sent, 'limits')
    // Every broker still takes new replicas.
    await expect(
      admin.createTopics({ topics: [{ topic: 'after', numPartitions: 3, replicationFactor: 3 }] }),
    ).resolves.toBe(true)
  })

  it('gives a deleted topic’s memory back to the budget', async () => {
    const { admin } = await startCluster({ maxMemoryBytes: 64 * MIB })
    const topic = (name: string) => ({
      topic: name,
      numPartitions: 2,
      configEntries: [{ name: 'samsa.log.capacity.bytes', value: String(16 * MIB) }],
    })
    await admin.createTopics({ topics: [topic('first')] })
    await expectRefused(admin.createTopics({ topics: [topic('second')] }), 'POLICY_VIOLATION')
    await admin.deleteTopics({ topics: ['first'] })
    await expect(admin.createTopics({ topics: [topic('second')] })).resolves.toBe(true)
  })
})

describe('failures stay inside their request', () => {
  it('a broker answers a request it cannot serve with an error, and serves on', async () => {
    const { cluster, admin } = await startCluster({})
    const deaths: unknown[] = []
    cluster.on('broker.down', (event) => deaths.push(event))
    await admin.createTopics({
      topics: [{ topic: 'kept', numPartitions: 3, replicationFactor: 3 }],
    })
    const sent = ['a', 'b', 'c']
    await sendValues(cluster, 'kept', sent)
    const broker = cluster.brokerRefs[0]
    if (broker === undefined) throw new Error('no broker 0')
    // A ring size no log can have: the broker's log refuses it while handling this one request.
    await expect(
      broker.ask({
        type: 'create-replica',
        topic: 'odd',
        partition: 0,
        leaderEpoch: 0,
        config: {
          logCapacityBytes: 300,
          maxMessageBytes: 1_000_000,
          minInsyncReplicas: 1,
          replicaLagTimeMaxMs: 30_000,
        },
        role: { kind: 'leader', followers: [], controller: cluster.supervisor },
      }),
    ).rejects.toThrow(/log capacity must be a power of two/)
    await expect(broker.ask({ type: 'group-coordinator' })).resolves.toBeDefined()
    await expectTopicWhole(cluster, 'kept', sent, 'broker')
    expect(deaths).toEqual([])
  })

  it('deletes the replicas of a topic whose creation failed part way', async () => {
    const { cluster, admin } = await startCluster({})
    // Broker 2 never hears of the new topic: its replicas' asks run out of time.
    await cluster.faults.setLinkFault({ from: 'supervisor', to: 2, drop: 1 })
    // Asked of the controller with a deadline past its own asks', to hear how it ends.
    const [created] = await cluster.supervisor.ask<TopicResult[]>(
      {
        type: 'create-topics',
        topics: [{ topic: 'half', numPartitions: 3, replicationFactor: 3 }],
      },
      { timeoutMs: 30_000 },
    )
    expect(created?.outcome).toBe('failed')
    await cluster.faults.heal()
    const batch = encodeRecordBatch({
      records: [{ key: null, value: new Uint8Array([1]) }],
      timestamp: 0,
    })
    for (const broker of cluster.brokerRefs.slice(0, 2)) {
      for (const partition of [0, 1, 2]) {
        const reply = await broker.ask<ProduceReply>(
          produceRequest(1, [partitionBatch('half', partition, batch)]),
        )
        expect(reply.partitions[0]?.error).toBe('UNKNOWN_TOPIC_OR_PARTITION')
      }
    }
    await expect(
      admin.createTopics({ topics: [{ topic: 'half', numPartitions: 3, replicationFactor: 3 }] }),
    ).resolves.toBe(true)
    await expectTopicWhole(cluster, 'half', [], 'rollback')
  })
})
