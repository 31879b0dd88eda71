import { ProducerClient } from '../../src/actors/producer/producer-client.js'
import {
  arrayField,
  fieldsOf,
  integerField,
  refField,
  stringField,
} from '../../src/actors/protocol-fields.js'
import {
  type MetadataSnapshot,
  type ProducerIdentity,
  parseProducerIdentity,
  type SupervisorRequest,
} from '../../src/actors/supervisor/supervisor-protocol.js'
import { type ActorRef, defineActor } from '../../src/runtime/index.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log.js'
import { checkRecordBatch, forEachRecord } from '../../src/runtime/log/record-batch-codec.js'
import { BatchTemplate, sequenceOf } from './record-content.js'

/*
 * The two ends of the end-to-end benchmark, each on its own thread. The producer sends
 * encoded batches through the cluster's producer client; the consumer reads the leaders' logs
 * from shared memory and checks every record. `progress` holds one Int32 per partition of
 * records consumed, then one per partition of records acknowledged: the consumer's counts keep
 * the producer within the ring's reach of it (Kafka has no such flow control, but a benchmark
 * that overran its own ring would measure nothing), and both feed progress displays.
 */

export interface E2ERun {
  readonly type: 'run'
  readonly supervisor: ActorRef<SupervisorRequest>
  readonly topic: string
  readonly partitions: number
  readonly recordsPerPartition: number
  readonly recordSize: number
  readonly batchRecords: number
  readonly acks: number
  readonly maxLagRecords: number
  readonly progress: SharedArrayBuffer
  /** Send as an idempotent producer (a producer id, sequence numbers the leader checks). */
  readonly idempotent: boolean
}

function parseRun(value: unknown): E2ERun {
  const fields = fieldsOf(value, 'e2e run')
  if (fields.type !== 'run' || !(fields.progress instanceof SharedArrayBuffer)) {
    throw new TypeError('expected a run message with a progress buffer')
  }
  return {
    type: 'run',
    supervisor: refField(fields, 'supervisor'),
    topic: stringField(fields, 'topic'),
    partitions: integerField(fields, 'partitions', 1),
    recordsPerPartition: integerField(fields, 'recordsPerPartition', 1),
    recordSize: integerField(fields, 'recordSize', 17),
    batchRecords: integerField(fields, 'batchRecords', 1),
    acks: integerField(fields, 'acks', -1),
    maxLagRecords: integerField(fields, 'maxLagRecords', 1),
    progress: fields.progress,
    idempotent: fields.idempotent === true,
  }
}

export interface E2EOutcome {
  readonly records: number
  readonly error?: string
}

async function produce(run: E2ERun, client: ProducerClient): Promise<E2EOutcome> {
  const progress = new Int32Array(run.progress)
  const acks = run.acks === 0 ? 0 : run.acks === 1 ? 1 : -1
  const full = new BatchTemplate(run.batchRecords, run.recordSize)
  const remainder = run.recordsPerPartition % run.batchRecords
  const last = remainder === 0 ? full : new BatchTemplate(remainder, run.recordSize)
  const window = 4
  const producer = run.idempotent
    ? await run.supervisor.ask<ProducerIdentity>(
        { type: 'init-producer-id' },
        { parseReply: parseProducerIdentity },
      )
    : undefined
  const partitionWork = Array.from({ length: run.partitions }, async (_, partition) => {
    const pending: Promise<unknown>[] = []
    for (let sent = 0; sent < run.recordsPerPartition; ) {
      const consumed = Atomics.load(progress, partition)
      if (sent - consumed > run.maxLagRecords) {
        await Atomics.waitAsync(progress, partition, consumed, 50).value
        continue
      }
      const template = run.recordsPerPartition - sent >= run.batchRecords ? full : last
      const acknowledged = sent + template.count
      pending.push(
        client
          .produceEncoded(run.topic, partition, acks, template.make(sent, producer))
          .then(() => Atomics.store(progress, run.partitions + partition, acknowledged)),
      )
      sent = acknowledged
      if (pending.length >= window) await pending.shift()
    }
    await Promise.all(pending)
  })
  await Promise.all(partitionWork)
  return { records: run.partitions * run.recordsPerPartition }
}

export const e2eProducer = defineActor<E2ERun, null>({
  parseMessage: parseRun,
  init: () => null,
  receive(state, run, context) {
    const replier = context.deferReply()
    const client = new ProducerClient(run.supervisor, context.clock, { maxInFlightRequests: 8 })
    produce(run, client).then(replier.resolve, (error: unknown) =>
      replier.resolve({ records: 0, error: String(error) }),
    )
    return state
  },
})

async function consume(run: E2ERun): Promise<E2EOutcome> {
  const progress = new Int32Array(run.progress)
  const metadata = await run.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [run.topic],
  })
  const partitions = arrayField(fieldsOf(metadata.topics[0], 'topic metadata'), 'partitions')
  const logs = partitions.map((entry) => PartitionLogReader.open(fieldsOf(entry, 'partition').log))
  const positions = logs.map(() => 0)
  let consumed = 0
  const total = run.partitions * run.recordsPerPartition
  let problem: string | undefined
  while (consumed < total && problem === undefined) {
    let progressed = false
    for (let partition = 0; partition < logs.length; partition++) {
      const log = logs[partition] as PartitionLogReader
      const position = positions[partition] as number
      if (position >= run.recordsPerPartition || log.highWatermark <= position) continue
      const read = log.read(position, 1 << 20, { zeroCopy: true })
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
      if (!log.isIntact(read)) {
        problem ??= `partition ${partition}: the ring overran the reader at offset ${position}`
      }
      consumed += expected - position
      positions[partition] = expected
      Atomics.store(progress, partition, expected)
      Atomics.notify(progress, partition)
      progressed = true
    }
    // Let heartbeats and replies through between passes: a thread that never yields looks dead.
    if (progressed) await new Promise((resolve) => setImmediate(resolve))
    else if (consumed < total) {
      const waiting = positions.findIndex((position) => position < run.recordsPerPartition)
      await logs[waiting]?.waitForData(positions[waiting] as number, 100)
    }
  }
  return problem === undefined ? { records: consumed } : { records: consumed, error: problem }
}

export const e2eConsumer = defineActor<E2ERun, null>({
  parseMessage: parseRun,
  init: () => null,
  receive(state, run, context) {
    const replier = context.deferReply()
    consume(run).then(replier.resolve, (error: unknown) =>
      replier.resolve({ records: 0, error: String(error) }),
    )
    return state
  },
})
