import { workerData } from 'node:worker_threads'
import { type Endpoint, expose } from 'comlink'
import { MetadataCache } from '../../actors/client/metadata-cache.js'
import type { SupervisorRequest } from '../../actors/supervisor/supervisor-protocol.js'
import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'
import { joinAsGuest } from '../../runtime/thread/guest-links.js'
import type { ClusterConnection } from '../cluster.js'
import type { ClientEvent } from './history.js'
import { consumerWorkload, producerWorkload, type Recorder } from './workload-clients.js'
import { parseWorkloadSetup, type WorkloadControl } from './workload-protocol.js'

/*
 * The entry of a chaos run's client thread: joins the cluster's actor network as a guest,
 * runs one producer or one group member through the public client classes, and answers the
 * driver's control calls.
 */

const setup = parseWorkloadSetup(workerData)
const guest = joinAsGuest(setup.links)
const { system } = guest
const linkName = `$chaos-${setup.name}`
let stopped = false
const supervisor = system.refFor<SupervisorRequest>(setup.supervisor.node, setup.supervisor.name)
const connection: ClusterConnection = {
  supervisor,
  metadata: new MetadataCache(supervisor, system.clock, { from: linkName }),
  clock: system.clock,
  isStopped: () => stopped,
  linkName,
  requests: system.requests,
}
const events: ClientEvent[] = []
const recorder: Recorder = {
  record: (event) => events.push(event),
  now: () => system.clock.now() - setup.startedAt,
}
const workload =
  setup.role === 'producer'
    ? producerWorkload(connection, setup, recorder)
    : consumerWorkload(connection, setup, recorder)
/** Never notified: a stall is a wait on it that only its timeout ends. */
const stallWord = new Int32Array(new SharedArrayBuffer(4))
/** A stall that `pause` promised and that has not begun yet. */
let stallDueMs: number | undefined

function stallIfDue(): void {
  const forMs = stallDueMs
  if (forMs === undefined) return
  stallDueMs = undefined
  Atomics.wait(stallWord, 0, 0, forMs)
}

const control: WorkloadControl = {
  start() {
    stallIfDue()
    return workload.start()
  },
  pause(forMs: unknown) {
    if (typeof forMs !== 'number' || !(forMs >= 0 && forMs <= 60_000)) {
      throw new InvalidArgumentError(`pause takes 0 to 60000 ms, got ${String(forMs)}`)
    }
    // After this turn, so that the answer is on its way before the thread stops. A control
    // call that comes first (a port drains every waiting message in one turn) stalls first.
    stallDueMs = forMs
    setImmediate(stallIfDue)
  },
  snapshot(from: unknown) {
    stallIfDue()
    if (!Number.isSafeInteger(from) || (from as number) < 0) {
      throw new InvalidArgumentError(`snapshot takes an event index, got ${String(from)}`)
    }
    return events.slice(from as number)
  },
  async stop() {
    stallIfDue()
    const sends = await workload.stop()
    stopped = true
    await guest.leave()
    return sends
  },
}

expose(control, setup.control as unknown as Endpoint)
