import {
  type ProducerIdentity,
  parseProducerIdentity,
} from '../../../actors/supervisor/supervisor-protocol.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from '../../../runtime/kafka-protocol/generated/init-producer-id.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askTransactionCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE, transactionErrorCodeOf } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import type { ListenerContext } from '../serve-context.js'

/** InitProducerId's first version whose clients know PRODUCER_FENCED. */
const FENCED_SINCE = 4

/**
 * InitProducerId. Without a transactional id: a new producer id from the controller, as an
 * in-process idempotent producer gets one. With one: the transaction coordinator beside this
 * broker bumps the id's epoch (fencing every older incarnation and aborting its open
 * transaction) and keeps the transaction timeout, exactly as for an in-process transactional
 * producer; a broker that does not coordinate the id answers NOT_COORDINATOR. From version 3 a
 * client resuming after an error names its producer id and epoch: only the current
 * incarnation may resume so.
 */
export const initProducerId: RequestHandler<typeof ApiKeys.InitProducerId> = {
  apiKey: ApiKeys.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<InitProducerIdResponse> {
    try {
      const identity =
        request.transactionalId === null
          ? await idempotentIdentity(listener)
          : await transactionalIdentity(listener, request, request.transactionalId)
      return answer(NONE, BigInt(identity.producerId), identity.producerEpoch)
    } catch (error) {
      const errorCode =
        request.transactionalId === null
          ? errorCodeOf(error, 'COORDINATOR_NOT_AVAILABLE')
          : transactionErrorCodeOf(error, version, FENCED_SINCE)
      return answer(errorCode, -1n, -1)
    }
  },
}

function answer(errorCode: number, producerId: bigint, producerEpoch: number) {
  return { throttleTimeMs: 0, errorCode, producerId, producerEpoch }
}

function idempotentIdentity(listener: ListenerContext): Promise<ProducerIdentity> {
  return listener.cluster.supervisor.ask(
    { type: 'init-producer-id' },
    { parseReply: parseProducerIdentity },
  )
}

function transactionalIdentity(
  listener: ListenerContext,
  request: InitProducerIdRequest,
  transactionalId: string,
): Promise<ProducerIdentity> {
  return askTransactionCoordinator(
    listener,
    {
      type: 'init-transactional-producer',
      transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      ...resumingProducer(request),
    },
    parseProducerIdentity,
  )
}

/** The producer a request names (none: -1 and -1, which versions before 3 always carry). */
function resumingProducer(
  request: InitProducerIdRequest,
): { producerId: number; producerEpoch: number } | undefined {
  const { producerId, producerEpoch } = request
  if (producerId === -1n && producerEpoch === -1) return undefined
  if (producerId < 0n || producerId > BigInt(Number.MAX_SAFE_INTEGER) || producerEpoch < 0) {
    throw new KafkaProtocolError(
      'INVALID_REQUEST',
      `producer id ${producerId} epoch ${producerEpoch} names no producer`,
    )
  }
  return { producerId: Number(producerId), producerEpoch }
}
