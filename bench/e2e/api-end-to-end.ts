import { Cluster, DEFAULT_LOG_CAPACITY_BYTES } from '../../src/api/cluster.js'
import type { Consumer } from '../../src/api/consumer.js'
import type { Producer } from '../../src/api/producer.js'
import type { Transaction } from '../../src/api/transaction.js'
import { type ProgressSample, ProgressSampler } from '../report/progress-sampler.js'
import { MIN_SEQUENCED_BYTES, SequenceCheck, sequencedMessages } from './sequenced-messages.js'

/*
 * End to end through the public API, as a user's code does it, all on this thread:
 * `Cluster.start`, `admin.createTopics`, `cluster.producer()` awaiting one `send` of
 * `messagesPerSend` Buffer values after another, and a group consumer
 * (`cluster.consumer({ groupId })`, `subscribe({ fromBeginning: true })`,
 * `run({ eachBatch })` or `run({ eachMessage })`). Three phases, each timed on its own:
 *
 *   send             the producer writes `records` records into a topic;
 *   consume          a consumer reads `records` records back from a topic the producer filled
 *                    beforehand, untimed (from `run()` to the last record);
 *   produceConsume   a consumer runs on a fresh topic while the producer sends `records`
 *                    more (from the first send to the last record consumed).
 *
 * The send and produce-and-consume topics have the rings a user's topic gets by default, so
 * a long phase wraps them as a running service does: the first pass over a ring's memory is
 * paid in page faults (see bench/README.md), later passes are not. The consume phase's topic
 * must keep every record until it is read, so it has a ring that holds them all, written
 * before the phase. The consumers check every record (see SequenceCheck), and at the end each
 * topic's high watermarks must add up to exactly `records`. A figure counts only when all of
 * that holds.
 */

export type ConsumeHandler = 'eachBatch' | 'eachMessage'

export interface ApiEndToEndOptions {
  readonly brokers: number
  readonly partitions: number
  readonly replication: number
  readonly acks: -1 | 0 | 1
  /** Value bytes of each record. */
  readonly recordSize: number
  /** Records of each phase. */
  readonly records: number
  /** Messages in each `producer.send`. */
  readonly messagesPerSend: number
  readonly handler: ConsumeHandler
  /**
   * Bytes of each replica's ring of the send and produce-and-consume topics (their
   * `samsa.log.capacity.bytes`; default: the cluster's default, as a user's topic has, or
   * less when that holds the whole phase).
   */
  readonly logCapacityBytes?: number
  /** A phase whose consumer gets nothing for this long fails (default 10 s). */
  readonly idleMs?: number
  /**
   * Records produced and consumed through a topic of their own before the timed phases, not
   * timed (default 0): the first records meet code every thread still has to compile.
   */
  readonly warmUpRecords?: number
  /**
   * Sends per transaction. When given, two more phases on topics of their own: an idempotent
   * producer with acks all, then a transactional one (KafkaJS's `producer.transaction()`)
   * committing every that many sends, each with a read_committed consumer reading along that
   * checks every record (default: neither phase).
   */
  readonly transactionSends?: number
}

/** One phase's figures. */
export interface PhaseFigures {
  readonly records: number
  readonly elapsedMs: number
  readonly recordsPerSec: number
  /** Value bytes per second. */
  readonly bytesPerSec: number
}

export interface ConsumePhaseFigures extends PhaseFigures {
  /** From `run()` to the first record in the handler: the group's join, mostly. */
  readonly firstRecordMs: number
}

export interface ApiEndToEndReport extends ApiEndToEndOptions {
  readonly logCapacityBytes: number
  /** The consume phase topic's rings: room for all its records (see apiLogCapacity). */
  readonly consumeLogCapacityBytes: number
  readonly send: PhaseFigures
  readonly consume: ConsumePhaseFigures
  readonly produceConsume: PhaseFigures
  /** With transactionSends: the idempotent producer's sends, acks all. */
  readonly idempotentSend?: PhaseFigures
  /** With transactionSends: the transactional producer's sends, to its last commit. */
  readonly transactionalSend?: PhaseFigures
  /** Records produced and consumed in the produce-and-consume phase, sampled while it ran. */
  readonly samples: readonly ProgressSample[]
  readonly verified: boolean
  readonly problems: readonly string[]
}

