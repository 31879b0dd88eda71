import { MessageChannel, type Worker } from 'node:worker_threads'
import { type Endpoint, type Remote, releaseProxy, wrap } from 'comlink'
import type { Clock } from '../../runtime/clock/clock.js'
import { guestPorts } from '../../runtime/thread/guest-links.js'
import { bundledEntry, siblingEntry, spawnThread } from '../../runtime/thread/spawn-thread.js'
import type { Cluster } from '../cluster.js'
import { parseClientEvents } from './client-events.js'
import { withDeadline } from './control-deadline.js'
import type { ClientEvent } from './history.js'
import { clientNames, type WorkloadControl, type WorkloadSetup } from './workload-protocol.js'

/** What the clients do; the rest of each thread's setup the driver fills in. */
export interface WorkloadPlan {
  readonly producers: number
  readonly consumers: number
  readonly topic: string
  readonly group: string
  readonly partitions: number
  readonly acks: -1 | 1
  readonly idempotent: boolean
  /** The run's start on the cluster's clock. */
  readonly startedAt: number
}

/**
 * Deadlines of the control calls (ms). Start and stop wait on the cluster (a join, a leave);
 * a snapshot is only a copy, so its deadline is the caller's: short while the run goes on
 * (a stalled thread shows as a miss), long for the last one, which the verdict needs.
 */
const DEADLINES = { start: 20_000, pause: 1_000, stop: 20_000 } as const

interface ClientThread {
  readonly name: string
  readonly role: WorkloadSetup['role']
  readonly worker: Worker
  readonly remote: Remote<WorkloadControl>
  readonly guestNode: number
  /** How many of its events the driver has. */
  collected: number
  /** Why the thread ended, when it ended on its own. */
  exited: string | undefined
}

/**
 * The driver's side of the client threads: starts them, and calls them (start, pause,
 * snapshot, stop) through comlink, each call under a deadline; `close` ends every thread
 * whatever state it is in.
 */
export class WorkloadThreads {
  readonly #threads: ClientThread[]
  #closed = false

  private constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
    threads: ClientThread[],
  ) {
    this.#threads = threads
  }

  /** One thread per group member (`c0`, …) and per producer (`p0`, …), not yet started. */
  static open(cluster: Cluster, plan: WorkloadPlan): WorkloadThreads {
    const threads = clientNames(plan).map((name) =>
      spawnClient(cluster, plan, name.startsWith('c') ? 'consumer' : 'producer', name),
    )
    return new WorkloadThreads(cluster, cluster.system.clock, threads)
  }

  /** Group members first, so that the producers' first records find readers. */
  async start(): Promise<void> {
    for (const role of ['consumer', 'producer'] as const) {
      await Promise.all(
        this.#of(role).map((thread) =>
          this.#call(thread, 'start', thread.remote.start(), DEADLINES.start),
        ),
      )
    }
  }

  pause(name: string, forMs: number): Promise<void> {
    const thread = this.#threads.find((each) => each.name === name)
    if (thread === undefined) return Promise.reject(new Error(`no client thread named ${name}`))
    return this.#call(thread, 'pause', thread.remote.pause(forMs), DEADLINES.pause)
  }

  /**
   * Every thread's events since the last collection. A thread that misses its deadline (a
   * stalled one) is left for the next collection: its failure comes back beside the events.
   */
  async collect(deadlineMs: number): Promise<{ events: ClientEvent[]; missed: Error[] }> {
    const events: ClientEvent[] = []
    const missed: Error[] = []
    await Promise.all(
      this.#threads.map(async (thread) => {
        try {
          const answer: unknown = await this.#call(
            thread,
            'snapshot',
            thread.remote.snapshot(thread.collected),
            deadlineMs,
          )
          const fresh = parseClientEvents(answer)
          thread.collected += fresh.length
          events.push(...fresh)
        } catch (error) {
          missed.push(error instanceof Error ? error : new Error(String(error)))
        }
      }),
    )
    return { events, missed }
  }

  /** Stops the producers; resolves with how many sends they made in all. */
  async stopProducers(): Promise<number> {
    const counts = await Promise.all(
      this.#of('producer').map((thread) =>
        this.#call(thread, 'stop', thread.remote.stop(), DEADLINES.stop),
      ),
    )
    return counts.reduce((sum: number, count: unknown) => {
      if (!Number.isSafeInteger(count)) throw new TypeError('a producer thread sent a bad count')
      return sum + (count as number)
    }, 0)
  }

  async stopConsumers(): Promise<void> {
    await Promise.all(
      this.#of('consumer').map((thread) =>
        this.#call(thread, 'stop', thread.remote.stop(), DEADLINES.stop),
      ),
    )
  }

  /** Ends every thread, answered or not, and forgets their places in the network. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all(
      this.#threads.map(async (thread) => {
        thread.remote[releaseProxy]()
        await thread.worker.terminate()
        this.cluster.system.disconnectGuest(thread.guestNode)
      }),
    )
  }

  #of(role: WorkloadSetup['role']): ClientThread[] {
    return this.#threads.filter((thread) => thread.role === role)
  }

  #call<T>(
    thread: ClientThread,
    call: keyof WorkloadControl,
    work: Promise<T>,
    deadlineMs: number,
  ): Promise<T> {
    const name = `${call} of ${thread.name}`
    if (thread.exited !== undefined) {
      work.catch(() => {})
      return Promise.reject(new Error(`${name}: the thread ended (${thread.exited})`))
    }
    return withDeadline(this.clock, deadlineMs, name, work)
  }
}

function spawnClient(
  cluster: Cluster,
  plan: WorkloadPlan,
  role: WorkloadSetup['role'],
  name: string,
): ClientThread {
  const links = cluster.system.connectGuest()
  const { port1, port2 } = new MessageChannel()
  const setup: WorkloadSetup = {
    role,
    name,
    links,
    supervisor: { node: cluster.supervisor.node, name: cluster.supervisor.name },
    control: port2,
    startedAt: plan.startedAt,
    topic: plan.topic,
    group: plan.group,
    partitions: plan.partitions,
    acks: plan.acks,
    idempotent: plan.idempotent,
  }
  const worker = spawnThread(bundledEntry(siblingEntry(import.meta.url, 'workload-thread')), {
    workerData: setup,
    transferList: [...guestPorts(links), port2],
  })
  const thread: ClientThread = {
    name,
    role,
    worker,
    remote: wrap<WorkloadControl>(port1 as unknown as Endpoint),
    guestNode: links.node,
    collected: 0,
    exited: undefined,
  }
  // A thread that dies is noted here; the calls made to it then miss their deadlines.
  worker.on('error', (error) => {
    thread.exited = `uncaught error: ${error.message}`
  })
  worker.on('exit', (code) => {
    thread.exited ??= `exited with code ${code}`
  })
  return thread
}
