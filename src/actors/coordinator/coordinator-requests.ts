import type { RequestApi, RequestDescription } from '../../runtime/requests/request-rules.js'
import { topicsOf, wholeTopics } from '../requests/request-topics.js'
import type { CoordinatorMessage } from './coordinator-protocol.js'

const API_OF = {
  'join-group': 'JoinGroup',
  'sync-group': 'SyncGroup',
  heartbeat: 'Heartbeat',
  'leave-group': 'LeaveGroup',
  'offset-commit': 'OffsetCommit',
  'txn-offset-commit': 'TxnOffsetCommit',
  'offset-fetch': 'OffsetFetch',
  'list-groups': 'ListGroups',
  'describe-group': 'DescribeGroups',
  'delete-group': 'DeleteGroups',
} as const satisfies Record<string, RequestApi>

/** The Kafka requests among a coordinator's messages: the group and offset APIs. */
export function describeCoordinatorRequest(
  brokerId: number,
  message: CoordinatorMessage,
): RequestDescription | undefined {
  if (!Object.hasOwn(API_OF, message.type)) return undefined
  const api = API_OF[message.type as keyof typeof API_OF]
  switch (message.type) {
    case 'offset-commit':
    case 'txn-offset-commit':
      return { api, broker: brokerId, topics: topicsOf(message.offsets) }
    case 'offset-fetch':
      return { api, broker: brokerId, topics: wholeTopics(message.topics ?? []) }
    default:
      return { api, broker: brokerId }
  }
}
