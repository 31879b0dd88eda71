import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type {
  LeaveGroupResponse,
  MemberResponse,
} from '../../../runtime/kafka-protocol/generated/leave-group.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { codeOf, errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

const COORDINATOR_ERRORS = new Set([
  codeOf('NOT_COORDINATOR'),
  codeOf('COORDINATOR_NOT_AVAILABLE'),
  codeOf('COORDINATOR_LOAD_IN_PROGRESS'),
])

/** LeaveGroup: one member (up to v2) or several (v3 on, static members by instance id). */
export const leaveGroup: RequestHandler<typeof ApiKeys.LeaveGroup> = {
  apiKey: ApiKeys.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, version, { listener }): Promise<LeaveGroupResponse> {
    const leaving =
      version >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null }]
    const members = await Promise.all(
      leaving.map(async ({ memberId, groupInstanceId }): Promise<MemberResponse> => {
        try {
          await askCoordinator(
            listener,
            {
              type: 'leave-group',
              groupId: request.groupId,
              memberId,
              groupInstanceId: groupInstanceId ?? undefined,
            },
            parseTrue,
          )
          return { memberId, groupInstanceId, errorCode: NONE }
        } catch (error) {
          return { memberId, groupInstanceId, errorCode: errorCodeOf(error, 'NOT_COORDINATOR') }
        }
      }),
    )
    const failed = members.find((member) => member.errorCode !== NONE)
    // Up to v2 the one member's error is the answer's; from v3 each member has its own, but
    // a coordinator that does not keep the group is the whole answer's error.
    const whole = failed !== undefined && (version < 3 || COORDINATOR_ERRORS.has(failed.errorCode))
    return {
      throttleTimeMs: 0,
      errorCode: whole ? failed.errorCode : NONE,
      members: version >= 3 ? members : [],
    }
  },
}
