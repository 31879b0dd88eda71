import { describe, expect, it } from 'vitest'
import { produceRequest } from '../../src/actors/broker/broker-protocol.js'
import { Cluster } from '../../src/api/cluster.js'
import type { Consumer } from '../../src/api/consumer.js'
import { KafkaJSProtocolError } from '../../src/api/errors.js'
import type { RequestFilter, RequestRecord } from '../../src/api/request-log.js'
import { KafkaProtocolError } from '../../src/runtime/errors/samsa-error.js'
import {
  readTopic,
  WaitTimeoutError,
  waitForGroupStable,
  waitForZeroLag,
} from '../../src/testing/index.js'
import { within } from '../support/within.js'

const FAST_RETRY = { initialRetryTime: 10, retries: 8 }

const startCluster = () => Cluster.start({ brokers: 3, recordRequests: true })

/** An admin client of `cluster`, once it has created `topic`. */
async function createTopic(cluster: Cluster, topic = 'events', partitions = 1) {
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }] })
  return admin
}

/** Resolves once the log holds a request that passes `filter` and `test`; returns the log. */
async function logShows(
  cluster: Cluster,
  filter: RequestFilter,
  test: (records: RequestRecord[]) => boolean,
): Promise<RequestRecord[]> {
  return within(
    10_000,
    `the request log to show ${JSON.stringify(filter)}`,
    (async function look(): Promise<RequestRecord[]> {
      const records = await cluster.requests.list(filter)
      if (test(records)) return records
      await new Promise((resolve) => setTimeout(resolve, 10))
      return look()
    })(),
  )
}

const unanswered = (records: RequestRecord[]) =>
  records.some((record) => record.durationMs === null)

/** Sends `count` messages to `topic`, then consumes them all; resolves with their values. */
async function consumeAll(consumer: Consumer, topic: string, count: number): Promise<string[]> {
  const values: string[] = []
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  return new Promise((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value))
          if (values.length === count) resolve(values)
        },
      })
      .catch(reject)
  })
}

describe('request rules on Produce', () => {
  it('lets the producer retry a retriable error, and logs three requests, two of them failed', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer({ retry: FAST_RETRY })
    await producer.connect()
    const rule = await cluster.rules.add({
      api: 'Produce',
      client: producer.linkName,
      error: 'NOT_LEADER_OR_FOLLOWER',
      times: 2,
    })
    await producer.send({ topic: 'events', messages: [{ value: 'kept' }] })
    const produced = await cluster.requests.list({ api: 'Produce', client: producer.linkName })
    expect(produced.map((record) => record.error)).toEqual([
      'NOT_LEADER_OR_FOLLOWER',
      'NOT_LEADER_OR_FOLLOWER',
      null,
    ])
    expect(produced[0]?.topics).toEqual([{ topic: 'events', partitions: [0] }])
    expect(rule.matched).toBe(3)
    expect((await readTopic(cluster, 'events')).map((record) => String(record.value))).toEqual([
      'kept',
    ])
  })

  it('fails the send with a non-retriable error of that type', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer({ retry: FAST_RETRY })
    await producer.connect()
    await cluster.rules.add({ api: 'Produce', error: 'MESSAGE_TOO_LARGE' })
    const sent = producer.send({ topic: 'events', messages: [{ value: 'refused' }] })
    await expect(sent).rejects.toBeInstanceOf(KafkaJSProtocolError)
    await expect(sent).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' })
    expect(await cluster.requests.list({ api: 'Produce' })).toHaveLength(1)
  })

  it('delays a request: the log shows it took at least the delay', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer()
    await producer.connect()
    await cluster.rules.add({ api: 'Produce', delayMs: 150 })
    await producer.send({ topic: 'events', messages: [{ value: 'late' }] })
    const [produced] = await cluster.requests.list({ api: 'Produce' })
    expect(produced?.durationMs).toBeGreaterThanOrEqual(150)
    expect(produced?.error).toBeNull()
  })

  it('drops a request: the producer times out, and its retry goes through', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer({ requestTimeout: 300, retry: FAST_RETRY })
    await producer.connect()
    await cluster.rules.add({ api: 'Produce', drop: true, times: 1 })
    await producer.send({ topic: 'events', messages: [{ value: 'once' }] })
    const produced = await cluster.requests.list({ api: 'Produce' })
    expect(produced.map((record) => record.durationMs === null)).toEqual([true, false])
    expect(await readTopic(cluster, 'events')).toHaveLength(1)
  })

  it('holds a request until released', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer()
    await producer.connect()
    const rule = await cluster.rules.add({ api: 'Produce', hold: true })
    let acknowledged = false
    const sent = producer.send({ topic: 'events', messages: [{ value: 'held' }] }).then(() => {
      acknowledged = true
    })
    await logShows(cluster, { api: 'Produce' }, unanswered)
    expect(acknowledged).toBe(false)
    expect(await readTopic(cluster, 'events')).toHaveLength(0)
    rule.release()
    await sent
    expect(acknowledged).toBe(true)
    expect(await readTopic(cluster, 'events')).toHaveLength(1)
  })

  it('counts times across every broker thread: times 1 fails exactly one request', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster, 'spread', 6)
    const producer = cluster.producer({ retry: FAST_RETRY })
    await producer.connect()
    await cluster.rules.add({ api: 'Produce', error: 'NOT_ENOUGH_REPLICAS', times: 1 })
    await Promise.all(
      Array.from({ length: 6 }, (_, partition) =>
        producer.send({ topic: 'spread', messages: [{ value: `p${partition}`, partition }] }),
      ),
    )
    const produced = await cluster.requests.list({ api: 'Produce' })
    expect(new Set(produced.map((record) => record.broker)).size).toBe(3)
    expect(produced.filter((record) => record.error !== null)).toHaveLength(1)
    expect(await readTopic(cluster, 'spread')).toHaveLength(6)
  })
})

