import { parseTrue } from '../../../actors/coordinator/coordinator-protocol.js'
import type { EndTxnResponse } from '../../../runtime/kafka-protocol/generated/end-txn.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askTransactionCoordinator, transactionErrorCode } from '../coordinator-requests.js'
import type { RequestHandler } from '../request-handler.js'

/** EndTxn's first version whose clients know PRODUCER_FENCED. */
const FENCED_SINCE = 2

/**
 * EndTxn: the transaction coordinator commits or aborts the producer's transaction, and the
 * answer comes once every partition has its marker and every group its offsets committed or
 * dropped. Up to version 4: version 5 bumps the epoch on every transaction, which the
 * coordinator does not.
 */
export const endTxn: RequestHandler<typeof ApiKeys.EndTxn> = {
  apiKey: ApiKeys.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<EndTxnResponse> {
    const errorCode = await transactionErrorCode(request, version, FENCED_SINCE, (producer) =>
      askTransactionCoordinator(
        listener,
        { type: 'end-txn', ...producer, commit: request.committed },
        parseTrue,
      ),
    )
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }
  },
}
