import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/api/cluster.js'
import { SeededRandom } from '../../src/runtime/random/seeded-random.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

const SEEDS = [1, 2, 3, 4, 5]
const FAULTS_PER_SEED = 4
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * One seed's run: a producer sends numbered records (acks all, idempotent) while the seed picks
 * faults — kill the leader or a follower (then restart it), pause a follower, isolate one —
 * and afterwards every acknowledged number must be in the log exactly once, in order.
 */
async function runSeed(seed: number): Promise<{ acked: number; values: number[] }> {
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
    requestTimeout: 500,
    retry: { retries: 40, initialRetryTime: 10, maxRetryTime: 100 },
  })
  await producer.connect()
  const acked = new Set<number>()
  let sending = true
  const sends = (async () => {
    for (let next = 0; sending; next += 10) {
      const messages = Array.from({ length: 10 }, (_, index) => ({ value: String(next + index) }))
      try {
        await producer.send({ topic: 'chaos', messages })
        for (let index = 0; index < 10; index++) acked.add(next + index)
      } catch {
        // Not acknowledged: these numbers may be in the log at most once, or not at all.
      }
    }
  })()
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
      await elected
      await cluster.faults.restartBroker(leader)
    } else if (choice === 1) {
      await cluster.faults.killBroker(follower)
      await pause(100)
      await cluster.faults.restartBroker(follower)
    } else if (choice === 2) {
      cluster.faults.pauseBroker(follower)
      await pause(200)
      cluster.faults.resumeBroker(follower)
    } else {
      await cluster.faults.isolateBroker(follower)
      await pause(200)
      await cluster.faults.heal()
    }
  }
  await cluster.faults.heal()
  await pause(200)
  sending = false
  await sends
  const high = Number((await admin.fetchTopicOffsets('chaos'))[0]?.high ?? 0)
  const consumer = cluster.consumer({ groupId: 'check' })
  await consumer.connect()
  await consumer.subscribe({ topic: 'chaos', fromBeginning: true })
  const values: number[] = []
  await new Promise<void>((resolve) => {
    if (high === 0) resolve()
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(Number(message.value?.toString()))
        if (values.length >= high) resolve()
      },
    })
  })
  return { acked: acked.size, values: values.filter((value) => acked.has(value)) }
}

describe('randomized failover (3 brokers, RF 3, min.insync.replicas 2, acks all)', () => {
  it.each(SEEDS)(
    'keeps every acknowledged record exactly once, in order (seed %i)',
    async (seed) => {
      const { acked, values } = await runSeed(seed)
      expect(acked, `seed ${seed}`).toBeGreaterThan(0)
      expect(values.length, `seed ${seed}: acknowledged records missing or repeated`).toBe(acked)
      const inOrder = values.every(
        (value, index) => index === 0 || value > (values[index - 1] as number),
      )
      expect(inOrder, `seed ${seed}: acknowledged records out of order`).toBe(true)
    },
  )
})
