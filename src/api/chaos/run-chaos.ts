import type { Clock } from '../../runtime/clock/clock.js'
import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'
import { readTopic, waitForZeroLag } from '../../testing/index.js'
import { Cluster } from '../cluster.js'
import type { Consumer, InstrumentationEvent } from '../consumer.js'
import { CLUSTER_EVENTS } from '../faults.js'
import { type AnomalyKind, type CheckReport, checkHistory } from './checker.js'
import type { FinalPartition, HistoryEvent, SendEvent, TopicPartition } from './history.js'
import { describeStep, type FaultStep, type NemesisKind, nemesisSchedule } from './nemesis.js'

export interface ChaosOptions {
  readonly seconds: number
  readonly brokers: number
  readonly partitions: number
  readonly replication: number
  readonly minInsync: number
  readonly acks: -1 | 1
  readonly idempotent: boolean
  readonly unclean: boolean
  readonly producers: number
  readonly consumers: number
  readonly nemesis: readonly NemesisKind[]
}

export interface ChaosSeedReport {
  readonly seed: number
  readonly schedule: readonly FaultStep[]
  readonly check: CheckReport
  readonly sends: number
  readonly allowed: readonly AnomalyKind[]
}

const TOPIC = 'chaos'
const GROUP = 'chaos-readers'
/** Short, so that a pause or an isolation past it is a broker death the controller sees. */
const BROKER_SESSION_MS = 1_000
const CATCH_UP_MS = 30_000

/** What the run's settings let Kafka do, which the checker counts but does not fail. */
export function allowedAnomalies(options: ChaosOptions): AnomalyKind[] {
  const allowed: AnomalyKind[] = []
  if (options.acks !== -1 || options.unclean || options.minInsync < 2) {
    // An acknowledged write on a leader that dies before a follower has it is gone; what a
    // consumer read of it may be overwritten at the same offset by the new leader.
    allowed.push('lost', 'inconsistentOffset')
  }
  if (!options.idempotent) allowed.push('duplicate')
  return allowed
}

/**
 * One seed of a chaos experiment: a cluster, producers sending numbered records and a consumer
 * group reading them with commits, all through the public clients and recorded, while the
 * nemesis applies the seed's schedule; then everything healed, read back and checked.
 */
export async function runChaosSeed(seed: number, options: ChaosOptions): Promise<ChaosSeedReport> {
  if (options.idempotent && options.acks !== -1) {
    throw new InvalidArgumentError(
      'an idempotent producer sends with acks all (-1), as Kafka requires',
    )
  }
  const schedule = nemesisSchedule(seed, { ...options, kinds: options.nemesis })
  const cluster = await Cluster.start({
    brokers: options.brokers,
    seed,
    minInsyncReplicas: options.minInsync,
    uncleanLeaderElection: options.unclean,
    heartbeatIntervalMs: BROKER_SESSION_MS / 5,
    sessionTimeoutMs: BROKER_SESSION_MS,
  })
  // The cluster's clock, so that the schedule and the history follow whatever time it runs on.
  const { clock } = cluster.system
  const started = clock.now()
  const now = () => clock.now() - started
  const events: HistoryEvent[] = []
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        {
          topic: TOPIC,
          numPartitions: options.partitions,
          replicationFactor: options.replication,
        },
      ],
    })
    const down = new Set<number>()
    cluster.on(CLUSTER_EVENTS.BROKER_DOWN, (event) => {
      if (event.brokerId !== undefined) down.add(event.brokerId)
      events.push({ type: 'fault', time: now(), description: `broker ${event.brokerId} down` })
    })
    cluster.on(CLUSTER_EVENTS.LEADER_ELECTED, (event) => {
      events.push({ type: 'election', time: now(), description: JSON.stringify(event.detail) })
    })
    const consumers = await Promise.all(
      Array.from({ length: options.consumers }, () => startReader(cluster, events, now)),
    )
    let running = true
    const producing = Array.from({ length: options.producers }, (_, index) =>
      produce(cluster, `p${index}`, options, events, now, () => running),
    )
    for (const step of schedule) {
      await sleepUntil(clock, started, step.atMs)
      events.push({ type: 'fault', time: now(), description: describeStep(step) })
      await apply(cluster, step).catch((error: unknown) => {
        events.push({ type: 'fault', time: now(), description: `${step.kind} failed: ${error}` })
      })
      await sleepUntil(clock, started, step.healAtMs)
      await heal(cluster, step, down)
      events.push({ type: 'fault', time: now(), description: `healed: ${describeStep(step)}` })
    }
    await sleepUntil(clock, started, options.seconds * 1000)
    running = false
    const sends = (await Promise.all(producing)).reduce((sum, count) => sum + count, 0)
    await restoreAll(cluster, down)
    await waitForZeroLag(admin, GROUP, TOPIC, { timeoutMs: CATCH_UP_MS }).catch(() => {})
    await Promise.all(consumers.map((consumer) => consumer.disconnect()))
    const final = finalPartitions(await readTopic(cluster, TOPIC), options.partitions)
    await admin.disconnect()
    const allowed = allowedAnomalies(options)
    return { seed, schedule, sends, allowed, check: checkHistory({ events, final }, { allowed }) }
  } finally {
    await cluster.stop()
  }
}

