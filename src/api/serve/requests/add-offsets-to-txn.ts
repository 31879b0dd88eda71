import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type { AddOffsetsToTxnResponse } from '../../../runtime/kafka-protocol/generated/add-offsets-to-txn.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askTransactionCoordinator, transactionalProducer } from '../coordinator-requests.js'
import { NONE, transactionErrorCodeOf } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** AddOffsetsToTxn's first version whose clients know PRODUCER_FENCED. */
const FENCED_SINCE = 2

/**
 * AddOffsetsToTxn: the transaction coordinator adds the group to the producer's transaction,
 * so that its end commits or drops the offsets the producer then sends the group's coordinator
 * (TxnOffsetCommit).
 */
export const addOffsetsToTxn: RequestHandler<typeof ApiKeys.AddOffsetsToTxn> = {
  apiKey: ApiKeys.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<AddOffsetsToTxnResponse> {
    let errorCode = NONE
    try {
      const producer = transactionalProducer(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
      )
      if (request.groupId.length === 0) {
        throw new KafkaProtocolError('INVALID_GROUP_ID', 'a group id must not be empty')
      }
      await askTransactionCoordinator(
        listener,
        { type: 'add-offsets-to-txn', ...producer, groupId: request.groupId },
        parseTrue,
      )
    } catch (error) {
      errorCode = transactionErrorCodeOf(error, version, FENCED_SINCE)
    }
    return { throttleTimeMs: 0, errorCode }
  },
}
