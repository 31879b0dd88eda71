import fc from 'fast-check'
import { describe, it } from 'vitest'
import { Cluster } from '../../src/api/cluster.js'
import { KafkaJSAggregateError, KafkaJSError } from '../../src/api/errors.js'
import { expectTopicWhole, sendValues } from '../support/kept-topic.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'
import {
  groupId,
  listOf,
  near,
  offset,
  partition,
  shaped,
  topicName,
  wild,
} from '../support/wild-values.js'
import { within } from '../support/within.js'
import { propertySeed } from '../unit/log/seed.js'

/** The bar: a thousand calls per suite run. */
const FUZZED_CALLS = 1_000
/** Longer than any call's own bounded waits (retries, asks), so a hang is told from a slow answer. */
const CALL_DEADLINE_MS = 15_000
/** The topic whose health the fuzz must not touch: no generator names it. */
const KEPT = 'kept-before-the-fuzz'

const message = shaped({
  key: near(fc.string({ maxLength: 8 })),
  value: near(fc.string({ maxLength: 8 })),
  partition,
  headers: near(fc.dictionary(fc.string({ maxLength: 4 }), near(fc.string({ maxLength: 4 })))),
  timestamp: near(fc.nat().map(String)),
})
const acks = near(fc.constantFrom(-1, 0, 1))
const compression = near(fc.constantFrom(0, 1, 2, 3, 4, 5))
const topicPartitions = listOf(shaped({ topic: topicName, partitions: listOf(partition) }))
const topicOffset = shaped({ topic: topicName, partition, offset })
const subscription = shaped({
  topic: topicName,
  topics: listOf(near(topicName, fc.constant(/fuzz-.*/))),
  fromBeginning: near(fc.boolean()),
})
const configEntry = shaped({
  name: near(
    fc.constantFrom('retention.ms', 'samsa.log.capacity.bytes', 'constructor', 'cleanup.policy'),
  ),
  value: near(fc.constantFrom('1000', '65536', '1073741824', '1099511627776', '-5', 'abc')),
})
const topicConfig = shaped({
  topic: topicName,
  numPartitions: near(fc.integer({ min: -2, max: 3 }), fc.constantFrom(1_000_000, 2 ** 40)),
  replicationFactor: near(fc.integer({ min: -1, max: 4 })),
  replicaAssignment: wild,
  configEntries: listOf(configEntry),
})
const eventName = near(fc.constantFrom('producer.connect', 'consumer.crash', 'admin.connect'))
const listener = near(fc.constant(() => {}))
const retry = shaped({
  retries: near(fc.nat(3)),
  initialRetryTime: near(fc.nat(50)),
  maxRetryTime: near(fc.nat(100)),
  multiplier: near(fc.constantFrom(1, 2)),
})

/** Each public call, and what its arguments may be. */
const CALLS = {
  'producer.send': fc.tuple(
    shaped({ topic: topicName, messages: listOf(message), acks, compression, timeout: wild }),
  ),
  'producer.sendBatch': fc.tuple(
    shaped({
      topicMessages: listOf(shaped({ topic: topicName, messages: listOf(message) })),
      acks,
      compression,
      timeout: wild,
    }),
  ),
  'producer.sendEncodedBatch': fc.tuple(
    shaped({ topic: topicName, partition, batch: near(fc.uint8Array({ maxLength: 80 })), acks }),
  ),
  'producer.on': fc.tuple(eventName, listener),
  'consumer.subscribe': fc.tuple(subscription),
  'consumer.run': fc.tuple(
    shaped({
      eachMessage: wild,
      eachBatch: wild,
      autoCommitInterval: wild,
      autoCommitThreshold: wild,
      partitionsConsumedConcurrently: wild,
    }),
  ),
  'consumer.seek': fc.tuple(topicOffset),
  'consumer.pause': fc.tuple(topicPartitions),
  'consumer.resume': fc.tuple(topicPartitions),
  'consumer.commitOffsets': fc.tuple(listOf(topicOffset)),
  'consumer.on': fc.tuple(eventName, listener),
  'idle.subscribe': fc.tuple(subscription),
  'idle.run': fc.tuple(shaped({ eachMessage: wild, eachBatch: wild })),
  'idle.runBatches': fc.tuple(shaped({ eachRawBatch: wild, partitionsConsumedConcurrently: wild })),
  'idle.seek': fc.tuple(topicOffset),
  'idle.pause': fc.tuple(topicPartitions),
  'idle.commitOffsets': fc.tuple(listOf(topicOffset)),
  'admin.createTopics': fc.tuple(shaped({ topics: listOf(topicConfig), validateOnly: wild })),
  'admin.createPartitions': fc.tuple(
    shaped({
      topicPartitions: listOf(
        shaped({
          topic: topicName,
          count: near(fc.integer({ min: 0, max: 8 }), fc.constantFrom(1_000_000, 2 ** 40)),
        }),
      ),
    }),
  ),
  'admin.deleteTopics': fc.tuple(shaped({ topics: listOf(topicName) })),
  'admin.fetchTopicMetadata': fc.tuple(shaped({ topics: listOf(topicName) })),
  'admin.fetchTopicOffsets': fc.tuple(topicName),
  'admin.fetchTopicOffsetsByTimestamp': fc.tuple(topicName, near(fc.integer({ min: -3 }))),
  'admin.electLeaders': fc.tuple(shaped({ topics: listOf(topicName) })),
  'admin.describeGroups': fc.tuple(listOf(groupId)),
  'admin.fetchOffsets': fc.tuple(
    shaped({ groupId, topics: listOf(topicName), resolveOffsets: wild }),
  ),
  'admin.setOffsets': fc.tuple(
    shaped({ groupId, topic: topicName, partitions: listOf(shaped({ partition, offset })) }),
  ),
  'admin.resetOffsets': fc.tuple(shaped({ groupId, topic: topicName, earliest: wild })),
  'admin.deleteGroups': fc.tuple(listOf(groupId)),
  'admin.on': fc.tuple(eventName, listener),
  // Calls that take nothing, given something anyway.
  'admin.listTopics': fc.tuple(wild),
  'admin.listGroups': fc.tuple(wild),
  'admin.describeCluster': fc.tuple(wild),
  'consumer.describeGroup': fc.tuple(wild),
  'consumer.paused': fc.tuple(wild),
  'cluster.producer': fc.tuple(
    shaped({
      retry,
      idempotent: wild,
      maxInFlightRequests: wild,
      lingerMs: wild,
      batchSize: wild,
      requestTimeout: wild,
      transactionalId: wild,
    }),
  ),
  'cluster.consumer': fc.tuple(
    shaped({
      groupId,
      sessionTimeout: wild,
      heartbeatInterval: wild,
      maxBytes: wild,
      retry,
      partitionAssigners: wild,
      groupInstanceId: wild,
    }),
  ),
  'cluster.on': fc.tuple(near(fc.constantFrom('broker.down', 'leader.elected')), listener),
} satisfies Record<string, fc.Arbitrary<unknown[]>>

