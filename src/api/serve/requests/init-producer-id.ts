import { parseProducerIdentity } from '../../../actors/supervisor/supervisor-protocol.js'
import type { InitProducerIdResponse } from '../../../runtime/kafka-protocol/generated/init-producer-id.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { codeOf, errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/**
 * InitProducerId: a new producer id from the controller, as an in-process idempotent producer
 * gets one; its batches then carry it, and the leaders keep its sequences. No transactions.
 */
export const initProducerId: RequestHandler<typeof ApiKeys.InitProducerId> = {
  apiKey: ApiKeys.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, _version, { listener }): Promise<InitProducerIdResponse> {
    const refused = (errorCode: number): InitProducerIdResponse => ({
      throttleTimeMs: 0,
      errorCode,
      producerId: -1n,
      producerEpoch: -1,
    })
    if (request.transactionalId !== null) return refused(codeOf('INVALID_REQUEST'))
    try {
      const identity = await listener.cluster.supervisor.ask(
        { type: 'init-producer-id' },
        { parseReply: parseProducerIdentity },
      )
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        producerId: BigInt(identity.producerId),
        producerEpoch: identity.producerEpoch,
      }
    } catch (error) {
      return refused(errorCodeOf(error, 'COORDINATOR_NOT_AVAILABLE'))
    }
  },
}
