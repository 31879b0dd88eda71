import type { Clock } from '../../runtime/clock/clock.js'
import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'
import { readTopic, waitForZeroLag } from '../../testing/index.js'
import { Cluster } from '../cluster.js'
import { CLUSTER_EVENTS } from '../faults.js'
import { type AnomalyKind, type CheckReport, checkHistory } from './checker.js'
import type { FinalPartition, History, HistoryEvent } from './history.js'
import { describeStep, type FaultStep, type NemesisKind, nemesisSchedule } from './nemesis.js'
import { type RunWatch, watchRun } from './run-watch.js'
import { clientNames } from './workload-protocol.js'
import { WorkloadThreads } from './workload-threads.js'

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
  /** When the schedule's time 0 fell on the history's time (once the clients had started). */
  readonly scheduleStartMs: number
  readonly check: CheckReport
  readonly sends: number
  readonly allowed: readonly AnomalyKind[]
  /**
   * Calls to client threads that failed where the verdict depends on them (start, stop, the
   * last snapshot): a client that missed one leaves its history short.
   */
  readonly failures: readonly string[]
  /** The checker found nothing beyond what the options allow, and no call failed. */
  readonly verified: boolean
  readonly history: History
}

const TOPIC = 'chaos'
const GROUP = 'chaos-readers'
/** Short, so that a pause or an isolation past it is a broker death the controller sees. */
const BROKER_SESSION_MS = 1_000
const CATCH_UP_MS = 30_000
/** The last snapshot of each client thread, which the verdict needs: no stall is left by then. */
const LAST_SNAPSHOT_MS = 10_000

/** What the run's settings let Kafka do, which the checker counts but does not fail. */
export function allowedAnomalies(options: ChaosOptions): AnomalyKind[] {
  const allowed: AnomalyKind[] = []
  if (options.acks !== -1 || options.unclean || options.minInsync < 2) {
    // An acknowledged write on a leader that dies before a follower has it is gone, and the
    // new leader hands its offset out again: what a consumer read there may be overwritten,
    // and a producer's or member's next offset in that partition may come out lower.
    allowed.push('lost', 'inconsistentOffset', 'nonmonotonicSend', 'nonmonotonicPoll')
  }
  if (!options.idempotent) allowed.push('duplicate')
  return allowed
}

/** The seed's fault plan: the same seed and options give the same plan. */
export function chaosSchedule(seed: number, options: ChaosOptions): FaultStep[] {
  return nemesisSchedule(seed, {
    seconds: options.seconds,
    brokers: options.brokers,
    kinds: options.nemesis,
    clients: clientNames(options),
  })
}

/**
 * One seed of a chaos experiment: a cluster; producers sending numbered records and a consumer
 * group reading them with commits, each client on a thread of its own and through the public
 * clients, recorded; the nemesis applying the seed's schedule; then everything healed, read
 * back and checked. Every thread is ended before it returns or throws.
 */
export async function runChaosSeed(seed: number, options: ChaosOptions): Promise<ChaosSeedReport> {
  if (options.idempotent && options.acks !== -1) {
    throw new InvalidArgumentError(
      'an idempotent producer sends with acks all (-1), as Kafka requires',
    )
  }
  const schedule = chaosSchedule(seed, options)
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
  const events: HistoryEvent[] = []
  const failures: string[] = []
  const failed = (error: unknown) => {
    failures.push(error instanceof Error ? error.message : String(error))
  }
  let threads: WorkloadThreads | undefined
  let watch: RunWatch | undefined
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
    const started = clock.now()
    const now = () => clock.now() - started
    const down = new Set<number>()
    cluster.on(CLUSTER_EVENTS.BROKER_DOWN, (event) => {
      if (event.brokerId !== undefined) down.add(event.brokerId)
      events.push({ type: 'fault', time: now(), description: `broker ${event.brokerId} down` })
    })
    cluster.on(CLUSTER_EVENTS.LEADER_ELECTED, (event) => {
      events.push({ type: 'election', time: now(), description: JSON.stringify(event.detail) })
    })
    threads = WorkloadThreads.open(cluster, {
      ...options,
      topic: TOPIC,
      group: GROUP,
      startedAt: started,
    })
    await threads.start().catch(failed)
    watch = watchRun({ clock, admin, threads, topic: TOPIC, events, now })
    // The schedule counts from here, once the group has formed (its first join waits a few
    // seconds, as Kafka's group.initial.rebalance.delay.ms): history times from `started`.
    const working = clock.now()
    for (const step of schedule) {
      await sleepUntil(clock, working, step.atMs)
      events.push({ type: 'fault', time: now(), description: describeStep(step) })
      await apply(cluster, threads, step).catch((error: unknown) => {
        events.push({ type: 'fault', time: now(), description: `${step.kind} failed: ${error}` })
      })
      await sleepUntil(clock, working, step.healAtMs)
      await heal(cluster, step, down)
      events.push({ type: 'fault', time: now(), description: `healed: ${describeStep(step)}` })
    }
    await sleepUntil(clock, working, options.seconds * 1000)
    const sends = await threads.stopProducers().catch((error: unknown) => {
      failed(error)
      return 0
    })
    await restoreAll(cluster, down)
    await waitForZeroLag(admin, GROUP, TOPIC, { timeoutMs: CATCH_UP_MS }).catch(() => {})
    await threads.stopConsumers().catch(failed)
    await watch.stop()
    const last = await threads.collect(LAST_SNAPSHOT_MS)
    events.push(...last.events)
    for (const error of last.missed) failed(error)
    const final = finalPartitions(await readTopic(cluster, TOPIC), options.partitions)
    await admin.disconnect()
    const allowed = allowedAnomalies(options)
    const history: History = { events: events.sort((a, b) => timeOf(a) - timeOf(b)), final }
    const check = checkHistory(history, { allowed })
    const verified = check.verified && failures.length === 0
    const scheduleStartMs = working - started
    return { seed, schedule, scheduleStartMs, sends, allowed, check, failures, verified, history }
  } finally {
    await watch?.stop()
    await threads?.close()
    await cluster.stop()
  }
}

function timeOf(event: HistoryEvent): number {
  return event.type === 'send' ? event.invokedAt : event.time
}

function sleepUntil(clock: Clock, started: number, atMs: number): Promise<void> {
  const waitMs = started + atMs - clock.now()
  return waitMs <= 0 ? Promise.resolve() : new Promise((resolve) => clock.schedule(waitMs, resolve))
}

async function apply(cluster: Cluster, threads: WorkloadThreads, step: FaultStep): Promise<void> {
  if (step.kind === 'stall') return threads.pause(step.client, step.healAtMs - step.atMs)
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

/** Undoes a fault, and brings back any broker the controller lost meanwhile (a stall ends itself). */
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