type CallName = keyof typeof CALLS

const anyCall = fc.oneof(
  ...(Object.keys(CALLS) as CallName[]).map((name) =>
    CALLS[name].map((args) => ({ name, args }) as const),
  ),
)

/** The call's outcome, a throw before any promise included. */
async function outcomeOf(
  target: object,
  method: string,
  args: readonly unknown[],
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    const run = Reflect.get(target, method) as (...args: readonly unknown[]) => unknown
    await Reflect.apply(run, target, args)
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}

function isKafkaJSError(error: unknown): boolean {
  if (error instanceof KafkaJSAggregateError) return error.errors.every(isKafkaJSError)
  return error instanceof KafkaJSError
}

describe('every public call, driven with arbitrary arguments', () => {
  it(`${FUZZED_CALLS} calls settle in time, fail only with KafkaJS errors, and harm no topic`, async () => {
    const before = liveResources()
    // Small rings, so that the topics fuzzed calls do create cost little.
    const cluster = await Cluster.start({
      brokers: 3,
      logCapacityBytes: 64 * 1024,
      maxMemoryBytes: 512 * 2 ** 20,
    })
    try {
      const admin = cluster.admin()
      await admin.connect()
      await admin.createTopics({
        topics: [
          { topic: KEPT, numPartitions: 3, replicationFactor: 3 },
          { topic: 'fuzz-target', numPartitions: 2, replicationFactor: 2 },
        ],
      })
      const sent = Array.from({ length: 30 }, (_, index) => `before-${index}`)
      await sendValues(cluster, KEPT, sent)
      // Few, quick retries: a send to a missing topic is refused in milliseconds, not seconds.
      const producer = cluster.producer({ retry: { retries: 1, initialRetryTime: 10 } })
      await producer.connect()
      const consumer = cluster.consumer({ groupId: 'fuzz-group' })
      await consumer.connect()
      await consumer.subscribe({ topics: ['fuzz-target'] })
      await consumer.run({ eachMessage: async () => {} })
      const idle = cluster.consumer({ groupId: 'fuzz-idle' })
      await idle.connect()
      const targets: Record<string, object> = { producer, consumer, idle, admin, cluster }

      const seed = propertySeed()
      await fc.assert(
        fc.asyncProperty(anyCall, async ({ name, args }) => {
          const [client = '', method = ''] = name.split('.')
          const target = targets[client]
          if (target === undefined) throw new Error(`no client ${client}`)
          const outcome = await within(
            CALL_DEADLINE_MS,
            `${name} settles`,
            outcomeOf(target, method, args),
          )
          if (!outcome.ok && !isKafkaJSError(outcome.error)) {
            throw new Error(`${name} failed with a non-KafkaJS error: ${String(outcome.error)}`, {
              cause: outcome.error,
            })
          }
        }),
        { seed, numRuns: FUZZED_CALLS, endOnFailure: true },
      )

      await expectTopicWhole(cluster, KEPT, sent, 'fuzz')
    } finally {
      await cluster.stop()
    }
    await expectNothingLeftSince(before)
  })
})
