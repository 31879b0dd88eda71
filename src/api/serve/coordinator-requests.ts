import type { GroupRequest } from '../../actors/coordinator/coordinator-protocol.js'
import type { TransactionRequest } from '../../actors/transactions/transaction-protocol.js'
import { ActorTerminatedError } from '../../runtime/errors/actor-errors.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { NONE, transactionErrorCodeOf } from './error-codes.js'
import type { ListenerContext } from './serve-context.js'

/** Deadline of a group request that the coordinator answers at once. */
export const GROUP_REQUEST_TIMEOUT_MS = 10_000
/**
 * Deadline of a transaction request: an EndTxn answers once every partition of the
 * transaction has its marker, which may wait out a leader's failover.
 */
export const TRANSACTION_REQUEST_TIMEOUT_MS = 30_000
/** Room beyond a join's own rebalance timeout for the coordinator's answer to come back. */
export const JOIN_ANSWER_MARGIN_MS = 5_000

/**
 * Asks the group coordinator beside this listener's broker, as a Kafka broker hands a group
 * request to its own coordinator: one that does not keep the group answers NOT_COORDINATOR,
 * and the client looks for the right one again.
 */
export async function askCoordinator<T>(
  listener: ListenerContext,
  request: GroupRequest,
  parseReply: (value: unknown) => T,
  timeoutMs = GROUP_REQUEST_TIMEOUT_MS,
): Promise<T> {
  const coordinator = await listener.coordinator()
  try {
    return await coordinator.ask(request, { parseReply, timeoutMs })
  } catch (error) {
    if (error instanceof ActorTerminatedError) listener.forgetCoordinator()
    throw error
  }
}

/**
 * Asks the transaction coordinator beside this listener's broker: one that does not keep the
 * transactional id answers NOT_COORDINATOR, and the client looks for the right one again.
 */
export async function askTransactionCoordinator<T>(
  listener: ListenerContext,
  request: TransactionRequest,
  parseReply: (value: unknown) => T,
): Promise<T> {
  const coordinator = await listener.transactionCoordinator()
  try {
    return await coordinator.ask(request, {
      parseReply,
      timeoutMs: TRANSACTION_REQUEST_TIMEOUT_MS,
    })
  } catch (error) {
    if (error instanceof ActorTerminatedError) listener.forgetTransactionCoordinator()
    throw error
  }
}

/** A transactional producer as a transaction request names it, checked. */
export interface TransactionalProducer {
  readonly transactionalId: string
  readonly producerId: number
  readonly producerEpoch: number
}

/**
 * The producer a transaction request comes from, or the error Kafka's coordinator answers for
 * what no producer of the id can be: an empty id, a negative producer id or epoch.
 */
function transactionalProducer(
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
): TransactionalProducer {
  if (transactionalId.length === 0) {
    throw new KafkaProtocolError('INVALID_REQUEST', 'a transactional id must not be empty')
  }
  if (producerId < 0n || producerId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new KafkaProtocolError(
      'INVALID_PRODUCER_ID_MAPPING',
      `producer id ${producerId} is no producer of transactional id '${transactionalId}'`,
    )
  }
  if (producerEpoch < 0) {
    throw new KafkaProtocolError('INVALID_PRODUCER_EPOCH', `producer epoch ${producerEpoch}`)
  }
  return { transactionalId, producerId: Number(producerId), producerEpoch }
}

/**
 * How the transaction handlers answer: the error code of doing `work` for the producer the
 * request names, once checked (NONE when it is done), as clients of `version` know the error;
 * PRODUCER_FENCED from `fencedSince` on.
 */
export async function transactionErrorCode(
  producer: {
    readonly transactionalId: string
    readonly producerId: bigint
    readonly producerEpoch: number
  },
  version: number,
  fencedSince: number,
  work: (producer: TransactionalProducer) => Promise<unknown>,
): Promise<number> {
  try {
    await work(
      transactionalProducer(producer.transactionalId, producer.producerId, producer.producerEpoch),
    )
    return NONE
  } catch (error) {
    return transactionErrorCodeOf(error, version, fencedSince)
  }
}

/** A group id a transaction names: Kafka's coordinators refuse an empty one. */
export function checkGroupId(groupId: string): void {
  if (groupId.length === 0) {
    throw new KafkaProtocolError('INVALID_GROUP_ID', 'a group id must not be empty')
  }
}
