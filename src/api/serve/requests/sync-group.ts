import { parseSyncResult } from '../../../actors/coordinator/coordinator-protocol.js'
import type { SyncGroupResponse } from '../../../runtime/kafka-protocol/generated/sync-group.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** A follower's sync waits for the leader's, which may take up to Kafka's longest rebalance. */
const SYNC_TIMEOUT_MS = 300_000

/** SyncGroup: the leader hands in every member's assignment; each member gets its own. */
export const syncGroup: RequestHandler<typeof ApiKeys.SyncGroup> = {
  apiKey: ApiKeys.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, _version, { listener }): Promise<SyncGroupResponse> {
    try {
      const synced = await askCoordinator(
        listener,
        {
          type: 'sync-group',
          groupId: request.groupId,
          memberId: request.memberId,
          generationId: request.generationId,
          assignments: request.assignments.map(({ memberId, assignment }) => ({
            memberId,
            assignment: assignment.slice(),
          })),
        },
        parseSyncResult,
        SYNC_TIMEOUT_MS,
      )
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        protocolType: request.protocolType,
        protocolName: request.protocolName,
        assignment: synced.assignment,
      }
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeOf(error, 'NOT_COORDINATOR'),
        protocolType: null,
        protocolName: null,
        assignment: new Uint8Array(0),
      }
    }
  },
}
