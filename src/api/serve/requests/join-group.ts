import { parseJoinResult } from '../../../actors/coordinator/coordinator-protocol.js'
import type { JoinGroupResponse } from '../../../runtime/kafka-protocol/generated/join-group.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator, JOIN_ANSWER_MARGIN_MS } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/**
 * JoinGroup: hands the member to the coordinator, which answers once every member has joined
 * the rebalance (the leader also gets every member's metadata, to assign partitions).
 */
export const joinGroup: RequestHandler<typeof ApiKeys.JoinGroup> = {
  apiKey: ApiKeys.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, version, { listener, clientId }): Promise<JoinGroupResponse> {
    // Version 0 has no rebalance timeout: the session timeout stood for both.
    const rebalanceTimeoutMs = version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs
    try {
      const joined = await askCoordinator(
        listener,
        {
          type: 'join-group',
          groupId: request.groupId,
          memberId: request.memberId,
          groupInstanceId: request.groupInstanceId ?? undefined,
          clientId,
          sessionTimeoutMs: request.sessionTimeoutMs,
          rebalanceTimeoutMs,
          protocols: request.protocols.map(({ name, metadata }) => ({
            name,
            metadata: metadata.slice(),
          })),
        },
        parseJoinResult,
        rebalanceTimeoutMs + JOIN_ANSWER_MARGIN_MS,
      )
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        generationId: joined.generationId,
        protocolType: version >= 7 ? request.protocolType : null,
        protocolName: joined.protocolName,
        leader: joined.leaderId,
        skipAssignment: false,
        memberId: joined.memberId,
        members: joined.members.map((member) => ({
          memberId: member.memberId,
          groupInstanceId: member.groupInstanceId ?? null,
          metadata: member.metadata,
        })),
      }
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeOf(error, 'NOT_COORDINATOR'),
        generationId: -1,
        protocolType: null,
        protocolName: version >= 7 ? null : '',
        leader: '',
        skipAssignment: false,
        memberId: request.memberId,
        members: [],
      }
    }
  },
}