/** What a run tells its caller while it goes: each phase's name, and samples of its counts. */
export interface ApiRunHooks {
  readonly phase?: (label: string) => void
  readonly sample?: (sample: ProgressSample) => void
}

const SEND_TOPIC = 'api-send'
const CONSUME_TOPIC = 'api-consume'
const BOTH_TOPIC = 'api-produce-consume'
const WARM_UP_TOPIC = 'api-warm-up'
const IDEMPOTENT_TOPIC = 'api-idempotent'
const TRANSACTIONAL_TOPIC = 'api-transactional'
const DEFAULT_IDLE_MS = 10_000
/** Kafka's batch.size default, which the producer's accumulator splits batches at. */
const PRODUCER_BATCH_BYTES = 16_384
/** A RecordBatch v2 header, and the most one record's framing adds to its value. */
const BATCH_HEADER_BYTES = 61
const RECORD_FRAMING_BYTES = 17
const MIN_LOG_CAPACITY = 64 * 1024
const MAX_LOG_CAPACITY = 2 ** 30

const nextPowerOfTwo = (value: number) => 2 ** Math.ceil(Math.log2(value))

/**
 * A ring per replica that holds every record of a phase with room to spare, so nothing is
 * evicted before a consumer reads it: the producer's partitioner spreads each send
 * over the partitions, so a partition's batches carry about messagesPerSend / partitions
 * records (at least one, and at most what fits in Kafka's batch.size).
 */
export function apiLogCapacity(options: {
  readonly partitions: number
  readonly records: number
  readonly recordSize: number
  readonly messagesPerSend: number
}): number {
  const { partitions, records, recordSize, messagesPerSend } = options
  const recordBytes = recordSize + RECORD_FRAMING_BYTES
  const perBatch = Math.max(
    1,
    Math.min(
      Math.floor(messagesPerSend / partitions),
      Math.floor(PRODUCER_BATCH_BYTES / recordBytes),
    ),
  )
  const perPartition = Math.ceil(records / partitions)
  const batchBytes = BATCH_HEADER_BYTES + 7 + perBatch * recordBytes
  const bytes = Math.ceil(perPartition / perBatch) * batchBytes
  // A quarter more, and a batch's padding at the wrap.
  const capacity = Math.max(MIN_LOG_CAPACITY, nextPowerOfTwo(bytes * 1.25 + batchBytes))
  if (capacity > MAX_LOG_CAPACITY) {
    throw new Error(
      `${perPartition} records of ${recordSize} B per partition need more than a 1 GiB ring: fewer records, or more partitions`,
    )
  }
  return capacity
}

function checkOptions(options: ApiEndToEndOptions): void {
  const { partitions, records, recordSize, messagesPerSend, replication, brokers } = options
  for (const [name, value] of Object.entries({ partitions, records, messagesPerSend, brokers })) {
    if (!(Number.isSafeInteger(value) && value >= 1)) {
      throw new Error(`${name} must be an integer ≥ 1`)
    }
  }
  if (!(Number.isInteger(replication) && replication >= 1 && replication <= brokers)) {
    throw new Error(`replication must be from 1 to the broker count (${brokers})`)
  }
  if (!(Number.isInteger(recordSize) && recordSize >= MIN_SEQUENCED_BYTES)) {
    throw new Error(`records must be at least ${MIN_SEQUENCED_BYTES} bytes`)
  }
}

function figuresOf(records: number, elapsedMs: number, recordSize: number): PhaseFigures {
  const seconds = elapsedMs / 1000
  return {
    records,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSec: seconds > 0 ? Math.round(records / seconds) : 0,
    bytesPerSec: seconds > 0 ? Math.round((records * recordSize) / seconds) : 0,
  }
}