describe('request rules on Metadata', () => {
  it('lets a client retry a retriable error', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer({ retry: FAST_RETRY })
    await cluster.rules.add({
      api: 'Metadata',
      client: producer.linkName,
      error: 'LEADER_NOT_AVAILABLE',
      times: 1,
    })
    await producer.connect()
    await producer.send({ topic: 'events', messages: [{ value: 'after a retry' }] })
    const asked = await cluster.requests.list({ api: 'Metadata', client: producer.linkName })
    expect(asked[0]?.error).toBe('LEADER_NOT_AVAILABLE')
    expect(asked.at(-1)?.error).toBeNull()
    expect(asked[0]?.broker).toBeNull()
  })

  it('delays, drops and holds metadata requests', async () => {
    await using cluster = await startCluster()
    const admin = await createTopic(cluster)
    const producer = cluster.producer({ requestTimeout: 300, retry: FAST_RETRY })
    const delayed = await cluster.rules.add({
      api: 'Metadata',
      client: producer.linkName,
      delayMs: 100,
      times: 1,
    })
    await producer.connect()
    const [first] = await cluster.requests.list({ api: 'Metadata', client: producer.linkName })
    expect(first?.durationMs).toBeGreaterThanOrEqual(100)
    await delayed.remove()

    const dropped = await cluster.rules.add({ api: 'Metadata', drop: true, times: 1 })
    await cluster.requests.clear()
    await admin.createTopics({ topics: [{ topic: 'more' }] })
    // The new topic made the metadata stale: the next send asks again, and that ask is dropped.
    await producer.send({ topic: 'more', messages: [{ value: 'x' }] })
    const asked = await cluster.requests.list({ api: 'Metadata', client: producer.linkName })
    expect(asked[0]?.durationMs).toBeNull()
    expect(asked.at(-1)?.durationMs).not.toBeNull()
    await dropped.remove()

    const held = await cluster.rules.add({ api: 'Metadata', hold: true })
    await admin.createTopics({ topics: [{ topic: 'most' }] })
    await cluster.requests.clear()
    let done = false
    const sent = producer.send({ topic: 'most', messages: [{ value: 'y' }] }).then(() => {
      done = true
    })
    await logShows(cluster, { api: 'Metadata' }, unanswered)
    expect(done).toBe(false)
    await held.remove()
    await sent
  })
})

