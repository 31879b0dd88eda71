// A transaction coordinator's decisions, as pure functions of a transactional id's metadata:
// what each request moves it to, or Kafka's error for it.

import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { TopicPartition } from '../broker/broker-protocol.js'
import type { TransactionMetadata } from './transaction-log.js'

/** The largest producer epoch (an int16): past it, the transactional id takes a new producer id. */
export const MAX_PRODUCER_EPOCH = 32_767
/** Kafka's `transaction.max.timeout.ms` (15 minutes). */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000

function concurrent(metadata: TransactionMetadata): KafkaProtocolError {
  return new KafkaProtocolError(
    'CONCURRENT_TRANSACTIONS',
    `transactional id '${metadata.transactionalId}' is completing its transaction`,
  )
}

export function isCompleting(metadata: TransactionMetadata): boolean {
  return metadata.phase === 'PrepareCommit' || metadata.phase === 'PrepareAbort'
}

export function checkTransactionTimeout(timeoutMs: number): void {
  if (timeoutMs < 1 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
    throw new KafkaProtocolError(
      'INVALID_TRANSACTION_TIMEOUT',
      `transaction timeout ${timeoutMs} ms is outside 1 to ${MAX_TRANSACTION_TIMEOUT_MS} ms`,
    )
  }
}

/**
 * InitProducerId for an id with no open transaction: the next epoch, which fences every older
 * incarnation; undefined when the epochs are used up (a new producer id is needed then).
 */
export function nextIncarnation(
  metadata: TransactionMetadata,
  timeoutMs: number,
): TransactionMetadata | undefined {
  if (metadata.producerEpoch >= MAX_PRODUCER_EPOCH) return undefined
  return {
    ...metadata,
    producerEpoch: metadata.producerEpoch + 1,
    timeoutMs,
    phase: 'Empty',
    partitions: [],
    groups: [],
  }
}

/** The abort Kafka's coordinator starts to fence a producer: its next epoch, PrepareAbort. */
export function fencingAbort(metadata: TransactionMetadata): TransactionMetadata {
  return { ...metadata, producerEpoch: metadata.producerEpoch + 1, phase: 'PrepareAbort' }
}

/**
 * Refuses an InitProducerId from a producer that names itself (to resume after an error) but
 * is not the id's current incarnation: letting it bump the epoch would fence the current one.
 */
export function checkResumingProducer(
  metadata: TransactionMetadata | undefined,
  producerId: number | undefined,
  producerEpoch: number | undefined,
): void {
  if (metadata === undefined || producerId === undefined || producerEpoch === undefined) return
  if (metadata.producerId === producerId && metadata.producerEpoch === producerEpoch) return
  throw new KafkaProtocolError(
    'PRODUCER_FENCED',
    `producer ${producerId} epoch ${producerEpoch} is not the current producer of transactional id '${metadata.transactionalId}' (${metadata.producerId} epoch ${metadata.producerEpoch})`,
  )
}

/** Refuses a request from a producer that is not this transactional id's current one. */
export function checkProducer(
  metadata: TransactionMetadata | undefined,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
): TransactionMetadata {
  if (metadata === undefined || metadata.producerId !== producerId) {
    throw new KafkaProtocolError(
      'INVALID_PRODUCER_ID_MAPPING',
      `producer ${producerId} is not the producer of transactional id '${transactionalId}'`,
    )
  }
  if (producerEpoch !== metadata.producerEpoch) {
    throw new KafkaProtocolError(
      'PRODUCER_FENCED',
      `producer ${producerId} epoch ${producerEpoch} is fenced by epoch ${metadata.producerEpoch}`,
    )
  }
  return metadata
}

const partitionName = ({ topic, partition }: TopicPartition) => `${topic}\u0000${partition}`

/** AddPartitionsToTxn and AddOffsetsToTxn: the transaction is (or goes on being) open. */
export function joinTransaction(
  metadata: TransactionMetadata,
  now: number,
  partitions: readonly TopicPartition[],
  groups: readonly string[],
): TransactionMetadata {
  if (isCompleting(metadata)) throw concurrent(metadata)
  const ongoing = metadata.phase === 'Ongoing'
  const known = new Set((ongoing ? metadata.partitions : []).map(partitionName))
  const joined = [...(ongoing ? metadata.partitions : [])]
  for (const partition of partitions) {
    if (known.has(partitionName(partition))) continue
    known.add(partitionName(partition))
    joined.push({ topic: partition.topic, partition: partition.partition })
  }
  return {
    ...metadata,
    phase: 'Ongoing',
    partitions: joined,
    groups: [...new Set([...(ongoing ? metadata.groups : []), ...groups])],
    startedAt: ongoing ? metadata.startedAt : now,
  }
}

/**
 * EndTxn: PrepareCommit or PrepareAbort of an open transaction; 'done' for a retry of an end
 * that already completed the same way.
 */
export function endTransaction(
  metadata: TransactionMetadata,
  commit: boolean,
): TransactionMetadata | 'done' {
  if (metadata.phase === 'Ongoing') {
    return { ...metadata, phase: commit ? 'PrepareCommit' : 'PrepareAbort' }
  }
  if (isCompleting(metadata)) throw concurrent(metadata)
  if (metadata.phase === (commit ? 'CompleteCommit' : 'CompleteAbort')) return 'done'
  throw new KafkaProtocolError(
    'INVALID_TXN_STATE',
    `transactional id '${metadata.transactionalId}' has no open transaction to ${commit ? 'commit' : 'abort'} (it is ${metadata.phase})`,
  )
}

/** Where a prepared transaction ends, once its markers are written. */
export function completed(metadata: TransactionMetadata): TransactionMetadata {
  return {
    ...metadata,
    phase: metadata.phase === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort',
  }
}

/** An open transaction past its timeout (Kafka's coordinator aborts it, fencing its producer). */
export function hasTimedOut(metadata: TransactionMetadata, now: number): boolean {
  return metadata.phase === 'Ongoing' && metadata.startedAt + metadata.timeoutMs <= now
}
