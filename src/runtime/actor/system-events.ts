import type { ChildTerminated } from './actor-definition.js'
import type { ActorRef } from './actor-ref.js'

/** Events a system emits about its actors. */
export interface ActorSystemEvents {
  terminated: [ChildTerminated]
  restarted: [{ readonly child: ActorRef<never> }]
  /** A message that failed validation or encoding, or had no live target. */
  undelivered: [{ readonly to: string; readonly from: string; readonly reason: string }]
}

/** Where the parts of a system report what `ActorSystemEvents` tells its listeners. */
export type EmitSystemEvent = <Name extends keyof ActorSystemEvents>(
  name: Name,
  ...args: ActorSystemEvents[Name]
) => void