/** Starts a cluster, runs the three phases through the public API, stops the cluster. */
export async function runApiEndToEnd(
  options: ApiEndToEndOptions,
  hooks: ApiRunHooks = {},
): Promise<ApiEndToEndReport> {
  checkOptions(options)
  const consumeLogCapacityBytes = apiLogCapacity(options)
  // A ring larger than a phase writes is memory no record touches: at many partitions the
  // default would only strain the cluster's memory budget.
  const logCapacityBytes =
    options.logCapacityBytes ?? Math.min(DEFAULT_LOG_CAPACITY_BYTES, consumeLogCapacityBytes)
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS
  const { partitions, records, recordSize } = options
  hooks.phase?.('api: starting the cluster')
  // The rings are the topics' own (the internal offsets topic keeps the cluster's default).
  const cluster = await Cluster.start({ brokers: options.brokers })
  const problems: string[] = []
  try {
    const admin = cluster.admin()
    await admin.connect()
    const warmUp = { ...options, records: options.warmUpRecords ?? 0 }
    const rings = [
      [SEND_TOPIC, logCapacityBytes],
      [CONSUME_TOPIC, consumeLogCapacityBytes],
      [BOTH_TOPIC, logCapacityBytes],
      ...(warmUp.records > 0 ? [[WARM_UP_TOPIC, apiLogCapacity(warmUp)] as const] : []),
      ...(options.transactionSends === undefined
        ? []
        : ([
            [IDEMPOTENT_TOPIC, logCapacityBytes],
            [TRANSACTIONAL_TOPIC, logCapacityBytes],
          ] as const)),
    ] as const
    await admin.createTopics({
      topics: rings.map(([topic, ring]) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: options.replication,
        configEntries: [{ name: 'samsa.log.capacity.bytes', value: String(ring) }],
      })),
    })
    // A default producer, as users make it: with acks 0 or 1 it goes without idempotence.
    const producer = cluster.producer()
    await producer.connect()

    if (warmUp.records > 0) {
      hooks.phase?.('api: warming up (not timed)')
      const warmUpCheck = new SequenceCheck(warmUp.records, partitions, recordSize)
      const warmUpConsumer = cluster.consumer({ groupId: 'bench-warm-up' })
      try {
        await subscribeFromBeginning(warmUpConsumer, WARM_UP_TOPIC)
        await runInto(warmUpConsumer, options.handler, warmUpCheck)
        const warmedUp = await new Sending(producer, warmUp).run(WARM_UP_TOPIC)
        problems.push(...warmedUp.problems.map((problem) => `warm-up: ${problem}`))
        await warmUpCheck.allConsumed(idleMs, () => warmedUp.problems[0])
      } finally {
        await disconnect(warmUpConsumer, 'the warm-up consumer', problems)
      }
      problems.push(...warmUpCheck.problems.map((problem) => `warm-up: ${problem}`))
    }

    hooks.phase?.('api: send')
    const sending = new Sending(producer, options)
    const sendSampler = new ProgressSampler(
      () => ({ produced: sending.acknowledged, consumed: 0 }),
      hooks.sample,
    )
    const sent = await sending.run(SEND_TOPIC).finally(() => sendSampler.stop())
    problems.push(...sent.problems.map((problem) => `send: ${problem}`))
    const send = figuresOf(sending.acknowledged, sent.elapsedMs, recordSize)
    // With acks 0 a send resolves before its records are in: wait for them, untimed.
    if (sent.problems.length === 0) await highWatermarksReach(admin, SEND_TOPIC, records, idleMs)

    hooks.phase?.('api: filling the consume phase topic (not timed)')
    const filled = await new Sending(producer, options).run(CONSUME_TOPIC)
    problems.push(...filled.problems.map((problem) => `filling: ${problem}`))
    if (filled.problems.length === 0) {
      await highWatermarksReach(admin, CONSUME_TOPIC, records, idleMs)
    }

    hooks.phase?.('api: consume')
    const consumeCheck = new SequenceCheck(records, partitions, recordSize)
    const consumer = cluster.consumer({ groupId: 'bench-consume' })
    const consumeSampler = new ProgressSampler(
      () => ({ produced: records, consumed: consumeCheck.consumed }),
      hooks.sample,
    )
    await subscribeFromBeginning(consumer, CONSUME_TOPIC)
    const consumeStart = performance.now()
    try {
      await runInto(consumer, options.handler, consumeCheck)
      consumeCheck.restartIdleClock()
      await consumeCheck.allConsumed(idleMs, () =>
        filled.problems.length > 0 ? 'filling its topic failed' : undefined,
      )
    } finally {
      consumeSampler.stop()
      await disconnect(consumer, 'the consumer', problems)
    }
    problems.push(...consumeCheck.problems.map((problem) => `consume: ${problem}`))
    const consume: ConsumePhaseFigures = {
      ...figuresOf(
        consumeCheck.consumed,
        (consumeCheck.completedAt ?? performance.now()) - consumeStart,
        recordSize,
      ),
      firstRecordMs: Math.round((consumeCheck.firstAt ?? consumeStart) - consumeStart),
    }

    hooks.phase?.('api: produce and consume')
    const bothCheck = new SequenceCheck(records, partitions, recordSize)
    const bothConsumer = cluster.consumer({ groupId: 'bench-produce-consume' })
    const both = new Sending(producer, options)
    let bothStart = performance.now()
    let bothSamples: readonly ProgressSample[] = []
    try {
      // Joined and positioned before the first send: the phase times records, not the join.
      await subscribeFromBeginning(bothConsumer, BOTH_TOPIC)
      await runInto(bothConsumer, options.handler, bothCheck)
      const sampler = new ProgressSampler(
        () => ({ produced: both.acknowledged, consumed: bothCheck.consumed }),
        hooks.sample,
      )
      try {
        bothStart = performance.now()
        bothCheck.restartIdleClock()
        let sendFailure: string | undefined
        const bothSent = both.run(BOTH_TOPIC).then((outcome) => {
          sendFailure = outcome.problems[0]
          problems.push(...outcome.problems.map((problem) => `produce and consume: ${problem}`))
        })
        await bothCheck.allConsumed(idleMs, () =>
          sendFailure === undefined ? undefined : 'the producer failed',
        )
        await bothSent
      } finally {
        sampler.stop()
        bothSamples = sampler.samples()
      }
    } finally {
      await disconnect(bothConsumer, 'the second consumer', problems)
    }
    problems.push(...bothCheck.problems.map((problem) => `produce and consume: ${problem}`))
    const produceConsume = figuresOf(
      bothCheck.consumed,
      (bothCheck.completedAt ?? performance.now()) - bothStart,
      recordSize,
    )
    await disconnect(producer, 'the producer', problems)

    let idempotentSend: PhaseFigures | undefined
    let transactionalSend: PhaseFigures | undefined
    if (options.transactionSends !== undefined) {
      hooks.phase?.('api: idempotent send, acks all')
      idempotentSend = await checkedSend(
        cluster,
        cluster.producer({ idempotent: true }),
        options,
        { topic: IDEMPOTENT_TOPIC, transactionSends: undefined },
        problems,
      )
      problems.push(...(await logProblems(admin, IDEMPOTENT_TOPIC, records)))
      hooks.phase?.(`api: transactional send, a commit every ${options.transactionSends} sends`)
      transactionalSend = await checkedSend(
        cluster,
        cluster.producer({
          transactionalId: 'bench-transactional',
          idempotent: true,
          maxInFlightRequests: 1,
        }),
        options,
        { topic: TRANSACTIONAL_TOPIC, transactionSends: options.transactionSends },
        problems,
      )
    }

    hooks.phase?.('api: checking the logs')
    for (const topic of [SEND_TOPIC, CONSUME_TOPIC, BOTH_TOPIC]) {
      problems.push(...(await logProblems(admin, topic, records)))
    }
    problems.push(...(await evictionProblems(admin, CONSUME_TOPIC)))
    await admin.disconnect()
    return {
      ...options,
      logCapacityBytes,
      consumeLogCapacityBytes,
      send,
      consume,
      produceConsume,
      ...(idempotentSend === undefined ? {} : { idempotentSend }),
      ...(transactionalSend === undefined ? {} : { transactionalSend }),
      samples: bothSamples,
      verified: problems.length === 0,
      problems,
    }
  } finally {
    await cluster.stop()
  }
}

