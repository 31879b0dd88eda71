import type { GroupRequest } from '../../actors/coordinator/coordinator-protocol.js'
import { ActorTerminatedError } from '../../runtime/errors/actor-errors.js'
import type { ListenerContext } from './serve-context.js'

/** Deadline of a group request that the coordinator answers at once. */
export const GROUP_REQUEST_TIMEOUT_MS = 10_000
/** Room beyond a join's own rebalance timeout for the coordinator's answer to come back. */
export const JOIN_ANSWER_MARGIN_MS = 5_000

/**
 * Asks the group coordinator beside this listener's broker, as a Kafka broker hands a group
 * request to its own coordinator: one that does not keep the group answers NOT_COORDINATOR,
 * and the client looks for the right one again.
 */
export async function askCoordinator<T>(
  listener: ListenerContext,
  request: GroupRequest,
  parseReply: (value: unknown) => T,
  timeoutMs = GROUP_REQUEST_TIMEOUT_MS,
): Promise<T> {
  const coordinator = await listener.coordinator()
  try {
    return await coordinator.ask(request, { parseReply, timeoutMs })
  } catch (error) {
    if (error instanceof ActorTerminatedError) listener.forgetCoordinator()
    throw error
  }
}
