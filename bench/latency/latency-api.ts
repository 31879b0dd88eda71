import { setImmediate as nextTurn } from 'node:timers/promises'
import { Cluster } from '../../src/api/cluster.js'
import {
  type LatencyFigures,
  latencyFigures,
  latencyHistogram,
  recordLatencyMs,
} from './latency-histogram.js'
import { monotonicMs, scheduledTimeOfValue, scheduleOf, timedValue } from './timed-records.js'

/*
 * Fixed-rate latency through the public API, all on this thread as a service would run it:
 * `cluster.producer()` sends one message per `send`, each fired when it is due and not
 * awaited (record i is due at startAt + i / rate); a group consumer (`cluster.consumer`,
 * `run({ eachMessage })`) times each record from the moment it was due, which its value
 * carries (see timed-records.ts), to its `eachMessage`, into the same HDR histogram as the
 * engine path. A producer that falls behind sends its backlog late and that lateness counts,
 * so coordinated omission does not hide it. Between records the loop yields a turn of the
 * event loop (the consumer, the acknowledgements), or sleeps on a timer when the next record
 * is more than COARSE_SLEEP_MS away.
 *
 * The figures count only if every record arrived once, in order, intact, and the partition
 * holds exactly the records sent.
 */

export interface ApiLatencyOptions {
  readonly brokers: number
  readonly rate: number
  readonly seconds: number
  readonly recordSize: number
  readonly acks: -1 | 0 | 1
  /** The producer's maxInFlightRequests. */
  readonly maxInFlight: number
  readonly warmUpSeconds: number
}

export interface ApiLatencyReport extends ApiLatencyOptions {
  /** Every record produced and verified, the warm-up's included. */
  readonly records: number
  readonly warmUpRecords: number
  /** Records consumed per second, from the first record's due time to the last's arrival. */
  readonly achievedRate: number
  /** The most sends fired and not yet settled at once. */
  readonly maxOutstandingSends: number
  readonly latency: LatencyFigures
  readonly verified: boolean
  readonly problems: readonly string[]
}

const TOPIC = 'latency'
const COARSE_SLEEP_MS = 2
/** How long past the schedule's end the run waits with no record arriving before it gives up. */
const GRACE_MS = 10_000
/** The most a record costs in the log if it travels alone: a batch header, framing, padding. */
const RECORD_OVERHEAD_BYTES = 61 + 17 + 7
const MIN_LOG_CAPACITY = 1024 * 1024
const MAX_LOG_CAPACITY = 2 ** 30

/** A ring that holds the whole schedule, so a consumer that falls behind loses nothing. */
function logCapacity(records: number, recordSize: number): number {
  const bytes = records * (recordSize + RECORD_OVERHEAD_BYTES) * 1.25
  const capacity = Math.max(MIN_LOG_CAPACITY, 2 ** Math.ceil(Math.log2(bytes)))
  if (capacity > MAX_LOG_CAPACITY) {
    throw new Error(`${records} records of ${recordSize} B need more than a 1 GiB ring`)
  }
  return capacity
}

