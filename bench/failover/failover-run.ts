import { Cluster } from '../../src/api/cluster.js'
import { checkRate, pacer } from '../load/pacer.js'

/*
 * Leader kills under an acks=all load: 3 brokers, one partition with 3 replicas and
 * min.insync.replicas 2. A producer sends numbered records (KafkaJS API, acks all, retries)
 * without pause; every `intervalMs` the partition's leader is killed (storage kept), and
 * restarted once a new leader is elected. Afterwards every record is read back: each
 * acknowledged number must be there, and the log must hold them in send order.
 */

export interface FailoverOptions {
  readonly kills: number
  readonly intervalMs: number
  readonly recordsPerSend: number
  readonly seed: number
  /** Records per second the producer is held to (default: as fast as it goes). */
  readonly rate?: number
}

export interface FailoverReport extends FailoverOptions {
  readonly electionMsP50: number
  readonly electionMsP99: number
  readonly produceGapMsP50: number
  readonly produceGapMsP99: number
  readonly acked: number
  readonly ackedLost: number
  /** Records present more than once (retries without an idempotent producer). */
  readonly duplicates: number
  readonly verified: boolean
  /** Why the run could not be verified, if it could not. */
  readonly problems: readonly string[]
}

const TOPIC = 'failover'
/**
 * Each replica's ring holds every record of a run, so that all of them can be read back: a
 * default run sends about a million small records (about 14 bytes each in the log), and the
 * cluster's default 8 MiB ring evicted the first ones before the check.
 */
const LOG_CAPACITY_BYTES = 64 * 1024 * 1024
/** How long reading the log back may take before the run says what it could not check. */
const READ_BACK_MS = 30_000

function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number
}

export async function runFailover(options: FailoverOptions): Promise<FailoverReport> {
  checkRate(options.rate)
  const cluster = await Cluster.start({
    brokers: 3,
    seed: options.seed,
    replicaLagTimeMaxMs: 1_000,
    sessionTimeoutMs: 60_000,
    logCapacityBytes: LOG_CAPACITY_BYTES,
  })
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        {
          topic: TOPIC,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    })
    const producer = cluster.producer({
      retry: { retries: 30, initialRetryTime: 5, maxRetryTime: 50 },
      requestTimeout: 2_000,
    })
    await producer.connect()

    const ackTimes: number[] = []
    let acked = 0
    let sending = true
    const pace = pacer(options.rate)
    const sends = (async () => {
      for (let next = 0; sending; next += options.recordsPerSend) {
        const due = pace(next + options.recordsPerSend)
        if (due !== undefined) await due
        const messages = Array.from({ length: options.recordsPerSend }, (_, index) => ({
          value: String(next + index),
        }))
        await producer.send({ topic: TOPIC, acks: -1, messages })
        acked = next + options.recordsPerSend
        ackTimes.push(performance.now())
      }
    })()

    const electionMs: number[] = []
    const produceGapMs: number[] = []
    for (let kill = 0; kill < options.kills; kill++) {
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
      const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] })
      const leader = topics[0]?.partitions[0]?.leader
      if (leader === undefined || leader < 0) throw new Error('the partition has no leader')
      const elected = new Promise<number>((resolve) => {
        const off = cluster.on('leader.elected', () => {
          off()
          resolve(performance.now())
        })
      })
      const lastAckBefore = ackTimes.at(-1) ?? performance.now()
      const acksBefore = ackTimes.length
      const killedAt = performance.now()
      await cluster.faults.killBroker(leader, { storage: 'keep' })
      electionMs.push((await elected) - killedAt)
      await cluster.faults.restartBroker(leader)
      while (ackTimes.length === acksBefore) await new Promise((resolve) => setTimeout(resolve, 1))
      produceGapMs.push((ackTimes[acksBefore] as number) - lastAckBefore)
    }
    sending = false
    await sends

    const problems: string[] = []
    const offsets = await admin.fetchTopicOffsets(TOPIC)
    const low = Number(offsets[0]?.low ?? 0)
    const held = Number(offsets[0]?.high ?? 0) - low
    if (low > 0)
      problems.push(`the log no longer holds offsets below ${low}: they cannot be checked`)
    const consumer = cluster.consumer({ groupId: 'failover-check' })
    await consumer.connect()
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    const values: number[] = []
    let readBack: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      if (held === 0) resolve()
      readBack = setTimeout(() => {
        problems.push(`only ${values.length} of ${held} records read back`)
        resolve()
      }, READ_BACK_MS)
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(Number(message.value?.toString()))
          if (values.length >= held) resolve()
        },
      })
    })
    clearTimeout(readBack)
    await consumer.disconnect()

    const seen = new Set(values)
    let ackedLost = 0
    for (let sequence = 0; sequence < acked; sequence++) if (!seen.has(sequence)) ackedLost++
    // In send order: each number is at most one past the highest seen so far (a retried
    // batch may repeat earlier numbers, but never skip ahead).
    let highest = -1
    let ordered = true
    for (const value of values) {
      if (value > highest + 1) ordered = false
      highest = Math.max(highest, value)
    }
    return {
      ...options,
      electionMsP50: percentile(electionMs, 0.5),
      electionMsP99: percentile(electionMs, 0.99),
      produceGapMsP50: percentile(produceGapMs, 0.5),
      produceGapMsP99: percentile(produceGapMs, 0.99),
      acked,
      ackedLost,
      duplicates: values.length - seen.size,
      verified:
        problems.length === 0 && ackedLost === 0 && ordered && electionMs.length === options.kills,
      problems,
    }
  } finally {
    await cluster.stop()
  }
}
