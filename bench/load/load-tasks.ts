import { threadId } from 'node:worker_threads'
import { MetadataCache } from '../../src/actors/client/metadata-cache.js'
import { ProducerClient } from '../../src/actors/producer/producer-client.js'
import { fieldsOf } from '../../src/actors/protocol-fields.js'
import {
  type ProducerIdentity,
  parseProducerIdentity,
  type SupervisorRequest,
} from '../../src/actors/supervisor/supervisor-protocol.js'
import type { ActorRef } from '../../src/runtime/actor/actor-ref.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { checkRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { forEachRecord } from '../../src/runtime/log/record-reader.js'
import { joinAsGuest, parseGuestLinks } from '../../src/runtime/thread/guest-links.js'
import { BatchTemplate, SequencedValues, sequenceOf } from '../e2e/record-content.js'
import {
  type ConsumerOutcome,
  consumeTimed,
  type ProducerOutcome,
  parseLatencyRun,
  produceOnSchedule,
} from '../latency/latency-ends.js'
import {
  type ConsumeShare,
  LoadProgress,
  type ProduceShare,
  parseConsumeShare,
  parseProduceShare,
  type ShareOutcome,
} from './load-protocol.js'
import { pacer } from './pacer.js'

/*
 * The load pool's tasks (see load-protocol.ts). Each runs its share to the end and returns
 * its statistics; a failure is returned as `error`, never thrown, so that the run can say
 * what went wrong beside what it measured.
 */

/** Produce requests in flight per partition. */
const WINDOW = 4
/** Produce requests in flight per broker, as Kafka's max.in.flight.requests.per.connection. */
const MAX_IN_FLIGHT = 8
/** Records sent one at a time and not yet acknowledged, per partition (accumulator mode). */
const MAX_PENDING_RECORDS = 20_000

/** A task that only proves its worker is up, by that worker's thread id. */
export async function warmUp(): Promise<number> {
  // Held a moment, so that the pool hands each warm-up to a different worker.
  await new Promise((resolve) => setTimeout(resolve, 20))
  return threadId
}

export async function produceShare(value: unknown): Promise<ShareOutcome> {
  const started = performance.now()
  let share: ProduceShare
  try {
    share = parseProduceShare(value)
  } catch (error) {
    return { records: 0, elapsedMs: 0, error: String(error) }
  }
  const guest = joinAsGuest(share.links)
  try {
    const records = await produce(share, guest.system)
    return { records, elapsedMs: performance.now() - started }
  } catch (error) {
    return { records: 0, elapsedMs: performance.now() - started, error: String(error) }
  } finally {
    await guest.leave()
  }
}

async function produce(
  share: ProduceShare,
  system: ReturnType<typeof joinAsGuest>['system'],
): Promise<number> {
  const supervisor = system.refFor<SupervisorRequest>(share.supervisor.node, share.supervisor.name)
  const { accumulator } = share
  const client = new ProducerClient(
    new MetadataCache(supervisor, system.clock),
    supervisor,
    system.clock,
    accumulator === undefined
      ? { maxInFlightRequests: MAX_IN_FLIGHT }
      : { maxInFlightRequests: MAX_IN_FLIGHT, ...accumulator, idempotent: share.idempotent },
  )
  const progress = new LoadProgress(share.progress, share.partitionCount)
  const send =
    accumulator === undefined
      ? await batchSender(share, client, supervisor)
      : recordSender(share, client)
  const endAt = share.durationMs === undefined ? Infinity : performance.now() + share.durationMs
  let sentInAll = 0
  const partitionWork = share.partitions.map(async (partition) => {
    const pace = pacer(share.partitionRate)
    // A ring of the sends not yet acknowledged: the slot a send takes held the oldest.
    const pending: (Promise<unknown> | undefined)[] = Array.from({
      length: accumulator === undefined ? WINDOW : MAX_PENDING_RECORDS,
    })
    let slot = 0
    let sent = 0
    while (sent < share.recordsPerPartition && performance.now() < endAt) {
      const consumed = progress.consumed(partition)
      if (sent - consumed > share.maxLagRecords) {
        await progress.consumedPast(partition, consumed, 50)
        continue
      }
      const next = sent + send.countFrom(sent)
      const due = pace(next)
      if (due !== undefined) await due
      const oldest = pending[slot]
      if (oldest !== undefined) await oldest
      pending[slot] = send
        .send(partition, sent)
        .then(() => progress.setAcknowledged(partition, next))
      slot = (slot + 1) % pending.length
      sent = next
    }
    await Promise.all(pending)
    sentInAll += sent
    // The partition's count in all, which a timed run's consumer waits to learn.
    progress.setSent(partition, sent)
  })
  await Promise.all(partitionWork)
  return sentInAll
}

/** How a partition's records go out: how many go next from `sent` on, and sending them. */
interface Sender {
  countFrom(sent: number): number
  /** Resolves once they are acknowledged. */
  send(partition: number, sent: number): Promise<unknown>
}

