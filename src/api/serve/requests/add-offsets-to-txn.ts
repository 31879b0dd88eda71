import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type { AddOffsetsToTxnResponse } from '../../../runtime/kafka-protocol/generated/add-offsets-to-txn.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import {
  askTransactionCoordinator,
  checkGroupId,
  transactionErrorCode,
} from '../coordinator-requests.js'
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
    const errorCode = await transactionErrorCode(request, version, FENCED_SINCE, (producer) => {
      checkGroupId(request.groupId)
      return askTransactionCoordinator(
        listener,
        { type: 'add-offsets-to-txn', ...producer, groupId: request.groupId },
        parseTrue,
      )
    })
    return { throttleTimeMs: 0, errorCode }
  },
}
