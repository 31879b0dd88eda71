import { afterEach, describe, expect, it } from 'vitest'
import {
  type PartitionProduced,
  type ProduceReply,
  partitionBatch,
  producedOrThrow,
  produceRequest,
} from '../../src/actors/broker/broker-protocol.js'
import type {
  MetadataSnapshot,
  TopicResult,
  TopicSpec,
} from '../../src/actors/supervisor/supervisor-protocol.js'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'
import type {
  Consumer,
  ConsumerConfig,
  EachMessagePayload,
  InstrumentationEvent,
  KafkaMessage,
} from '../../src/api/consumer.js'
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from '../../src/api/errors.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { encodeRecordBatch, type RecordInput } from '../../src/runtime/log/record-batch-codec.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'

const clusters: Cluster[] = []

async function startCluster(options: ClusterOptions = { brokers: 1 }): Promise<Cluster> {
  const cluster = await Cluster.start(options)
  clusters.push(cluster)
  return cluster
}

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function createTopic(
  cluster: Cluster,
  topic: string,
  numPartitions = 1,
  extra: Partial<TopicSpec> = {},
): Promise<void> {
  const [result] = await cluster.supervisor.ask<TopicResult[]>({
    type: 'create-topics',
    topics: [{ topic, numPartitions, replicationFactor: 1, ...extra }],
  })
  expect(result?.outcome).toBe('done')
}

async function partitionMetadata(cluster: Cluster, topic: string, partition: number) {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [topic],
  })
  const found = metadata.topics[0]?.partitions.find((entry) => entry.partition === partition)
  if (found === undefined) throw new Error(`no metadata for ${topic}-${partition}`)
  return found
}

/** Appends one batch through the partition's leader; returns its base offset. */
async function produce(
  cluster: Cluster,
  topic: string,
  partition: number,
  records: readonly RecordInput[],
): Promise<number> {
  const { leader } = await partitionMetadata(cluster, topic, partition)
  const broker = cluster.brokerRefs[leader]
  if (broker === undefined) throw new Error(`no broker ${leader}`)
  const reply = await broker.ask<ProduceReply>(
    produceRequest(1, [
      partitionBatch(topic, partition, encodeRecordBatch({ records, timestamp: Date.now() })),
    ]),
  )
  return producedOrThrow(reply.partitions[0] as PartitionProduced).baseOffset
}

const bytes = (text: string): Buffer => Buffer.from(text)
const values = (...texts: string[]): RecordInput[] =>
  texts.map((text) => ({ key: null, value: bytes(text) }))

async function connectedConsumer(
  cluster: Cluster,
  config: Partial<ConsumerConfig> = {},
): Promise<Consumer> {
  const consumer = cluster.consumer({ groupId: 'test-group', ...config })
  await consumer.connect()
  return consumer
}