/**
 * Times `producer` sending a phase's records into `topic` (acks all; in transactions
 * when `transactionSends` is given) while a read_committed consumer checks every
 * record; disconnects both.
 */
async function checkedSend(
  cluster: Cluster,
  producer: Producer,
  options: ApiEndToEndOptions,
  { topic, transactionSends }: { readonly topic: string; readonly transactionSends?: number },
  problems: string[],
): Promise<PhaseFigures> {
  const { records, partitions, recordSize } = options
  const label = transactionSends === undefined ? 'idempotent send' : 'transactional send'
  const check = new SequenceCheck(records, partitions, recordSize, false)
  const consumer = cluster.consumer({ groupId: `bench-${topic}` })
  const sending = new Sending(producer, { ...options, acks: -1 }, transactionSends)
  let elapsedMs = 0
  try {
    await producer.connect()
    await subscribeFromBeginning(consumer, topic)
    await runInto(consumer, options.handler, check)
    check.restartIdleClock()
    const sent = await sending.run(topic)
    elapsedMs = sent.elapsedMs
    problems.push(...sent.problems.map((problem) => `${label}: ${problem}`))
    await check.allConsumed(options.idleMs ?? DEFAULT_IDLE_MS, () => sent.problems[0])
  } finally {
    await disconnect(consumer, `the ${label} consumer`, problems)
    await disconnect(producer, `the ${label} producer`, problems)
  }
  problems.push(...check.problems.map((problem) => `${label}: ${problem}`))
  return figuresOf(sending.acknowledged, elapsedMs, recordSize)
}

