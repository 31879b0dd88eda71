import type { ChildTerminated } from '../actor/actor-definition.js'
import type { ActorRef } from '../actor/actor-ref.js'
import type { Clock } from '../clock/clock.js'
import type { ThreadTraffic } from '../clock/thread-traffic.js'
import type { RequestSetup } from '../requests/request-dispatch.js'
import type { RequestRecord } from '../requests/request-log.js'
import type { LinkFaultRule } from '../transport/link-faults.js'
import type { FramePort } from '../transport/peer-link.js'
import type { AgreedStructures } from '../transport/wire-codec.js'

/**
 * The actor system of the main thread, as the supervisor of its worker threads sees it: the
 * links to each thread, the settings every thread shares, and where news of threads goes.
 */
export interface ThreadHost {
  readonly clock: Clock
  readonly traffic: ThreadTraffic
  readonly structures: AgreedStructures
  /** The seed of the fault decisions, which every thread makes alike. */
  readonly seed: number
  /** Connects the link to the thread `node` (again, after it restarted). */
  attachNode(node: number, port: FramePort): void
  /** The thread `node` died or left: nothing waits on it any longer. */
  nodeDown(node: number, reason: string): void
  /** Delivers a data frame from the thread `origin`; false when `posted` is not one. */
  receiveFrame(origin: number, posted: unknown): boolean
  applyFaultRules(rules: readonly LinkFaultRule[]): void
  applyRequestSetup(setup: RequestSetup): void
  /** Answered requests a thread logged, for this thread's request log. */
  acceptRequests(records: readonly RequestRecord[]): void
  refFor<Msg>(node: number, name: string): ActorRef<Msg>
  threadTerminated(signal: ChildTerminated): void
  threadRestarted(child: ActorRef<never>): void
}