/** Messages as `eachMessage` saw them, and a way to await the nth. */
function recorder() {
  const seen: EachMessagePayload[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  return {
    seen,
    record(payload: EachMessagePayload) {
      seen.push(payload)
      for (const waiter of waiters.splice(0)) {
        if (seen.length >= waiter.count) waiter.resolve()
        else waiters.push(waiter)
      }
    },
    until(count: number): Promise<void> {
      if (seen.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    offsets: (partition = 0) =>
      seen.filter((entry) => entry.partition === partition).map((entry) => entry.message.offset),
    texts: () => seen.map((entry) => entry.message.value?.toString()),
  }
}

function nextEvent(consumer: Consumer, name: Parameters<Consumer['on']>[0]) {
  return new Promise<InstrumentationEvent>((resolve) => {
    const off = consumer.on(name, (event) => {
      off()
      resolve(event)
    })
  })
}

describe('consumer: delivery', () => {
  it('delivers each partition in order, offsets and timestamps as strings, one message at a time', async () => {
    const cluster = await startCluster({ brokers: 3 })
    await createTopic(cluster, 'orders', 3)
    for (let round = 0; round < 3; round++) {
      for (let partition = 0; partition < 3; partition++) {
        const texts = Array.from({ length: 5 }, (_, i) => `p${partition}-${round * 5 + i}`)
        await produce(cluster, 'orders', partition, values(...texts))
      }
    }
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'orders', fromBeginning: true })
    const messages = recorder()
    let inFlight = 0
    let mostInFlight = 0
    await consumer.run({
      eachMessage: async (payload) => {
        inFlight++
        mostInFlight = Math.max(mostInFlight, inFlight)
        await new Promise((resolve) => setImmediate(resolve))
        messages.record(payload)
        inFlight--
      },
    })
    await messages.until(45)
    for (let partition = 0; partition < 3; partition++) {
      const expected = Array.from({ length: 15 }, (_, i) => String(i))
      expect(messages.offsets(partition)).toEqual(expected)
      const texts = messages.seen
        .filter((entry) => entry.partition === partition)
        .map((entry) => entry.message.value?.toString())
      expect(texts).toEqual(expected.map((offset) => `p${partition}-${offset}`))
    }
    expect(mostInFlight).toBe(1)
    const { message, topic } = messages.seen[0] as EachMessagePayload
    expect(topic).toBe('orders')
    expect(typeof message.timestamp).toBe('string')
    expect(Number(message.timestamp)).toBeGreaterThan(0)
    expect(Buffer.isBuffer(message.value)).toBe(true)
    expect(message.key).toBeNull()
    expect(message.headers).toEqual({})
    expect(message.magicByte).toBe(2)
  })

  it('round-trips null and empty keys and values, and headers (repeated keys as arrays)', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'shapes')
    await produce(cluster, 'shapes', 0, [
      { key: null, value: null },
      { key: bytes('k'), value: new Uint8Array(0) },
      {
        key: new Uint8Array(0),
        value: bytes('v'),
        headers: [
          { key: 'trace', value: bytes('a') },
          { key: 'trace', value: bytes('b') },
          { key: 'single', value: bytes('s') },
          { key: 'empty', value: null },
          { key: '__proto__', value: bytes('p') },
        ],
      },
    ])
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topics: ['shapes'], fromBeginning: true })
    const messages = recorder()
    await consumer.run({ eachMessage: async (payload) => messages.record(payload) })
    await messages.until(3)
    const [nulls, empties, headed] = messages.seen.map((entry) => entry.message) as KafkaMessage[]
    expect(nulls?.key).toBeNull()
    expect(nulls?.value).toBeNull()
    expect(empties?.key).toEqual(bytes('k'))
    expect(empties?.value).toEqual(Buffer.alloc(0))
    expect(headed?.key).toEqual(Buffer.alloc(0))
    expect(headed?.headers.trace).toEqual([bytes('a'), bytes('b')])
    expect(headed?.headers.single).toEqual(bytes('s'))
    expect(headed?.headers.empty).toBeNull()
    expect(Object.getPrototypeOf(headed?.headers)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(headed?.headers, '__proto__')?.value).toEqual(bytes('p'))
  })

  it('starts from the beginning or from the latest offset, as subscribed', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'news')
    await produce(cluster, 'news', 0, values('old-0', 'old-1', 'old-2'))
    const early = await connectedConsumer(cluster, { groupId: 'early' })
    const late = await connectedConsumer(cluster, { groupId: 'late' })
    await early.subscribe({ topic: 'news', fromBeginning: true })
    await late.subscribe({ topic: 'news' })
    const fromStart = recorder()
    const fromNow = recorder()
    await early.run({ eachMessage: async (payload) => fromStart.record(payload) })
    await late.run({ eachMessage: async (payload) => fromNow.record(payload) })
    await produce(cluster, 'news', 0, values('new-3', 'new-4'))
    await Promise.all([fromStart.until(5), fromNow.until(2)])
    expect(fromStart.texts()).toEqual(['old-0', 'old-1', 'old-2', 'new-3', 'new-4'])
    expect(fromNow.offsets()).toEqual(['3', '4'])
    expect(fromNow.texts()).toEqual(['new-3', 'new-4'])
  })

  it('picks up partitions added while it runs, as soon as the supervisor publishes them', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'growing')
    // A metadata max age this long means only the supervisor's push can explain the pickup.
    const consumer = await connectedConsumer(cluster, {
      metadataMaxAge: 600_000,
      maxWaitTimeInMs: 50,
    })
    await consumer.subscribe({ topic: 'growing', fromBeginning: true })
    const seen = recorder()
    await consumer.run({ eachMessage: async (payload) => seen.record(payload) })
    await cluster.supervisor.ask({
      type: 'create-partitions',
      topicPartitions: [{ topic: 'growing', count: 2 }],
    })
    await produce(cluster, 'growing', 1, values('in-the-new-partition'))
    await seen.until(1)
    expect(seen.seen[0]?.partition).toBe(1)
    expect(seen.texts()).toEqual(['in-the-new-partition'])
  })

  it('subscribes by RegExp to the topics that exist at subscribe time', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'metrics-cpu')
    await createTopic(cluster, 'metrics-disk', 2)
    await createTopic(cluster, 'logs')
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topics: [/^metrics-/], fromBeginning: true })
    const joined = nextEvent(consumer, consumer.events.GROUP_JOIN)
    await consumer.run({ eachMessage: async () => {} })
    const { payload } = await joined
    expect((payload as { memberAssignment: unknown }).memberAssignment).toEqual({
      'metrics-cpu': [0],
      'metrics-disk': [0, 1],
    })
  })
})

