import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/api/cluster.js'
import type { Producer } from '../../src/api/producer.js'
import { SeededRandom } from '../../src/runtime/random/seeded-random.js'
import { committedValues } from '../support/committed-batches.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'
import { within } from '../support/within.js'

const clusters: Cluster[] = []
/** Ends each run's send loop before its cluster stops, however the test ended. */
const sendLoops: (() => Promise<void>)[] = []
let resourcesBefore = liveResources()
beforeEach(() => {
  resourcesBefore = liveResources()
})
afterEach(async () => {
  await Promise.all(sendLoops.splice(0).map((stop) => stop()))
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
  await expectNothingLeftSince(resourcesBefore)
})

const SEEDS = [1, 2, 3, 4, 5]
const LOSSY_SEEDS = [1, 2, 3]
const FAULTS_PER_SEED = 4
const RECORDS_PER_SEND = 10
/** Sends not yet acknowledged at a time: batches in flight to the one partition. */
const SENDS_IN_FLIGHT = 5
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Sends numbered records, up to SENDS_IN_FLIGHT sends at a time, until stopped; returns the
 * numbers acknowledged. A send that fails is not acknowledged: its numbers may be in the log
 * at most once, or not at all.
 */
function sendNumbers(producer: Producer) {
  const acked = new Set<number>()
  let sending = true
  const pending = new Set<Promise<void>>()
  const loop = (async () => {
    for (let next = 0; sending; next += RECORDS_PER_SEND) {
      const first = next
      const messages = Array.from({ length: RECORDS_PER_SEND }, (_, index) => ({
        value: String(first + index),
      }))
      const sent: Promise<void> = producer.send({ topic: 'chaos', messages }).then(
        () => {
          for (let index = 0; index < RECORDS_PER_SEND; index++) acked.add(first + index)
        },
        // A failure must not turn this loop into a spin on microtasks (a stopped producer
        // refuses at once), which would starve every timer of the thread, the test's own.
        () => pause(10),
      )
      pending.add(sent)
      void sent.finally(() => pending.delete(sent))
      if (pending.size >= SENDS_IN_FLIGHT) await Promise.race(pending)
    }
    await Promise.all(pending)
  })()
  const stop = async () => {
    sending = false
    await loop
  }
  sendLoops.push(stop)
  return { acked, stop }
}

/**
 * One seed's run: a producer sends numbered records (acks all, idempotent) while the seed picks
 * faults — kill the leader or a follower (then restart it), pause a follower, isolate one —
 * optionally with the producer's own messages dropped and duplicated throughout; afterwards
 * every acknowledged number must be in the log exactly once, in order.
 */
async function runSeed(
  seed: number,
  producerLinks: { readonly drop: number; readonly duplicate: number } | undefined,
): Promise<{ acked: number; values: number[] }> {
  const random = new SeededRandom(seed)
  const cluster = await Cluster.start({
    brokers: 3,
    seed,
    replicaLagTimeMaxMs: 500,
    sessionTimeoutMs: 60_000,
  })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [
      {
        topic: 'chaos',
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
  })
  const producer = cluster.producer({
    requestTimeout: 300,
    retry: { retries: 40, initialRetryTime: 10, maxRetryTime: 100 },
  })
  await producer.connect()
  const lossyLinks = async () => {
    if (producerLinks === undefined) return
    await cluster.faults.setLinkFault({
      from: producer.linkName,
      to: '*',
      ...producerLinks,
      bothWays: true,
    })
  }
  await lossyLinks()
  const { acked, stop } = sendNumbers(producer)
  const replicas = async () => {
    const { topics } = await admin.fetchTopicMetadata({ topics: ['chaos'] })
    const entry = topics[0]?.partitions[0]
    return {
      leader: entry?.leader ?? -1,
      followers: entry?.replicas.filter((id) => id !== entry.leader) ?? [],
    }
  }
  for (let fault = 0; fault < FAULTS_PER_SEED; fault++) {
    await pause(150)
    const { leader, followers } = await replicas()
    const follower = followers[Math.floor(random.next() * followers.length)] ?? leader
    const choice = Math.floor(random.next() * 4)
    if (choice === 0 && leader >= 0) {
      const elected = new Promise((resolve) => cluster.on('leader.elected', resolve))
      await cluster.faults.killBroker(leader)
      await within(10_000, `electing a leader after broker ${leader} died`, elected)
      await cluster.faults.restartBroker(leader)
    } else if (choice === 1) {
      await cluster.faults.killBroker(follower)
      await pause(100)
      await cluster.faults.restartBroker(follower)
    } else if (choice === 2) {
      await cluster.faults.pauseBroker(follower)
      await pause(200)
      cluster.faults.resumeBroker(follower)
    } else {
      await cluster.faults.isolateBroker(follower)
      await pause(200)
      await cluster.faults.heal()
      await lossyLinks()
    }
  }
  await cluster.faults.heal()
  await pause(200)
  await within(20_000, 'the last sends', stop())
  const values = (await committedValues(cluster, 'chaos')).map(Number)
  return { acked: acked.size, values: values.filter((value) => acked.has(value)) }
}

async function expectEachAckedOnceInOrder(
  seed: number,
  producerLinks: Parameters<typeof runSeed>[1],
): Promise<void> {
  const { acked, values } = await runSeed(seed, producerLinks).catch((error: unknown) => {
    throw new Error(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  })
  expect(acked, `seed ${seed}`).toBeGreaterThan(0)
  expect(values.length, `seed ${seed}: acknowledged records missing or repeated`).toBe(acked)
  const inOrder = values.every(
    (value, index) => index === 0 || value > (values[index - 1] as number),
  )
  expect(inOrder, `seed ${seed}: acknowledged records out of order`).toBe(true)
}

describe('randomized failover (3 brokers, RF 3, min.insync.replicas 2, acks all)', () => {
  it.each(SEEDS)('keeps every acknowledged record exactly once, in order (seed %i)', (seed) =>
    expectEachAckedOnceInOrder(seed, undefined),
  )

  it.each(LOSSY_SEEDS)(
    "does so too with 5% of the producer's messages dropped and 5% repeated (seed %i)",
    (seed) => expectEachAckedOnceInOrder(seed, { drop: 0.05, duplicate: 0.05 }),
  )
})