/** Batches of `batchRecords` encoded here from a template, each one produce request. */
async function batchSender(
  share: ProduceShare,
  client: ProducerClient,
  supervisor: ActorRef<SupervisorRequest>,
): Promise<Sender> {
  const full = new BatchTemplate(share.batchRecords, share.recordSize)
  const remainder = share.recordsPerPartition % share.batchRecords
  const last = remainder === 0 ? full : new BatchTemplate(remainder, share.recordSize)
  const producer = share.idempotent
    ? await supervisor.ask<ProducerIdentity>(
        { type: 'init-producer-id' },
        { parseReply: parseProducerIdentity },
      )
    : undefined
  const templateFrom = (sent: number) =>
    share.recordsPerPartition - sent >= share.batchRecords ? full : last
  return {
    countFrom: (sent) => templateFrom(sent).count,
    send: (partition, sent) =>
      client.produceEncoded(
        share.topic,
        partition,
        share.acks,
        templateFrom(sent).make(sent, producer),
      ),
  }
}

/** One record at a time into the client's accumulator, which makes the batches. */
function recordSender(share: ProduceShare, client: ProducerClient): Sender {
  const values = new SequencedValues(share.recordSize)
  return {
    countFrom: () => 1,
    send: (partition, sent) =>
      client.append(share.topic, partition, share.acks, [{ key: null, value: values.next(sent) }]),
  }
}

export async function consumeShare(value: unknown): Promise<ShareOutcome> {
  const started = performance.now()
  try {
    const share = parseConsumeShare(value)
    const { records, problem } = await consume(share)
    const elapsedMs = performance.now() - started
    return problem === undefined ? { records, elapsedMs } : { records, elapsedMs, error: problem }
  } catch (error) {
    return { records: 0, elapsedMs: performance.now() - started, error: String(error) }
  }
}

/** Reads every record of the share, checking each batch's CRC and each record's sequence. */
async function consume(share: ConsumeShare): Promise<{ records: number; problem?: string }> {
  const progress = new LoadProgress(share.progress, share.partitionCount)
  const logs = share.logs.map(({ partition, log }) => ({
    partition,
    reader: PartitionLogReader.open(log),
  }))
  const positions = logs.map(() => 0)
  // A partition's count: what its producer says it sent once done, the plan's cap till then.
  const targetOf = (partition: number) => progress.sent(partition) ?? share.recordsPerPartition
  const done = () =>
    logs.every(({ partition }, index) => (positions[index] as number) >= targetOf(partition))
  let consumed = 0
  let problem: string | undefined
  while (!done() && problem === undefined) {
    let progressed = false
    for (let index = 0; index < logs.length; index++) {
      const { partition, reader } = logs[index] as (typeof logs)[number]
      const position = positions[index] as number
      const target = targetOf(partition)
      if (position >= target || reader.highWatermark <= position) continue
      const read = reader.read(position, 1 << 20, { zeroCopy: true })
      let expected = position
      for (const batch of read.batches) {
        checkRecordBatch(batch, true)
        forEachRecord(batch, (record) => {
          if (
            record.offset !== expected ||
            sequenceOf(record.bytes, record.valueStart, record.valueLength) !== expected
          ) {
            problem ??= `partition ${partition}: record at offset ${record.offset} is not sequence ${expected}`
          }
          expected++
        })
      }
      if (!reader.isIntact(read)) {
        problem ??= `partition ${partition}: the ring overran the reader at offset ${position}`
      }
      if (expected > target) {
        problem ??= `partition ${partition}: more records than were produced`
      }
      consumed += expected - position
      positions[index] = expected
      progress.setConsumed(partition, expected)
      progressed = true
    }
    if (!progressed) {
      const waiting = logs.findIndex(
        ({ partition }, index) => (positions[index] as number) < targetOf(partition),
      )
      // Wakes with new data, or within 100 ms to look whether a timed run has ended.
      await logs[waiting]?.reader.waitForData(positions[waiting] as number, 100)
    }
  }
  return problem === undefined ? { records: consumed } : { records: consumed, problem }
}

/**
 * The latency scenario's producer: its fixed schedule through the producer client. Its input
 * is the run with `links`, its way into the actor network.
 */
export async function latencyProducer(value: unknown): Promise<ProducerOutcome> {
  let run: ReturnType<typeof parseLatencyRun>
  let links: ReturnType<typeof parseGuestLinks>
  try {
    run = parseLatencyRun(value)
    links = parseGuestLinks(fieldsOf(value, 'latency producer input').links)
  } catch (error) {
    return { sent: 0, startAt: 0, error: String(error) }
  }
  const guest = joinAsGuest(links)
  try {
    const supervisor = guest.system.refFor<SupervisorRequest>(
      run.supervisor.node,
      run.supervisor.name,
    )
    const metadata = new MetadataCache(supervisor, guest.system.clock)
    const client = new ProducerClient(metadata, supervisor, guest.system.clock, {
      maxInFlightRequests: run.maxInFlight,
    })
    return await produceOnSchedule(run, client, guest.system.clock)
  } catch (error) {
    return { sent: 0, startAt: 0, error: String(error) }
  } finally {
    await guest.leave()
  }
}

/** The latency scenario's consumer: times every record from its due time to its decoding. */
export async function latencyConsumer(value: unknown): Promise<ConsumerOutcome> {
  try {
    return await consumeTimed(parseLatencyRun(value))
  } catch (error) {
    return {
      consumed: 0,
      lastArrivalAt: 0,
      latency: { p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, distribution: [] },
      error: String(error),
    }
  }
}
