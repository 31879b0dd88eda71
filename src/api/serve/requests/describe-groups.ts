import { parseDescribedGroup } from '../../../actors/coordinator/coordinator-protocol.js'
import type {
  DescribedGroup,
  DescribeGroupsResponse,
} from '../../../runtime/kafka-protocol/generated/describe-groups.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

const OPERATIONS_OMITTED = -2147483648

/** DescribeGroups: each group's state, protocol and members, from this broker's coordinator. */
export const describeGroups: RequestHandler<typeof ApiKeys.DescribeGroups> = {
  apiKey: ApiKeys.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, _version, { listener }): Promise<DescribeGroupsResponse> {
    const groups = await Promise.all(
      request.groups.map(async (groupId): Promise<DescribedGroup> => {
        try {
          const described = await askCoordinator(
            listener,
            { type: 'describe-group', groupId },
            parseDescribedGroup,
          )
          return {
            errorCode: NONE,
            groupId,
            groupState: described.state,
            protocolType: described.protocolType,
            protocolData: described.protocol,
            members: described.members.map((member) => ({
              memberId: member.memberId,
              groupInstanceId: member.groupInstanceId,
              clientId: member.clientId,
              clientHost: '/127.0.0.1',
              memberMetadata: member.memberMetadata,
              memberAssignment: member.memberAssignment,
            })),
            authorizedOperations: OPERATIONS_OMITTED,
          }
        } catch (error) {
          return {
            errorCode: errorCodeOf(error, 'NOT_COORDINATOR'),
            groupId,
            groupState: '',
            protocolType: '',
            protocolData: '',
            members: [],
            authorizedOperations: OPERATIONS_OMITTED,
          }
        }
      }),
    )
    return { throttleTimeMs: 0, groups }
  },
}
