import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type { HeartbeatResponse } from '../../../runtime/kafka-protocol/generated/heartbeat.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** Heartbeat: answered at once (REBALANCE_IN_PROGRESS while the group rebalances). */
export const heartbeat: RequestHandler<typeof ApiKeys.Heartbeat> = {
  apiKey: ApiKeys.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, _version, { listener }): Promise<HeartbeatResponse> {
    try {
      await askCoordinator(
        listener,
        {
          type: 'heartbeat',
          groupId: request.groupId,
          memberId: request.memberId,
          generationId: request.generationId,
          waitMs: 0,
        },
        parseTrue,
      )
      return { throttleTimeMs: 0, errorCode: NONE }
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(error, 'NOT_COORDINATOR') }
    }
  },
}