describe('consumer: commits', () => {
  it('fetches on while an auto-commit travels, and commits what it handled meanwhile after it', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'commits')
    const consumer = await connectedConsumer(cluster, { groupId: 'slow-commits' })
    await consumer.subscribe({ topic: 'commits', fromBeginning: true })
    const order: string[] = []
    consumer.on(consumer.events.COMMIT_OFFSETS, () => {
      order.push('commit')
    })
    const seen = recorder()
    await consumer.run({
      eachMessage: async (payload) => {
        order.push(`handled ${payload.message.value?.toString()}`)
        seen.record(payload)
      },
    })
    // Joined: from now on every message to the group's coordinator takes 400 ms to arrive.
    await cluster.faults.setLinkFault({ from: '*', to: 'coordinator-0', delayMs: 400 })
    await produce(cluster, 'commits', 0, values('first'))
    await seen.until(1)
    await produce(cluster, 'commits', 0, values('second'))
    await seen.until(2)
    await consumer.stop()
    // The second record was handled while the first one's commit was still on its way.
    expect(order.slice(0, 3)).toEqual(['handled first', 'handled second', 'commit'])
    const admin = cluster.admin()
    await admin.connect()
    await expect(
      admin.fetchOffsets({ groupId: 'slow-commits', topics: ['commits'] }),
    ).resolves.toEqual([
      { topic: 'commits', partitions: [{ partition: 0, offset: '2', metadata: null }] },
    ])
    await consumer.disconnect()
  })
})