function sleepUntil(clock: Clock, started: number, atMs: number): Promise<void> {
  const waitMs = started + atMs - clock.now()
  return waitMs <= 0 ? Promise.resolve() : new Promise((resolve) => clock.schedule(waitMs, resolve))
}

async function apply(cluster: Cluster, step: FaultStep): Promise<void> {
  const { faults } = cluster
  switch (step.kind) {
    case 'kill':
      return faults.killBroker(step.broker, { storage: 'keep' })
    case 'lose':
      return faults.killBroker(step.broker, { storage: 'lose' })
    case 'restart':
      await faults.killBroker(step.broker, { storage: 'keep' })
      return faults.restartBroker(step.broker)
    case 'pause':
      return faults.pauseBroker(step.broker)
    case 'isolate':
      return faults.isolateBroker(step.broker)
    case 'cutlink':
      return faults.cutLink(step.broker, step.other as number)
    case 'slow':
      return faults.slowBroker(step.broker, step.amount as number)
    case 'drop':
      return faults.setLinkFault({ from: '*', to: step.broker, drop: step.amount })
    case 'duplicate':
      return faults.setLinkFault({ from: '*', to: step.broker, duplicate: step.amount })
  }
}

/** Undoes a fault, and brings back any broker the controller lost meanwhile. */
async function heal(cluster: Cluster, step: FaultStep, down: Set<number>): Promise<void> {
  if (step.kind === 'pause') cluster.faults.resumeBroker(step.broker)
  await cluster.faults.heal()
  await restoreAll(cluster, down)
}

async function restoreAll(cluster: Cluster, down: Set<number>): Promise<void> {
  for (const broker of [...down]) {
    await cluster.faults.restartBroker(broker).then(
      () => down.delete(broker),
      () => {},
    )
  }
}

/** Sends numbered records one at a time until told to stop; returns how many it sent. */
async function produce(
  cluster: Cluster,
  name: string,
  options: ChaosOptions,
  events: HistoryEvent[],
  now: () => number,
  running: () => boolean,
): Promise<number> {
  const producer = cluster.producer({
    idempotent: options.idempotent,
    requestTimeout: 2_000,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
  })
  await producer.connect()
  let count = 0
  while (running()) {
    const value = `${name}-${count++}`
    const partition = count % options.partitions
    const invokedAt = now()
    const outcome: Pick<SendEvent, 'outcome' | 'offset'> = await producer
      .send({ topic: TOPIC, acks: options.acks, messages: [{ value, partition }] })
      .then(
        ([written]) => ({ outcome: 'acknowledged' as const, offset: Number(written?.baseOffset) }),
        () => ({ outcome: 'unknown' as const }),
      )
    events.push({
      type: 'send',
      topic: TOPIC,
      partition,
      producer: name,
      value,
      invokedAt,
      completedAt: now(),
      ...outcome,
    })
    // A send refused at once settles in a microtask: without a turn of the event loop now and
    // then, the nemesis's timers would never run.
    if (outcome.outcome !== 'acknowledged') {
      await new Promise<void>((resolve) => cluster.system.clock.schedule(10, resolve))
    } else if (count % 64 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  await producer.disconnect()
  return count
}

/** A group member that records each delivery, its assignments and the group's commits. */
async function startReader(
  cluster: Cluster,
  events: HistoryEvent[],
  now: () => number,
): Promise<Consumer> {
  const consumer = cluster.consumer({
    groupId: GROUP,
    sessionTimeout: 6_000,
    heartbeatInterval: 500,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  const member = consumer.linkName
  let generation = -1
  consumer.on(consumer.events.GROUP_JOIN, (event: InstrumentationEvent) => {
    const payload = event.payload as {
      groupGenerationId: number
      memberAssignment: Record<string, number[]>
    }
    generation = payload.groupGenerationId
    events.push({
      type: 'assignment',
      time: now(),
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
        events.push({
          type: 'commit',
          time: now(),
          topic,
          partition: Number(partition),
          group: GROUP,
          member,
          generation: payload.groupGenerationId,
          offset: Number(offset),
        })
      }
    }
  })
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      events.push({
        type: 'delivery',
        time: now(),
        topic,
        partition,
        member,
        generation,
        offset: Number(message.offset),
        value: message.value?.toString() ?? '',
      })
    },
  })
  return consumer
}

function finalPartitions(
  records: readonly { partition: number; offset: string; value: Buffer | null }[],
  partitions: number,
): FinalPartition[] {
  return Array.from({ length: partitions }, (_, partition) => ({
    topic: TOPIC,
    partition,
    logStartOffset: 0,
    records: records
      .filter((record) => record.partition === partition)
      .map((record) => ({ offset: Number(record.offset), value: record.value?.toString() ?? '' })),
  }))
}
