import { setImmediate as nextTurn } from 'node:timers/promises'
import type { ProducerClient } from '../../src/actors/producer/producer-client.js'
import {
  fieldsOf,
  integerField,
  numberField,
  optionalStringField,
  stringField,
} from '../../src/actors/protocol-fields.js'
import { MalformedMessageError } from '../../src/runtime/errors/actor-errors.js'
import type { Clock } from '../../src/runtime/index.js'
import type { PartitionLogHandle } from '../../src/runtime/log/log-layout.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { checkRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { forEachRecord } from '../../src/runtime/log/record-reader.js'
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
 * The two ends of the latency benchmark, each a task on its own thread of the load pool, on
 * partition 0 of one topic.
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
  /** The supervisor's address: the producer asks it for metadata. */
  readonly supervisor: { readonly node: number; readonly name: string }
  readonly topic: string
  /** The leader's log of partition 0, which the consumer reads. */
  readonly log: PartitionLogHandle
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

export function parseLatencyRun(value: unknown): LatencyRun {
  const fields = fieldsOf(value, 'latency run')
  if (!(fields.control instanceof SharedArrayBuffer)) {
    throw new MalformedMessageError('a latency run needs a control buffer')
  }
  const supervisor = fieldsOf(fields.supervisor, 'supervisor')
  return {
    supervisor: {
      node: integerField(supervisor, 'node', 0),
      name: stringField(supervisor, 'name'),
    },
    topic: stringField(fields, 'topic'),
    log: PartitionLogReader.open(fields.log).handle(),
    records: integerField(fields, 'records', 1),
    rate: numberField(fields, 'rate', Number.MIN_VALUE),
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
    startAt: numberField(fields, 'startAt', 0),
    error: optionalStringField(fields, 'error'),
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
    lastArrivalAt: numberField(fields, 'lastArrivalAt', 0),
    latency: parseLatencyFigures(fields.latency),
    error: optionalStringField(fields, 'error'),
  }
}

export async function produceOnSchedule(
  run: LatencyRun,
  client: ProducerClient,
  clock: Clock,
): Promise<ProducerOutcome> {
  // Metadata first, so that the first records are not also waiting for it.
  await client.metadata.topic(run.topic)
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

export async function consumeTimed(run: LatencyRun): Promise<ConsumerOutcome> {
  const log = PartitionLogReader.open(run.log)
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
    // Other work of the thread (the pool's messages) goes on between reads.
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