describe('consumer: positions', () => {
  it('seeks back, and to the earliest offset with -2', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'replay')
    await produce(cluster, 'replay', 0, values(...Array.from({ length: 6 }, (_, i) => `m${i}`)))
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'replay', fromBeginning: true })
    const messages = recorder()
    let seeks = 0
    await consumer.run({
      eachMessage: async (payload) => {
        messages.record(payload)
        if (payload.message.offset !== '5') return
        seeks++
        if (seeks === 1) consumer.seek({ topic: 'replay', partition: 0, offset: '3' })
        if (seeks === 2) consumer.seek({ topic: 'replay', partition: 0, offset: '-2' })
      },
    })
    await messages.until(6 + 3 + 6)
    expect(messages.offsets()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '3',
      '4',
      '5',
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
    ])
  })

  it('pauses and resumes partitions', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'lanes', 2)
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'lanes', fromBeginning: true })
    const messages = recorder()
    await consumer.run({ eachMessage: async (payload) => messages.record(payload) })
    consumer.pause([{ topic: 'lanes', partitions: [0] }])
    expect(consumer.paused()).toEqual([{ topic: 'lanes', partitions: [0] }])
    let fetches = 0
    const stopCounting = consumer.on(consumer.events.FETCH, () => {
      fetches++
    })
    await produce(cluster, 'lanes', 0, values('held'))
    await produce(cluster, 'lanes', 1, values('free-1'))
    await messages.until(1)
    // Let the event loop turn for a while: a fetch loop that kept reading the paused
    // partition would go round once per turn (the count below would show it).
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Another round for partition 1: had partition 0 not been paused, it would be read by now.
    await produce(cluster, 'lanes', 1, values('free-2'))
    await messages.until(2)
    expect(messages.texts()).toEqual(['free-1', 'free-2'])
    // A paused partition's data wakes no fetch: rounds follow the unpaused arrivals only.
    stopCounting()
    expect(fetches).toBeLessThan(50)
    consumer.resume([{ topic: 'lanes' }])
    expect(consumer.paused()).toEqual([])
    await messages.until(3)
    expect(messages.texts()[2]).toBe('held')

    consumer.pause([{ topic: 'lanes' }])
    expect(consumer.paused()).toEqual([{ topic: 'lanes', partitions: [0, 1] }])
    consumer.resume([{ topic: 'lanes', partitions: [1] }])
    expect(consumer.paused()).toEqual([{ topic: 'lanes', partitions: [0] }])
  })

  it('after eviction, resets an out-of-range position to the earliest or latest offset', async () => {
    const cluster = await startCluster({ brokers: 1, logCapacityBytes: 4096 })
    await createTopic(cluster, 'ring')
    await produce(cluster, 'ring', 0, values('first'))
    const earliest = await connectedConsumer(cluster, { groupId: 'earliest' })
    const latest = await connectedConsumer(cluster, { groupId: 'latest' })
    await earliest.subscribe({ topic: 'ring', fromBeginning: true })
    await latest.subscribe({ topic: 'ring' })
    const fromEarliest = recorder()
    const fromLatest = recorder()
    await earliest.run({
      eachMessage: async (payload) => {
        fromEarliest.record(payload)
        payload.pause()
      },
    })
    await latest.run({
      eachMessage: async (payload) => {
        fromLatest.record(payload)
        payload.pause()
      },
    })
    await produce(cluster, 'ring', 0, values('second'))
    await Promise.all([fromEarliest.until(1), fromLatest.until(1)])
    // Both are paused at a position that the ring is about to overwrite.
    const filler = 'x'.repeat(200)
    for (let i = 0; i < 60; i++) await produce(cluster, 'ring', 0, values(`${filler}${i}`))
    const reader = PartitionLogReader.open((await partitionMetadata(cluster, 'ring', 0)).log)
    const logStart = reader.logStartOffset
    const position = Number(fromLatest.seen[0]?.message.offset) + 1
    expect(logStart).toBeGreaterThan(position)

    earliest.resume([{ topic: 'ring' }])
    latest.resume([{ topic: 'ring' }])
    await fromEarliest.until(2)
    expect(fromEarliest.seen[1]?.message.offset).toBe(String(logStart))
    await produce(cluster, 'ring', 0, values('after'))
    await fromLatest.until(2)
    expect(fromLatest.texts()[1]).toBe('after')
  })
})

describe('consumer: handler failures', () => {
  it('delivers the same message again after eachMessage throws', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'flaky')
    await produce(cluster, 'flaky', 0, values('a', 'b', 'c'))
    const consumer = await connectedConsumer(cluster, { retry: { initialRetryTime: 5 } })
    await consumer.subscribe({ topic: 'flaky', fromBeginning: true })
    const messages = recorder()
    let failed = false
    await consumer.run({
      eachMessage: async (payload) => {
        messages.record(payload)
        if (payload.message.offset === '1' && !failed) {
          failed = true
          throw new Error('not this time')
        }
      },
    })
    await messages.until(4)
    expect(messages.offsets()).toEqual(['0', '1', '1', '2'])
  })

  it('crashes after the retries, with CRASH and STOP events, and stays stopped when told', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'poison')
    await produce(cluster, 'poison', 0, values('ok', 'poison'))
    const consumer = await connectedConsumer(cluster, {
      retry: { retries: 2, initialRetryTime: 5, restartOnFailure: async () => false },
    })
    await consumer.subscribe({ topic: 'poison', fromBeginning: true })
    const crashed = nextEvent(consumer, consumer.events.CRASH)
    const stopped = nextEvent(consumer, consumer.events.STOP)
    const offsets: string[] = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        offsets.push(message.offset)
        if (message.offset === '1') throw new Error('poison')
      },
    })
    const { payload } = await crashed
    await stopped
    const { error, restart, groupId } = payload as {
      error: Error
      restart: boolean
      groupId: string
    }
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect((error as KafkaJSNumberOfRetriesExceeded).cause.message).toBe('poison')
    expect(restart).toBe(false)
    expect(groupId).toBe('test-group')
    expect(offsets).toEqual(['0', '1', '1', '1'])
    expect(() => consumer.seek({ topic: 'poison', partition: 0, offset: '0' })).toThrow(
      KafkaJSNonRetriableError,
    )
  })

  it('with eachBatchAutoResolve false, delivers unresolved messages again', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'batches')
    await produce(cluster, 'batches', 0, values('m0', 'm1', 'm2', 'm3'))
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'batches', fromBeginning: true })
    const calls: {
      offsets: string[]
      first: string | null
      last: string
      lag: string
      hw: string
    }[] = []
    let done: () => void = () => {}
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale, uncommittedOffsets }) => {
        calls.push({
          offsets: batch.messages.map((message) => message.offset),
          first: batch.firstOffset(),
          last: batch.lastOffset(),
          lag: batch.offsetLag(),
          hw: batch.highWatermark,
        })
        expect(isRunning()).toBe(true)
        expect(isStale()).toBe(false)
        if (calls.length === 1) {
          resolveOffset('0')
          resolveOffset('1')
          expect(uncommittedOffsets()).toEqual({
            topics: [{ topic: 'batches', partitions: [{ partition: '0', offset: '2' }] }],
          })
          return
        }
        for (const message of batch.messages) resolveOffset(message.offset)
        done()
      },
    })
    await finished
    expect(calls).toEqual([
      { offsets: ['0', '1', '2', '3'], first: '0', last: '3', lag: '0', hw: '4' },
      { offsets: ['2', '3'], first: '2', last: '3', lag: '0', hw: '4' },
    ])
  })
  it('keeps the event loop turning while a batch handler resolves nothing', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'stuck')
    await produce(cluster, 'stuck', 0, values('again'))
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'stuck', fromBeginning: true })
    let immediateRan = false
    let deliveries = 0
    let verdict: (turned: boolean) => void = () => {}
    const turned = new Promise<boolean>((resolve) => {
      verdict = resolve
    })
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        deliveries++
        // Redelivered on every round until resolved; a loop of microtasks alone would never
        // let the setImmediate below run.
        if (immediateRan || deliveries === 1000) {
          resolveOffset(batch.lastOffset())
          verdict(immediateRan)
        }
      },
    })
    setImmediate(() => {
      immediateRan = true
    })
    expect(await turned).toBe(true)
  })
})

