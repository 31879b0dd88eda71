import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import {
  isControlBatch,
  isTransactionalBatch,
  readMarker,
} from '../../runtime/log/control-batch.js'
import type { LeaderReplica } from './broker-state.js'
import { batchIdentity } from './producer-state.js'

/*
 * Appends to a leader's log that keep what it knows of producers up to date: idempotent
 * sequences, and transactions with the last stable offset and aborted index that
 * read-committed consumers read from the log's header.
 */

/** A producer's batch: answered from memory when it is a retry of one already in the log. */
export function appendProduced(replica: LeaderReplica, batch: Uint8Array): number {
  const { log, producers, transactions } = replica
  if (isControlBatch(batch)) {
    throw new KafkaProtocolError(
      'INVALID_RECORD',
      'control batches are written by transaction coordinators, not producers',
    )
  }
  const identity = batchIdentity(batch)
  const check = identity === undefined ? undefined : producers.check(identity)
  if (check?.kind === 'duplicate') return check.baseOffset
  const transactional = isTransactionalBatch(batch)
  if (transactional) {
    if (identity === undefined) {
      throw new KafkaProtocolError(
        'INVALID_RECORD',
        'a transactional batch must carry its producer id',
      )
    }
    transactions.checkWrite(identity.producerId, identity.producerEpoch)
    // Published before the batch is: no read-committed reader may take it for stable.
    log.setFirstUnstableOffset(
      Math.min(transactions.firstUnstableOffset() ?? log.logEndOffset, log.logEndOffset),
    )
  }
  let baseOffset: number
  try {
    baseOffset = log.append(batch, { commit: replica.followers.size === 0 })
  } catch (error) {
    if (transactional) log.setFirstUnstableOffset(transactions.firstUnstableOffset())
    throw error
  }
  if (identity !== undefined) producers.recordAppended(identity, baseOffset)
  if (transactional && identity !== undefined) {
    transactions.recordWrite(identity.producerId, identity.producerEpoch, baseOffset)
  }
  return baseOffset
}

/**
 * A transaction marker from a coordinator. An abort goes into the aborted index before the
 * last stable offset moves past the transaction, so a reader that sees it stable sees it
 * aborted too.
 */
export function appendMarker(replica: LeaderReplica, batch: Uint8Array): number {
  const { log, producers, transactions } = replica
  const marker = readMarker(batch)
  if (marker === undefined) {
    throw new KafkaProtocolError('INVALID_RECORD', 'a coordinator writes transaction markers only')
  }
  producers.recordMarker(marker.producerId, marker.producerEpoch)
  const baseOffset = log.append(batch, { commit: replica.followers.size === 0 })
  const aborted = transactions.recordMarker(marker, baseOffset)
  if (aborted !== undefined) log.addAbortedTransaction(aborted)
  log.setFirstUnstableOffset(transactions.firstUnstableOffset())
  return baseOffset
}
