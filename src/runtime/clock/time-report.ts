import type { ActorSystem } from '../actor/actor-system.js'
import type { ThreadTimeReport } from '../transport/control-frames.js'
import { aWaitIsEnding, progressNoted } from './local-activity.js'
import type { VirtualClock } from './virtual-clock.js'

/**
 * A thread's answer to a time probe: it runs the timers virtual time has made due, lets what
 * they started settle for a turn, then says how it stands.
 */
export function reportTime(system: ActorSystem, clock: VirtualClock): Promise<ThreadTimeReport> {
  const ran = clock.runDue()
  return new Promise((resolve) => {
    setImmediate(() =>
      resolve({
        node: system.node,
        earliestDue: clock.earliestDue,
        busy: ran > 0 || system.busy || aWaitIsEnding(),
        traffic: system.traffic.snapshot(),
        progress: progressNoted(),
      }),
    )
  })
}