describe('request rules on JoinGroup', () => {
  it('holds the join: run() does not resolve until released', async () => {
    await using cluster = await startCluster()
    const admin = await createTopic(cluster)
    const rule = await cluster.rules.add({ api: 'JoinGroup', hold: true })
    const consumer = cluster.consumer({ groupId: 'held' })
    await consumer.connect()
    await consumer.subscribe({ topic: 'events', fromBeginning: true })
    let running = false
    const run = consumer.run({ eachMessage: async () => {} }).then(() => {
      running = true
    })
    const [join] = await logShows(cluster, { api: 'JoinGroup' }, unanswered)
    expect(join?.client).toBe(consumer.linkName)
    expect(running).toBe(false)
    rule.release()
    await run
    await waitForGroupStable(admin, 'held', { members: 1 })
  })

  it('lets the consumer retry a retriable error and shows a delay in the log', async () => {
    await using cluster = await startCluster()
    const admin = await createTopic(cluster)
    await cluster.rules.add({ api: 'JoinGroup', error: 'COORDINATOR_NOT_AVAILABLE', times: 1 })
    await cluster.rules.add({ api: 'JoinGroup', delayMs: 100 })
    const consumer = cluster.consumer({ groupId: 'retried' })
    await consumer.connect()
    await consumer.subscribe({ topic: 'events' })
    await consumer.run({ eachMessage: async () => {} })
    await waitForGroupStable(admin, 'retried')
    const joins = await cluster.requests.list({ api: 'JoinGroup', client: consumer.linkName })
    expect(joins[0]?.error).toBe('COORDINATOR_NOT_AVAILABLE')
    expect(joins.at(-1)?.error).toBeNull()
    expect(joins.at(-1)?.durationMs).toBeGreaterThanOrEqual(100)
  })

  it('drops the join: the consumer times out waiting and joins again (on virtual time)', async () => {
    await using cluster = await Cluster.start({
      brokers: 3,
      recordRequests: true,
      clock: 'virtual',
    })
    const admin = await createTopic(cluster)
    await cluster.rules.add({ api: 'JoinGroup', drop: true, times: 1 })
    const consumer = cluster.consumer({ groupId: 'dropped', rebalanceTimeout: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'events' })
    const started = cluster.clock.now()
    // run() waits for the join, which only time passing can end: the wait below moves it.
    const running = consumer.run({ eachMessage: async () => {} })
    await waitForGroupStable(admin, 'dropped', { intervalMs: 500, timeoutMs: 30_000 })
    await running
    const joins = await cluster.requests.list({ api: 'JoinGroup' })
    expect(joins[0]?.durationMs).toBeNull()
    expect(joins.length).toBeGreaterThan(1)
    // Joined again only once the first join's answer was past due (the rebalance timeout + 5 s).
    expect((joins[1]?.time ?? started) - started).toBeGreaterThanOrEqual(5_200)
  })
})

describe('request rules on Fetch (a consumer’s partition reads)', () => {
  async function withRecords(cluster: Cluster, count: number) {
    const admin = await createTopic(cluster)
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({
      topic: 'events',
      messages: Array.from({ length: count }, (_, index) => ({ value: `m${index}` })),
    })
    return admin
  }

  it('answers a read with NOT_LEADER_OR_FOLLOWER: the consumer asks for metadata and reads on', async () => {
    await using cluster = await startCluster()
    await withRecords(cluster, 3)
    await cluster.rules.add({ api: 'Fetch', error: 'NOT_LEADER_OR_FOLLOWER', times: 1 })
    const consumer = cluster.consumer({ groupId: 'fetch-error', maxWaitTimeInMs: 100 })
    expect(await consumeAll(consumer, 'events', 3)).toEqual(['m0', 'm1', 'm2'])
    const log = await cluster.requests.list({ client: consumer.linkName })
    const failed = log.findIndex((record) => record.error === 'NOT_LEADER_OR_FOLLOWER')
    expect(log[failed]).toMatchObject({ api: 'Fetch', topics: [{ topic: 'events' }] })
    expect(log.slice(failed + 1).some((record) => record.api === 'Metadata')).toBe(true)
  })

  it('fails the run with a non-retriable read error', async () => {
    await using cluster = await startCluster()
    await withRecords(cluster, 1)
    await cluster.rules.add({ api: 'Fetch', error: 'OFFSET_OUT_OF_RANGE' })
    const consumer = cluster.consumer({ groupId: 'fetch-fatal', retry: { retries: 0 } })
    const crashed = new Promise((resolve) => consumer.on(consumer.events.CRASH, resolve))
    await consumer.connect()
    await consumer.subscribe({ topic: 'events', fromBeginning: true })
    await consumer.run({ eachMessage: async () => {} })
    await within(10_000, 'the consumer to crash', crashed)
  })

  it('delays, drops and holds reads; nothing is lost', async () => {
    await using cluster = await startCluster()
    const admin = await withRecords(cluster, 2)
    const delayed = await cluster.rules.add({ api: 'Fetch', delayMs: 100, times: 1 })
    const dropped = await cluster.rules.add({ api: 'Fetch', drop: true, times: 1 })
    const consumer = cluster.consumer({ groupId: 'fetch-slow', maxWaitTimeInMs: 100 })
    expect(await consumeAll(consumer, 'events', 2)).toEqual(['m0', 'm1'])
    // The read after the last record may start only after its handler resolved.
    const fetches = await logShows(
      cluster,
      { api: 'Fetch', client: consumer.linkName },
      (records) => records.length >= 2,
    )
    expect(fetches[0]?.durationMs).toBeGreaterThanOrEqual(100)
    expect(fetches[1]?.durationMs).toBeNull()
    expect(delayed.matched + dropped.matched).toBeGreaterThanOrEqual(2)
    await waitForZeroLag(admin, 'fetch-slow', 'events')

    const held = await cluster.rules.add({ api: 'Fetch', hold: true })
    let consumed = 0
    const later = cluster.consumer({ groupId: 'fetch-held' })
    await later.connect()
    await later.subscribe({ topic: 'events', fromBeginning: true })
    await later.run({
      eachMessage: async () => {
        consumed++
      },
    })
    await logShows(cluster, { api: 'Fetch', client: later.linkName }, unanswered)
    expect(consumed).toBe(0)
    held.release()
    await waitForZeroLag(admin, 'fetch-held', 'events')
    expect(consumed).toBe(2)
  })
})

