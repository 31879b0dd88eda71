import {
  parseDescribedGroup,
  parseListedGroups,
} from '../../../actors/coordinator/coordinator-protocol.js'
import type {
  ListedGroup,
  ListGroupsResponse,
} from '../../../runtime/kafka-protocol/generated/list-groups.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/**
 * ListGroups: the groups this broker's coordinator keeps (a client asks every broker, as with
 * Kafka). Version 4 adds each group's state, and a filter on it.
 */
export const listGroups: RequestHandler<typeof ApiKeys.ListGroups> = {
  apiKey: ApiKeys.ListGroups,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<ListGroupsResponse> {
    try {
      const listed = await askCoordinator(listener, { type: 'list-groups' }, parseListedGroups)
      const groups = await Promise.all(
        listed.map(async ({ groupId, protocolType }): Promise<ListedGroup> => {
          const groupState =
            version >= 4
              ? (
                  await askCoordinator(
                    listener,
                    { type: 'describe-group', groupId },
                    parseDescribedGroup,
                  )
                ).state
              : ''
          return { groupId, protocolType, groupState, groupType: '' }
        }),
      )
      const states = new Set(request.statesFilter)
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        groups: states.size === 0 ? groups : groups.filter((group) => states.has(group.groupState)),
      }
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeOf(error, 'COORDINATOR_NOT_AVAILABLE'),
        groups: [],
      }
    }
  },
}
