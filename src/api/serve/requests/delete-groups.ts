import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type { DeleteGroupsResponse } from '../../../runtime/kafka-protocol/generated/delete-groups.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** DeleteGroups: each empty group and its offsets go; a group with members is refused. */
export const deleteGroups: RequestHandler<typeof ApiKeys.DeleteGroups> = {
  apiKey: ApiKeys.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, _version, { listener }): Promise<DeleteGroupsResponse> {
    const results = await Promise.all(
      request.groupsNames.map(async (groupId) => {
        try {
          await askCoordinator(listener, { type: 'delete-group', groupId }, parseTrue)
          return { groupId, errorCode: NONE }
        } catch (error) {
          return { groupId, errorCode: errorCodeOf(error, 'NOT_COORDINATOR') }
        }
      }),
    )
    return { throttleTimeMs: 0, results }
  },
}
