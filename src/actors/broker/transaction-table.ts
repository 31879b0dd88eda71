import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { AbortedTransaction } from '../../runtime/log/aborted-transactions.js'
import { readInt64 } from '../../runtime/log/big-endian.js'
import {
  isTransactionalBatch,
  readMarker,
  type TransactionMarker,
} from '../../runtime/log/control-batch.js'
import { BATCH_BASE_OFFSET } from '../../runtime/log/record-batch-codec.js'
import { batchIdentity } from './producer-state.js'

/** A transaction with data in this partition and no marker yet. */
interface OpenTransaction {
  readonly producerEpoch: number
  readonly firstOffset: number
}

/**
 * One partition's transactions, as its leader keeps them: which producers the transaction
 * coordinator added to a transaction here (Kafka 4 verifies that before a transactional batch
 * lands), where each open transaction's data starts (the oldest bounds the last stable
 * offset), and, as markers come, which transactions were aborted. A new leader rebuilds it
 * from its log (`fromBatches`).
 */
export class TransactionTable {
  readonly #open = new Map<number, OpenTransaction>()
  /** Producers added to a transaction here that have written nothing yet: their epoch. */
  readonly #added = new Map<number, number>()

  /** The coordinator added this partition to the producer's transaction. */
  add(producerId: number, producerEpoch: number): void {
    const open = this.#open.get(producerId)
    if (open !== undefined && open.producerEpoch === producerEpoch) return
    this.#added.set(producerId, producerEpoch)
  }

  /** Refuses a transactional batch of a producer whose transaction does not include this partition. */
  checkWrite(producerId: number, producerEpoch: number): void {
    const epoch = this.#open.get(producerId)?.producerEpoch ?? this.#added.get(producerId)
    if (epoch === producerEpoch) return
    throw new KafkaProtocolError(
      'INVALID_TXN_STATE',
      `producer ${producerId} epoch ${producerEpoch} has no transaction that includes this partition`,
    )
  }

  /** A transactional batch landed at `baseOffset`. */
  recordWrite(producerId: number, producerEpoch: number, baseOffset: number): void {
    this.#added.delete(producerId)
    if (!this.#open.has(producerId))
      this.#open.set(producerId, { producerEpoch, firstOffset: baseOffset })
  }

  /**
   * A marker landed at `offset`: the producer's transaction here is over. An abort of a
   * transaction that wrote here is returned, for the aborted-transaction index.
   */
  recordMarker(marker: TransactionMarker, offset: number): AbortedTransaction | undefined {
    this.#added.delete(marker.producerId)
    const open = this.#open.get(marker.producerId)
    this.#open.delete(marker.producerId)
    if (open === undefined || marker.commit) return undefined
    return { producerId: marker.producerId, firstOffset: open.firstOffset, lastOffset: offset }
  }

  /** Where the oldest open transaction starts; undefined when none is open. */
  firstUnstableOffset(): number | undefined {
    let first: number | undefined
    for (const { firstOffset } of this.#open.values()) {
      if (first === undefined || firstOffset < first) first = firstOffset
    }
    return first
  }

  /**
   * Rebuilds the table from a log's batches, oldest first, with the aborted transactions
   * whose markers it holds. A transaction whose first batches were evicted starts at
   * `logStartOffset`.
   */
  static fromBatches(
    batches: Iterable<Uint8Array>,
    logStartOffset: number,
  ): { readonly table: TransactionTable; readonly aborted: AbortedTransaction[] } {
    const table = new TransactionTable()
    const aborted: AbortedTransaction[] = []
    // Producers with a batch in the scan: an abort of any other one had its data evicted.
    const seen = new Set<number>()
    for (const batch of batches) {
      const baseOffset = readInt64(batch, BATCH_BASE_OFFSET)
      const marker = readMarker(batch)
      if (marker !== undefined) {
        if (!seen.has(marker.producerId)) {
          seen.add(marker.producerId)
          table.recordWrite(marker.producerId, marker.producerEpoch, logStartOffset)
        }
        const entry = table.recordMarker(marker, baseOffset)
        if (entry !== undefined) aborted.push(entry)
        continue
      }
      const identity = batchIdentity(batch)
      if (identity !== undefined && isTransactionalBatch(batch)) {
        seen.add(identity.producerId)
        table.recordWrite(identity.producerId, identity.producerEpoch, baseOffset)
      }
    }
    return { table, aborted }
  }
}
