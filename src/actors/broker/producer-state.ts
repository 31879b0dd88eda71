import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { readInt16, readInt32, readInt64 } from '../../runtime/log/big-endian.js'
import { isControlBatch } from '../../runtime/log/control-batch.js'
import {
  BATCH_BASE_OFFSET,
  BATCH_BASE_SEQUENCE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
} from '../../runtime/log/record-batch-codec.js'

/** How many recent batches per producer a leader remembers, as Kafka's brokers do. */
const REMEMBERED_BATCHES = 5

/** The idempotence fields of a RecordBatch v2 header. */
export interface BatchIdentity {
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly lastSequence: number
}

/** Reads who sent a batch; undefined for a batch from a producer that is not idempotent. */
export function batchIdentity(batch: Uint8Array): BatchIdentity | undefined {
  const producerId = readInt64(batch, BATCH_PRODUCER_ID)
  if (producerId < 0) return undefined
  const baseSequence = readInt32(batch, BATCH_BASE_SEQUENCE)
  return {
    producerId,
    producerEpoch: readInt16(batch, BATCH_PRODUCER_EPOCH),
    baseSequence,
    lastSequence: baseSequence + readInt32(batch, BATCH_LAST_OFFSET_DELTA),
  }
}

interface ProducerEntry {
  epoch: number
  /** The newest batches, oldest first: their sequence ranges and where they landed. */
  readonly batches: { baseSequence: number; lastSequence: number; baseOffset: number }[]
}

/** What a leader decides about an incoming batch from an idempotent producer. */
export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number }

/**
 * One partition's idempotent producers: their epochs and last few batches, so a retried batch
 * already in the log is acknowledged with its first offsets instead of appended again, a gap
 * is refused, and an older epoch (a zombie) is fenced. A new leader rebuilds it from the
 * batch headers in its log (`recordAppended` for each).
 */
export class ProducerStateTable {
  readonly #producers = new Map<number, ProducerEntry>()

  check(identity: BatchIdentity): SequenceCheck {
    const entry = this.#producers.get(identity.producerId)
    if (entry === undefined || identity.producerEpoch > entry.epoch) {
      if (identity.baseSequence !== 0 && entry !== undefined) {
        throw new KafkaProtocolError(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `a new epoch of producer ${identity.producerId} must start at sequence 0, not ${identity.baseSequence}`,
        )
      }
      return { kind: 'append' }
    }
    if (identity.producerEpoch < entry.epoch) {
      throw new KafkaProtocolError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${identity.producerId} epoch ${identity.producerEpoch} is fenced by epoch ${entry.epoch}`,
      )
    }
    const known = entry.batches.find(
      (batch) =>
        batch.baseSequence === identity.baseSequence &&
        batch.lastSequence === identity.lastSequence,
    )
    if (known !== undefined) return { kind: 'duplicate', baseOffset: known.baseOffset }
    const last = entry.batches.at(-1)
    const expected = last === undefined ? 0 : last.lastSequence + 1
    if (identity.baseSequence !== expected) {
      throw new KafkaProtocolError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${identity.producerId} sent sequence ${identity.baseSequence}, expected ${expected}`,
      )
    }
    return { kind: 'append' }
  }

  /**
   * A transaction marker of this producer landed: a newer epoch (the coordinator fenced the
   * producer) starts it afresh, and its older epoch's batches are refused from now on.
   */
  recordMarker(producerId: number, producerEpoch: number): void {
    const entry = this.#producers.get(producerId)
    if (entry !== undefined && producerEpoch < entry.epoch) {
      throw new KafkaProtocolError(
        'INVALID_PRODUCER_EPOCH',
        `a marker of producer ${producerId} epoch ${producerEpoch} is older than epoch ${entry.epoch}`,
      )
    }
    if (entry === undefined || producerEpoch > entry.epoch) {
      this.#producers.set(producerId, { epoch: producerEpoch, batches: [] })
    }
  }

  recordAppended(identity: BatchIdentity, baseOffset: number): void {
    let entry = this.#producers.get(identity.producerId)
    if (entry === undefined || identity.producerEpoch > entry.epoch) {
      entry = { epoch: identity.producerEpoch, batches: [] }
      this.#producers.set(identity.producerId, entry)
    }
    entry.batches.push({
      baseSequence: identity.baseSequence,
      lastSequence: identity.lastSequence,
      baseOffset,
    })
    if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift()
  }

  /** Rebuilds the table from batches already in a log (a follower that becomes leader). */
  static fromBatches(batches: Iterable<Uint8Array>): ProducerStateTable {
    const table = new ProducerStateTable()
    for (const batch of batches) {
      const identity = batchIdentity(batch)
      if (identity === undefined) continue
      if (isControlBatch(batch)) table.recordMarker(identity.producerId, identity.producerEpoch)
      else table.recordAppended(identity, readInt64(batch, BATCH_BASE_OFFSET))
    }
    return table
  }
}