describe('consumer: beyond KafkaJS', () => {
  it('iterates with for await, and leaving the loop stops the consumer', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'stream', 2)
    await produce(cluster, 'stream', 0, values('a0', 'a1'))
    await produce(cluster, 'stream', 1, values('b0', 'b1'))
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'stream', fromBeginning: true })
    const stopped = nextEvent(consumer, consumer.events.STOP)
    const seen: string[] = []
    for await (const { topic, partition, message } of consumer) {
      expect(topic).toBe('stream')
      seen.push(`${partition}:${message.offset}:${message.value?.toString()}`)
      if (seen.length === 4) break
    }
    await stopped
    expect(seen.toSorted()).toEqual(['0:0:a0', '0:1:a1', '1:0:b0', '1:1:b1'])
    expect(() => consumer.pause([{ topic: 'stream' }])).toThrow(KafkaJSNonRetriableError)
  })

  it('ends the iteration when the consumer disconnects', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'endless')
    await produce(cluster, 'endless', 0, values('only'))
    const consumer = await connectedConsumer(cluster, { maxWaitTimeInMs: 600_000 })
    await consumer.subscribe({ topic: 'endless', fromBeginning: true })
    const seen: string[] = []
    for await (const { message } of consumer) {
      seen.push(message.offset)
      void consumer.disconnect()
    }
    expect(seen).toEqual(['0'])
  })

  it('hands raw batches over zero-copy with runBatches', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'raw')
    await produce(cluster, 'raw', 0, values('r0', 'r1'))
    await produce(cluster, 'raw', 0, values('r2'))
    const consumer = await connectedConsumer(cluster)
    await consumer.subscribe({ topic: 'raw', fromBeginning: true })
    const seen: { batches: number; fetchOffset: string; nextOffset: string; intact: boolean }[] = []
    let done: () => void = () => {}
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.runBatches({
      eachRawBatch: async ({ batches, fetchOffset, nextOffset, isIntact }) => {
        seen.push({ batches: batches.length, fetchOffset, nextOffset, intact: isIntact() })
        if (nextOffset === '3') done()
      },
    })
    await finished
    expect(seen[0]).toEqual({ batches: 2, fetchOffset: '0', nextOffset: '3', intact: true })
  })
})

