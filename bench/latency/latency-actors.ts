import { setImmediate as nextTurn } from 'node:timers/promises'
import { ProducerClient } from '../../src/actors/producer/producer-client.js'
import {
  arrayField,
  type Fields,
  fieldsOf,
  integerField,
  refField,
  stringField,
} from '../../src/actors/protocol-fields.js'
import type {
  MetadataSnapshot,
  SupervisorRequest,
} from '../../src/actors/supervisor/supervisor-protocol.js'
import { MalformedMessageError } from '../../src/runtime/errors/actor-errors.js'
import { type ActorRef, type Clock, defineActor } from '../../src/runtime/index.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log.js'
import { checkRecordBatch, forEachRecord } from '../../src/runtime/log/record-batch-codec.js'
import {
  type LatencyFigures,
  latencyFigures,
  latencyHistogram,
  parseLatencyFigures,
  recordLatencyMs,
} from './latency-histogram.js'
import {
  encodeTimedBatch,
  MIN_TIMED_RECORD_BYTES,
  monotonicMs,
  scheduledTimeOf,
} from './timed-records.js'

/*
 * The two ends of the latency benchmark, each on its own thread, on partition 0 of one topic.
 *
 * The producer follows a fixed schedule: record i is due at startAt + i / rate. Whenever it
 * runs, it sends every record already due (at most MAX_BATCH_RECORDS) as one batch, each
 * record stamped with its own due time, not the time it was sent: a producer that fell
 * behind (a stall, a full window of requests in flight) sends its backlog late and that
 * lateness counts, so coordinated omission does not hide it. After each send it turns its
 * event loop once (the request goes out from microtasks, acks come in as messages), then
 * sleeps until the next record is due: in `Atomics.wait` for gaps under COARSE_SLEEP_MS
 * (timers are too coarse for the 20 µs between records at 50,000/s), on a timer for longer
 * ones. It sleeps rather than spins: with two cores, a spinning producer takes one of them
 * from the broker and the consumer, which measured worse.
 *
 * The consumer reads the leader's log from shared memory, waiting with `waitForData`, checks
 * every record (offset, sequence, filling, CRC) and records now − due time, in nanoseconds,
 * into an HDR histogram.
 *
 * `control` holds one Int32: the consumer sets it once it is waiting for the first record, so
 * that the schedule starts with both ends ready.
 */

const READY = 0
const MAX_BATCH_RECORDS = 1000
const COARSE_SLEEP_MS = 2
/** How long the consumer waits past the schedule's end for records still on their way. */
const GRACE_MS = 10_000

export interface LatencyRun {
  readonly type: 'run'
  readonly supervisor: ActorRef<SupervisorRequest>
  readonly topic: string
  readonly records: number
  readonly rate: number
  readonly recordSize: number
  readonly acks: number
  readonly spinIterations: number
  /** Produce requests in flight, as Kafka's max.in.flight.requests.per.connection. */
  readonly maxInFlight: number
  /** The first records of the schedule, produced and checked but not timed. */
  readonly warmUpRecords: number
  readonly control: SharedArrayBuffer
}

function finiteNumber(fields: Fields, name: string, min: number): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MalformedMessageError(`${name} must be a number ≥ ${min}`)
  }
  return value
}

function optionalString(fields: Fields, name: string): string | undefined {
  return fields[name] === undefined || fields[name] === null ? undefined : stringField(fields, name)
}

function parseRun(value: unknown): LatencyRun {
  const fields = fieldsOf(value, 'latency run')
  if (fields.type !== 'run' || !(fields.control instanceof SharedArrayBuffer)) {
    throw new MalformedMessageError('expected a run message with a control buffer')
  }
  return {
    type: 'run',
    supervisor: refField(fields, 'supervisor'),
    topic: stringField(fields, 'topic'),
    records: integerField(fields, 'records', 1),
    rate: finiteNumber(fields, 'rate', Number.MIN_VALUE),
    recordSize: integerField(fields, 'recordSize', MIN_TIMED_RECORD_BYTES),
    acks: integerField(fields, 'acks', -1),
    spinIterations: integerField(fields, 'spinIterations', 0),
    maxInFlight: integerField(fields, 'maxInFlight', 1),
    warmUpRecords: integerField(fields, 'warmUpRecords', 0),
    control: fields.control,
  }
}

export interface ProducerOutcome {
  readonly sent: number
  /** When record 0 was due, on `monotonicMs`. */
  readonly startAt: number
  readonly error?: string
}

export function parseProducerOutcome(value: unknown): ProducerOutcome {
  const fields = fieldsOf(value, 'producer outcome')
  return {
    sent: integerField(fields, 'sent', 0),
    startAt: finiteNumber(fields, 'startAt', 0),
    error: optionalString(fields, 'error'),
  }
}

export interface ConsumerOutcome {
  readonly consumed: number
  /** When the last record was decoded, on `monotonicMs` (0 if none was). */
  readonly lastArrivalAt: number
  readonly latency: LatencyFigures
  readonly error?: string
}

export function parseConsumerOutcome(value: unknown): ConsumerOutcome {
  const fields = fieldsOf(value, 'consumer outcome')
  return {
    consumed: integerField(fields, 'consumed', 0),
    lastArrivalAt: finiteNumber(fields, 'lastArrivalAt', 0),
    latency: parseLatencyFigures(fields.latency),
    error: optionalString(fields, 'error'),
  }
}