describe('rules on every thread', () => {
  it('reach the broker threads, and a broker restarted after the rule was added', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const empty = produceRequest(1, [])
    await cluster.faults.killBroker(0)
    await cluster.rules.add({ api: 'Produce', broker: 0, error: 'KAFKA_STORAGE_ERROR' })
    await cluster.faults.restartBroker(0)
    const [broker0, broker1] = cluster.brokerRefs
    await expect(broker0?.ask(empty, { from: '$test' })).rejects.toMatchObject({
      type: 'KAFKA_STORAGE_ERROR',
    })
    await expect(broker0?.ask(empty, { from: '$test' })).rejects.toBeInstanceOf(KafkaProtocolError)
    await expect(broker1?.ask(empty, { from: '$test' })).resolves.toEqual({ partitions: [] })
    await cluster.rules.clear()
    await expect(broker0?.ask(empty, { from: '$test' })).resolves.toEqual({ partitions: [] })
  })

  it('refuses malformed rules', async () => {
    await using cluster = await Cluster.start({ brokers: 1 })
    await expect(cluster.rules.add({ api: 'Produce' } as never)).rejects.toThrow('exactly one')
    await expect(cluster.rules.add({ api: 'Nope', drop: true } as never)).rejects.toThrow(
      'api must be one of',
    )
    await expect(
      cluster.rules.add({ api: 'Produce', error: 'NOT_AN_ERROR' } as never),
    ).rejects.toThrow('Kafka error name')
    await expect(cluster.requests.list()).rejects.toThrow('recordRequests')
  })
})

describe('a cluster per test', () => {
  it('stops the cluster when an `await using` scope ends', async () => {
    let escaped: Cluster | undefined
    {
      await using cluster = await Cluster.start({ brokers: 1 })
      escaped = cluster
      expect(cluster.system.stopped).toBe(false)
    }
    expect(escaped.system.stopped).toBe(true)
    expect(() => escaped?.producer()).toThrow('stopped')
  })

  it('clears the request log on every thread', async () => {
    await using cluster = await startCluster()
    await createTopic(cluster)
    const producer = cluster.producer()
    await producer.connect()
    await producer.send({ topic: 'events', messages: [{ value: 'a' }] })
    expect(await cluster.requests.list({ api: 'Produce' })).toHaveLength(1)
    await cluster.requests.clear()
    expect(await cluster.requests.list({ api: 'Produce' })).toHaveLength(0)
    await producer.send({ topic: 'events', messages: [{ value: 'b' }] })
    expect(await cluster.requests.list({ api: 'Produce' })).toHaveLength(1)
  })

  it('fails a wait that never ends with a clear error', async () => {
    await using cluster = await startCluster()
    const admin = await createTopic(cluster)
    const wait = waitForGroupStable(admin, 'nobody', { timeoutMs: 100 })
    await expect(wait).rejects.toBeInstanceOf(WaitTimeoutError)
    await expect(wait).rejects.toThrow(/group nobody stable: not within 100 ms \(last seen: /)
    await expect(readTopic(cluster, 'missing')).rejects.toThrow("no topic 'missing'")
  })
})
