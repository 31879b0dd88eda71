import type { ClusterConnection } from '../cluster.js'
import { Consumer, type InstrumentationEvent } from '../consumer.js'
import { Producer } from '../producer.js'
import type { ClientEvent, SendEvent, TopicPartition } from './history.js'
import type { WorkloadSetup } from './workload-protocol.js'

/** One client of the workload, run on its client thread. */
export interface Workload {
  start(): Promise<void>
  /** Resolves with the number of sends made (0 for a consumer). */
  stop(): Promise<number>
}

/** Where a workload writes its history: `now` is the run's time (ms since it started). */
export interface Recorder {
  record(event: ClientEvent): void
  now(): number
}

/**
 * A producer that sends numbered records one at a time, round the partitions, through the
 * public producer, recording each send's invocation and outcome.
 */
export function producerWorkload(
  connection: ClusterConnection,
  setup: WorkloadSetup,
  recorder: Recorder,
): Workload {
  const producer = new Producer(connection, connection.linkName ?? setup.name, {
    idempotent: setup.idempotent,
    requestTimeout: 2_000,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
  })
  const { clock } = connection
  let running = false
  let count = 0
  let loop: Promise<void> = Promise.resolve()
  const sendOne = async () => {
    const value = `${setup.name}-${count++}`
    const partition = count % setup.partitions
    const invokedAt = recorder.now()
    const outcome: Pick<SendEvent, 'outcome' | 'offset'> = await producer
      .send({ topic: setup.topic, acks: setup.acks, messages: [{ value, partition }] })
      .then(
        ([written]) => ({ outcome: 'acknowledged' as const, offset: Number(written?.baseOffset) }),
        () => ({ outcome: 'unknown' as const }),
      )
    recorder.record({
      type: 'send',
      topic: setup.topic,
      partition,
      producer: setup.name,
      value,
      invokedAt,
      completedAt: recorder.now(),
      ...outcome,
    })
    // A send refused at once settles in a microtask: without a turn of the event loop now and
    // then, this thread's control calls would never be answered.
    if (outcome.outcome !== 'acknowledged') {
      await new Promise<void>((resolve) => clock.schedule(10, resolve))
    } else if (count % 64 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  return {
    async start() {
      await producer.connect()
      running = true
      loop = (async () => {
        while (running) await sendOne()
      })()
    },
    async stop() {
      running = false
      await loop
      await producer.disconnect()
      return count
    },
  }
}

/** A member of the workload's group that records each delivery, its assignments and commits. */
export function consumerWorkload(
  connection: ClusterConnection,
  setup: WorkloadSetup,
  recorder: Recorder,
): Workload {
  const consumer = new Consumer(connection, {
    groupId: setup.group,
    sessionTimeout: 6_000,
    heartbeatInterval: 500,
  })
  const member = setup.name
  let generation = -1
  consumer.on(consumer.events.GROUP_JOIN, (event: InstrumentationEvent) => {
    const payload = event.payload as {
      groupGenerationId: number
      memberAssignment: Record<string, number[]>
    }
    generation = payload.groupGenerationId
    recorder.record({
      type: 'assignment',
      time: recorder.now(),
      member,
      generation,
      partitions: Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition): TopicPartition => ({ topic, partition })),
      ),
    })
  })
  consumer.on(consumer.events.COMMIT_OFFSETS, (event: InstrumentationEvent) => {
    const payload = event.payload as {
      groupGenerationId: number
      topics: { topic: string; partitions: { partition: string; offset: string }[] }[]
    }
    for (const { topic, partitions } of payload.topics) {
      for (const { partition, offset } of partitions) {
        recorder.record({
          type: 'commit',
          time: recorder.now(),
          topic,
          partition: Number(partition),
          group: setup.group,
          member,
          generation: payload.groupGenerationId,
          offset: Number(offset),
        })
      }
    }
  })
  return {
    async start() {
      await consumer.connect()
      await consumer.subscribe({ topics: [setup.topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          recorder.record({
            type: 'delivery',
            time: recorder.now(),
            topic,
            partition,
            member,
            generation,
            offset: Number(message.offset),
            value: message.value?.toString() ?? '',
          })
        },
      })
    },
    async stop() {
      await consumer.disconnect()
      return 0
    },
  }
}