async function produce(
  run: LatencyRun,
  client: ProducerClient,
  clock: Clock,
): Promise<ProducerOutcome> {
  // Metadata first, so that the first records are not also waiting for it.
  await client.topic(run.topic)
  const control = new Int32Array(run.control)
  while (Atomics.load(control, READY) === 0) {
    await Atomics.waitAsync(control, READY, 0, 100).value
  }
  const acks = run.acks === 0 ? 0 : run.acks === 1 ? 1 : -1
  const intervalMs = 1000 / run.rate
  const startAt = monotonicMs()
  const dueAt = (sequence: number) => startAt + sequence * intervalMs
  let sent = 0
  let inFlight = 0
  let error: string | undefined
  const pending = new Set<Promise<unknown>>()
  const sleeper = new Int32Array(new SharedArrayBuffer(4))
  while (sent < run.records && error === undefined) {
    const due = Math.min(run.records, Math.floor((monotonicMs() - startAt) / intervalMs) + 1)
    if (due > sent && inFlight < run.maxInFlight) {
      const count = Math.min(due - sent, MAX_BATCH_RECORDS)
      const first = sent
      const batch = encodeTimedBatch(first, count, run.recordSize, dueAt)
      inFlight++
      const request = client.produceEncoded(run.topic, 0, acks, batch).then(
        () => {
          inFlight--
        },
        (failure: unknown) => {
          error ??= `producing records from ${first} failed: ${String(failure)}`
        },
      )
      pending.add(request)
      request.finally(() => pending.delete(request))
      sent += count
    }
    // The request goes out from microtasks, and acks come in as messages: both need a turn.
    await nextTurn()
    const untilNextMs = dueAt(sent) - monotonicMs()
    if (untilNextMs > COARSE_SLEEP_MS) {
      await new Promise<void>((resolve) =>
        clock.schedule(untilNextMs - COARSE_SLEEP_MS / 2, resolve),
      )
    } else if (untilNextMs > 0 && inFlight < run.maxInFlight) {
      Atomics.wait(sleeper, 0, 0, untilNextMs)
    } else if (inFlight >= run.maxInFlight) {
      // A full window: sleep until an acknowledgement frees a slot, rather than spin a core
      // the broker and the consumer need.
      await Promise.race(pending)
    }
  }
  await Promise.all(pending)
  return error === undefined ? { sent, startAt } : { sent, startAt, error }
}

export const latencyProducer = defineActor<LatencyRun, null>({
  parseMessage: parseRun,
  init: () => null,
  receive(state, run, context) {
    const replier = context.deferReply()
    const client = new ProducerClient(run.supervisor, context.clock, {
      maxInFlightRequests: run.maxInFlight,
    })
    produce(run, client, context.clock).then(replier.resolve, (error: unknown) =>
      replier.resolve({ sent: 0, startAt: 0, error: String(error) }),
    )
    return state
  },
})

async function consume(run: LatencyRun): Promise<ConsumerOutcome> {
  const metadata = await run.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [run.topic],
  })
  const partitions = arrayField(fieldsOf(metadata.topics[0], 'topic metadata'), 'partitions')
  const log = PartitionLogReader.open(fieldsOf(partitions[0], 'partition').log)
  const histogram = latencyHistogram()
  const control = new Int32Array(run.control)
  Atomics.store(control, READY, 1)
  Atomics.notify(control, READY)
  let position = 0
  let lastArrivalAt = 0
  let problem: string | undefined
  const waitOptions = { spinIterations: run.spinIterations }
  // The producer starts at once; its schedule lasts records / rate seconds.
  const deadline = monotonicMs() + (run.records / run.rate) * 1000 + GRACE_MS
  while (position < run.records && problem === undefined) {
    if (!(await log.waitForData(position, 100, waitOptions))) {
      if (monotonicMs() > deadline) problem = `only ${position} of ${run.records} records arrived`
      continue
    }
    const read = log.read(position, 1 << 20, { zeroCopy: true })
    let expected = position
    for (const batch of read.batches) {
      checkRecordBatch(batch, true)
      forEachRecord(batch, (record) => {
        const scheduledAt = scheduledTimeOf(record, expected, run.recordSize)
        const arrivedAt = monotonicMs()
        if (record.offset !== expected || scheduledAt === undefined) {
          problem ??= `the record at offset ${record.offset} is not sequence ${expected} as written`
        } else if (arrivedAt < scheduledAt) {
          problem ??= `record ${expected} arrived before it was due`
        } else {
          if (expected >= run.warmUpRecords) recordLatencyMs(histogram, arrivedAt - scheduledAt)
          lastArrivalAt = arrivedAt
        }
        expected++
      })
    }
    if (!log.isIntact(read)) problem ??= `the ring overran the consumer at offset ${position}`
    position = expected
    // Let heartbeats through between reads: a thread that never yields looks dead.
    await nextTurn()
  }
  const outcome: ConsumerOutcome = {
    consumed: position,
    lastArrivalAt,
    latency: latencyFigures(histogram),
  }
  histogram.destroy()
  return problem === undefined ? outcome : { ...outcome, error: problem }
}

export const latencyConsumer = defineActor<LatencyRun, null>({
  parseMessage: parseRun,
  init: () => null,
  receive(state, run, context) {
    const replier = context.deferReply()
    consume(run).then(replier.resolve, (error: unknown) =>
      replier.resolve({
        consumed: 0,
        lastArrivalAt: 0,
        latency: { p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, distribution: [] },
        error: String(error),
      }),
    )
    return state
  },
})