/**
 * One phase's sends: `records` records, `messagesPerSend` at a time, each send awaited; with
 * `transactionSends`, inside transactions of that many sends, each committed.
 */
class Sending {
  acknowledged = 0

  constructor(
    private readonly producer: Producer,
    private readonly options: ApiEndToEndOptions,
    private readonly transactionSends?: number,
  ) {}

  async run(topic: string): Promise<{ elapsedMs: number; problems: string[] }> {
    const { records, messagesPerSend, recordSize, acks } = this.options
    const { transactionSends } = this
    const started = performance.now()
    let transaction: Transaction | undefined
    let sendsInTransaction = 0
    try {
      while (this.acknowledged < records) {
        const count = Math.min(messagesPerSend, records - this.acknowledged)
        const messages = sequencedMessages(this.acknowledged, count, recordSize)
        if (transactionSends === undefined) {
          await this.producer.send({ topic, acks, messages })
        } else {
          transaction ??= await this.producer.transaction()
          await transaction.send({ topic, acks, messages })
          sendsInTransaction++
        }
        this.acknowledged += count
        if (
          transaction !== undefined &&
          (sendsInTransaction === transactionSends || this.acknowledged >= records)
        ) {
          await transaction.commit()
          transaction = undefined
          sendsInTransaction = 0
        }
      }
      return { elapsedMs: performance.now() - started, problems: [] }
    } catch (error) {
      return {
        elapsedMs: performance.now() - started,
        problems: [`send of records from ${this.acknowledged} failed: ${String(error)}`],
      }
    }
  }
}

async function subscribeFromBeginning(consumer: Consumer, topic: string): Promise<void> {
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
}

/** Runs a subscribed consumer, every record into `check`; resolves once it has joined. */
async function runInto(
  consumer: Consumer,
  handler: ConsumeHandler,
  check: SequenceCheck,
): Promise<void> {
  if (handler === 'eachBatch') {
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const { partition } = batch
        for (const message of batch.messages) check.take(partition, message.offset, message.value)
      },
    })
  } else {
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        check.take(partition, message.offset, message.value)
      },
    })
  }
}

type Admin = ReturnType<Cluster['admin']>

/** Disconnects a client; a failure is one more problem of the run, not the end of it. */
async function disconnect(
  client: { disconnect(): Promise<void> },
  name: string,
  problems: string[],
): Promise<void> {
  await client.disconnect().catch((error: unknown) => {
    problems.push(`disconnecting ${name} failed: ${String(error)}`)
  })
}

async function highWatermarksReach(
  admin: Admin,
  topic: string,
  records: number,
  idleMs: number,
): Promise<void> {
  const deadline = performance.now() + idleMs
  while (performance.now() < deadline) {
    const offsets = await admin.fetchTopicOffsets(topic)
    if (offsets.reduce((total, entry) => total + Number(entry.high), 0) >= records) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Records missing or extra in a topic at the end: its high watermarks add up to `records`. */
async function logProblems(admin: Admin, topic: string, records: number): Promise<string[]> {
  const offsets = await admin.fetchTopicOffsets(topic)
  const held = offsets.reduce((total, entry) => total + Number(entry.high), 0)
  return held === records ? [] : [`topic ${topic} took ${held} records, not ${records}`]
}

/** A topic whose rings were sized to keep everything must still start at offset 0. */
async function evictionProblems(admin: Admin, topic: string): Promise<string[]> {
  const offsets = await admin.fetchTopicOffsets(topic)
  const evicted = offsets.filter((entry) => entry.low !== '0')
  return evicted.length === 0
    ? []
    : [`topic ${topic}: ${evicted.length} partition(s) evicted records before the end`]
}
