import type { ActorSystem } from '../runtime/actor/actor-system.js'
import { type Clock, SystemClock } from '../runtime/clock/clock.js'
import { TimeController } from '../runtime/clock/time-controller.js'
import { createVirtualTime, VirtualClock } from '../runtime/clock/virtual-clock.js'
import { describeValue } from '../runtime/errors/describe-value.js'
import { KafkaJSNonRetriableError } from './errors.js'

/** `cluster.clock`: the cluster's time, and (under `clock: 'virtual'`) the hand that moves it. */
export interface ClusterClock {
  /** Whether the time moves only by `advance` (`Cluster.start({ clock: 'virtual' })`). */
  readonly virtual: boolean
  /** The cluster's time, in ms since the epoch. */
  now(): number
  /**
   * Moves virtual time forward by `ms`: every timer of every thread and client that falls due
   * on the way runs, in time order (those they set too), and it resolves once the cluster is
   * quiet at the new time. Only under `Cluster.start({ clock: 'virtual' })`.
   */
  advance(ms: number): Promise<void>
}

/** The clock a cluster's main thread runs on, from the `clock` option. */
export function mainThreadClock(option: unknown): Clock | undefined {
  if (option === undefined) return undefined
  // Virtual time starts where the system's time is now, so timestamps still read as dates.
  if (option === 'virtual') return new VirtualClock(createVirtualTime(new SystemClock().now()))
  const methods = ['now', 'schedule', 'cancel', 'cancelAll'] as const
  if (
    typeof option !== 'object' ||
    option === null ||
    methods.some((method) => typeof (option as Partial<Clock>)[method] !== 'function')
  ) {
    throw new KafkaJSNonRetriableError(
      `clock must be 'virtual' or a Clock (now, schedule, cancel, cancelAll), got ${describeValue(option)}`,
    )
  }
  return option as Clock
}

export function clusterClock(system: ActorSystem, mainClock: Clock | undefined): ClusterClock {
  if (mainClock instanceof VirtualClock) {
    const controller = new TimeController(mainClock, system)
    return {
      virtual: true,
      now: () => controller.now(),
      advance: async (ms) => {
        try {
          await controller.advance(ms)
        } catch (error) {
          throw new KafkaJSNonRetriableError(error instanceof Error ? error.message : String(error))
        }
      },
    }
  }
  return {
    virtual: false,
    now: () => system.clock.now(),
    advance: () =>
      Promise.reject(
        new KafkaJSNonRetriableError(
          "clock.advance needs a cluster on virtual time: Cluster.start({ clock: 'virtual' })",
        ),
      ),
  }
}