describe('consumer: bad input and lifecycle', () => {
  it('refuses bad arguments with KafkaJS errors', async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'known')
    expect(() => cluster.consumer({} as ConsumerConfig)).toThrow(
      'Consumer groupId must be a non-empty string.',
    )
    expect(() =>
      cluster.consumer({ groupId: 'g', heartbeatInterval: 5, sessionTimeout: 5 }),
    ).toThrow(KafkaJSNonRetriableError)
    const consumer = cluster.consumer({ groupId: 'g' })
    await expect(consumer.subscribe({ topic: 'known' })).rejects.toThrow('not connected')
    await consumer.connect()
    const unknown = await consumer.subscribe({ topic: 'unknown' }).catch((error: unknown) => error)
    expect(unknown).toBeInstanceOf(KafkaJSProtocolError)
    expect((unknown as KafkaJSProtocolError).type).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    await expect(consumer.subscribe({ topics: 'known' as never })).rejects.toThrow(
      'Argument "topics" must be an array',
    )
    await expect(consumer.subscribe({ topics: [42 as never] })).rejects.toThrow(
      KafkaJSNonRetriableError,
    )
    await expect(consumer.subscribe({})).rejects.toThrow('Missing required argument "topics"')
    expect(() => consumer.seek({ topic: 'known', partition: 0, offset: '0' })).toThrow(
      'consumer#run must be called first',
    )
    expect(() => consumer.pause([{ topic: 'known' }])).toThrow('consumer#run must be called first')
    expect(() => consumer.on('consumer.nope' as never, () => {})).toThrow(KafkaJSNonRetriableError)

    await consumer.subscribe({ topic: 'known' })
    await expect(consumer.run({ eachMessage: 'nope' as never })).rejects.toThrow(
      KafkaJSNonRetriableError,
    )
    await expect(consumer.run({})).rejects.toThrow(KafkaJSNonRetriableError)
    await consumer.run({ eachMessage: async () => {} })
    await expect(consumer.subscribe({ topic: 'known' })).rejects.toThrow(
      'Cannot subscribe to topic while consumer is running',
    )
    expect(() => consumer.seek({ topic: 'known', partition: 0, offset: 'abc' })).toThrow(
      'Invalid offset',
    )
    expect(() => consumer.seek({ topic: 'known', partition: 0, offset: '-7' })).toThrow(
      'Offset must not be a negative number',
    )
    expect(() => consumer.seek({ topic: 'known', partition: -1, offset: '0' })).toThrow(
      'Invalid partition',
    )
    expect(() => consumer.seek({ topic: '', partition: 0, offset: '0' })).toThrow('Invalid topic')
    expect(() => consumer.pause([{}] as never)).toThrow('Invalid topic')
    expect(() => consumer.resume([{ topic: 'known', partitions: ['x'] }] as never)).toThrow(
      'Array of valid partitions required',
    )

    await consumer.disconnect()
    await consumer.disconnect()
    const afterDisconnect = await consumer.subscribe({ topic: 'known' }).catch((error) => error)
    expect(afterDisconnect).toBeInstanceOf(KafkaJSError)
    expect((afterDisconnect as Error).message).toMatch(/disconnected/)
  })

  it('disconnects promptly while a fetch waits for data', { timeout: 20_000 }, async () => {
    const cluster = await startCluster()
    await createTopic(cluster, 'quiet', 2)
    // Were the wait sat out, the test would time out long before it ended.
    const consumer = await connectedConsumer(cluster, { maxWaitTimeInMs: 600_000 })
    await consumer.subscribe({ topic: 'quiet' })
    const events: string[] = []
    for (const name of [consumer.events.STOP, consumer.events.DISCONNECT]) {
      consumer.on(name, (event) => {
        events.push(event.type)
      })
    }
    const fetching = nextEvent(consumer, consumer.events.FETCH_START)
    await consumer.run({ eachMessage: async () => {} })
    await fetching
    await consumer.disconnect()
    expect(events).toEqual(['consumer.stop', 'consumer.disconnect'])
  })

  it('leaves no handles behind after cluster.stop() with a consumer waiting', async () => {
    const before = liveResources()
    const cluster = await Cluster.start({ brokers: 1 })
    await createTopic(cluster, 'idle')
    const consumer = cluster.consumer({ groupId: 'idle', maxWaitTimeInMs: 600_000 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'idle' })
    const fetching = nextEvent(consumer, consumer.events.FETCH_START)
    await consumer.run({ eachMessage: async () => {} })
    await fetching
    await cluster.stop()
    await expectNothingLeftSince(before)
  })
})
