import {
  type CoordinatorAddress,
  type CoordinatorKind,
  parseCoordinatorAddress,
} from '../../../actors/supervisor/supervisor-protocol.js'
import type {
  Coordinator,
  FindCoordinatorResponse,
} from '../../../runtime/kafka-protocol/generated/find-coordinator.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { codeOf, errorCodeOf, errorMessageOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import type { ListenerContext } from '../serve-context.js'

/** FindCoordinator's key types. */
const KEY_KINDS = new Map<number, CoordinatorKind>([
  [0, 'group'],
  [1, 'transaction'],
])
/** Room for the controller to create the offsets topic on a group's first lookup. */
const LOOKUP_TIMEOUT_MS = 30_000

/**
 * FindCoordinator: the broker whose coordinator keeps a group or a transactional id (the
 * leader of its partition of the offsets or transaction state topic, as the controller names
 * it, as for in-process clients), at its listener's address. Version 4 on asks for many keys
 * at once.
 */
export const findCoordinator: RequestHandler<typeof ApiKeys.FindCoordinator> = {
  apiKey: ApiKeys.FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<FindCoordinatorResponse> {
    const keys = version >= 4 ? request.coordinatorKeys : [request.key]
    const coordinators = await Promise.all(keys.map((key) => find(listener, key, request.keyType)))
    const first = coordinators[0] as Coordinator
    return {
      throttleTimeMs: 0,
      errorCode: version >= 4 ? NONE : first.errorCode,
      errorMessage: version >= 4 ? null : first.errorMessage,
      nodeId: version >= 4 ? 0 : first.nodeId,
      host: version >= 4 ? '' : first.host,
      port: version >= 4 ? 0 : first.port,
      coordinators: version >= 4 ? coordinators : [],
    }
  },
}

async function find(listener: ListenerContext, key: string, keyType: number): Promise<Coordinator> {
  const failed = (errorCode: number, errorMessage: string): Coordinator => ({
    key,
    nodeId: -1,
    host: '',
    port: -1,
    errorCode,
    errorMessage,
  })
  const kind = KEY_KINDS.get(keyType)
  if (kind === undefined) return failed(codeOf('INVALID_REQUEST'), `key type ${keyType}`)
  if (kind === 'transaction' && key.length === 0) {
    return failed(codeOf('INVALID_REQUEST'), 'a transactional id must not be empty')
  }
  let address: CoordinatorAddress
  try {
    address = await listener.cluster.supervisor.ask(
      { type: 'find-coordinator', groupId: key, kind },
      { parseReply: parseCoordinatorAddress, timeoutMs: LOOKUP_TIMEOUT_MS },
    )
  } catch (error) {
    return failed(errorCodeOf(error, 'COORDINATOR_NOT_AVAILABLE'), errorMessageOf(error))
  }
  const where = listener.addresses.get(address.brokerId)
  if (where === undefined) {
    return failed(codeOf('COORDINATOR_NOT_AVAILABLE'), `broker ${address.brokerId} does not listen`)
  }
  return { key, nodeId: address.brokerId, ...where, errorCode: NONE, errorMessage: null }
}
