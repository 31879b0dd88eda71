import type { Clock } from '../../runtime/clock/clock.js'
import type { Admin } from '../admin.js'
import type { HistoryEvent } from './history.js'
import type { WorkloadThreads } from './workload-threads.js'

/** How often the watch reads the partitions' leaders and ISRs. */
const WATCH_MS = 250
/** Client threads hand over their events every this many watches (once a second). */
const COLLECT_EVERY = 4
/** A healthy thread answers a snapshot in a few ms: missing this means it is stalled. */
const SNAPSHOT_DEADLINE_MS = 500

export interface RunWatch {
  /** Resolves once the watch in progress, if any, is over: nothing is added after. */
  stop(): Promise<void>
}

/**
 * What the driver watches while a seed runs: each change of a partition's leader or ISR, and
 * the client threads' events, collected as they come so that a thread that stalls is seen
 * missing its deadline (a `client` event) at the time it stalls.
 */
export function watchRun(watched: {
  readonly clock: Clock
  readonly admin: Admin
  readonly threads: WorkloadThreads
  readonly topic: string
  readonly events: HistoryEvent[]
  readonly now: () => number
}): RunWatch {
  const { clock, admin, threads, topic, events, now } = watched
  const last = new Map<number, string>()
  let running = true
  let ticks = 0
  let current: Promise<void> = Promise.resolve()
  const readIsr = async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined)
    for (const partition of metadata?.topics[0]?.partitions ?? []) {
      const state = `${partition.leader}:${partition.isr.join(',')}`
      if (last.get(partition.partitionId) === state) continue
      last.set(partition.partitionId, state)
      events.push({
        type: 'isr',
        time: now(),
        topic,
        partition: partition.partitionId,
        leader: partition.leader,
        isr: partition.isr,
      })
    }
  }
  const collect = async () => {
    const { events: collected, missed } = await threads.collect(SNAPSHOT_DEADLINE_MS)
    events.push(...collected)
    for (const error of missed)
      events.push({ type: 'client', time: now(), description: error.message })
  }
  const tick = () => {
    if (!running) return
    ticks++
    current = Promise.all([readIsr(), ticks % COLLECT_EVERY === 0 ? collect() : undefined]).then(
      () => {
        if (running) clock.schedule(WATCH_MS, tick)
      },
    )
  }
  tick()
  return {
    async stop() {
      running = false
      await current
    },
  }
}