export async function runApiLatency(options: ApiLatencyOptions): Promise<ApiLatencyReport> {
  const { rate, recordSize, acks } = options
  const { warmUpRecords, records } = scheduleOf(options)
  const logCapacityBytes = logCapacity(records, recordSize)
  const cluster = await Cluster.start({ brokers: options.brokers })
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        {
          topic: TOPIC,
          numPartitions: 1,
          configEntries: [{ name: 'samsa.log.capacity.bytes', value: String(logCapacityBytes) }],
        },
      ],
    })
    const maxInFlightRequests = options.maxInFlight
    // A default producer, as users make it: with acks 0 or 1 it goes without idempotence.
    const producer = cluster.producer({ maxInFlightRequests })
    await producer.connect()

    const histogram = latencyHistogram()
    const problems: string[] = []
    let consumed = 0
    let lastArrivalAt = 0
    let allArrived: () => void = () => {}
    const arrived = new Promise<void>((resolve) => {
      allArrived = resolve
    })
    const consumer = cluster.consumer({ groupId: 'latency' })
    await consumer.connect()
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const arrivedAt = monotonicMs()
        const sequence = consumed++
        const scheduledAt = scheduledTimeOfValue(message.value, sequence, recordSize)
        if (partition !== 0 || message.offset !== String(sequence) || scheduledAt === undefined) {
          if (problems.length < 10) {
            problems.push(
              `partition ${partition}, offset ${message.offset}: not sequence ${sequence} as written`,
            )
          }
        } else if (arrivedAt < scheduledAt) {
          if (problems.length < 10) problems.push(`record ${sequence} arrived before it was due`)
        } else if (sequence >= warmUpRecords) {
          recordLatencyMs(histogram, arrivedAt - scheduledAt)
        }
        lastArrivalAt = arrivedAt
        if (consumed === records) allArrived()
      },
    })

    // The schedule: fire every send that is due, then yield (or sleep until the next is).
    const intervalMs = 1000 / rate
    let sent = 0
    let outstanding = 0
    let maxOutstandingSends = 0
    let failure: string | undefined
    const settled = () => {
      outstanding--
    }
    const failed = (error: unknown) => {
      outstanding--
      failure ??= String(error)
    }
    const startAt = monotonicMs()
    while (sent < records && failure === undefined) {
      const due = Math.min(records, Math.floor((monotonicMs() - startAt) / intervalMs) + 1)
      for (; sent < due; sent++) {
        const value = timedValue(sent, startAt + sent * intervalMs, recordSize)
        outstanding++
        producer.send({ topic: TOPIC, acks, messages: [{ value }] }).then(settled, failed)
      }
      if (outstanding > maxOutstandingSends) maxOutstandingSends = outstanding
      const untilNextMs = startAt + sent * intervalMs - monotonicMs()
      if (untilNextMs > COARSE_SLEEP_MS) {
        await new Promise((resolve) => setTimeout(resolve, untilNextMs - COARSE_SLEEP_MS / 2))
      } else {
        await nextTurn()
      }
    }

    // Every record consumed, or none for GRACE_MS: a backlog that still moves is waited for.
    let seen = consumed
    let movedAt = monotonicMs()
    while (consumed < records && monotonicMs() - movedAt < GRACE_MS) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        arrived,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 100)
        }),
      ])
      clearTimeout(timer)
      if (consumed !== seen) {
        seen = consumed
        movedAt = monotonicMs()
      }
    }
    const settleBy = monotonicMs() + GRACE_MS
    while (outstanding > 0 && monotonicMs() < settleBy) await nextTurn()
    if (outstanding > 0) problems.push(`${outstanding} sends never settled`)
    if (failure !== undefined) problems.push(`a send failed: ${failure}`)
    for (const client of [consumer, producer]) {
      await client.disconnect().catch((error: unknown) => {
        problems.push(
          `disconnecting the ${client === consumer ? 'consumer' : 'producer'} failed: ${String(error)}`,
        )
      })
    }
    if (consumed !== records) problems.push(`${consumed} of ${records} records consumed`)
    const [offsets] = await admin.fetchTopicOffsets(TOPIC)
    if (offsets?.high !== String(records)) {
      problems.push(`the log holds ${offsets?.high} records, not ${records}`)
    }
    await admin.disconnect()
    const elapsedMs = lastArrivalAt - startAt
    const latency = latencyFigures(histogram)
    histogram.destroy()
    return {
      ...options,
      records,
      warmUpRecords,
      achievedRate: elapsedMs > 0 ? Math.round((consumed / elapsedMs) * 1000) : 0,
      maxOutstandingSends,
      latency,
      verified: problems.length === 0,
      problems,
    }
  } finally {
    await cluster.stop()
  }
}
