import { InvalidArgumentError, KafkaProtocolError } from '../errors/samsa-error.js'
import type { Offset } from '../ids.js'
import { HEADER_BYTES } from './log-header.js'
import { OffsetIndex } from './offset-index.js'
import type { WaitWord } from './wait.js'

/* What a partition log is made of in shared memory, and what may be asked of one. */

export interface PartitionLogOptions {
  /** Bytes of the data ring: a power of two from 256 to 2^30. */
  readonly capacity: number
  /** Entries of the offset index (a power of two); default capacity / 64, at least 8. */
  readonly indexCapacity?: number
  /** The first offset of an empty log (Kafka's log start offset). Default 0. */
  readonly startOffset?: number
  readonly leaderEpoch?: number
  /** Evict the oldest batches once the retained ones (with padding) pass this. Default: capacity. */
  readonly retentionBytes?: number
  /** Evict batches whose max timestamp is older than now − retentionMs. Default: never. */
  readonly retentionMs?: number
  /**
   * Check each appended batch's CRC-32C. Default false: the log always checks a batch's
   * framing, but its CRC is checked where batches come in from outside (the broker, at
   * produce, as Kafka's broker does before its log append), so that a follower copying from
   * its leader's ring does not pay for it a second time.
   */
  readonly verifyCrc?: boolean
  /** The clock retention reads. Default the system's time. */
  readonly now?: () => number
  /** The writer's append signal, shared by its logs (see PartitionLogHandle). Default: its own. */
  readonly appendSignal?: SharedArrayBuffer
}

/** Everything a reader on another thread needs: post it, then `PartitionLogReader.open` it. */
export interface PartitionLogHandle {
  readonly header: SharedArrayBuffer
  readonly data: SharedArrayBuffer
  readonly index: SharedArrayBuffer
  readonly capacity: number
  readonly indexCapacity: number
  /**
   * Two Int32 words (a count and its waiters) shared by all the logs one broker writes, which
   * that broker bumps once it has appended what a request brought: a follower broker waits on
   * its leader broker's one word rather than on every partition's.
   */
  readonly appendSignal: SharedArrayBuffer
}

/** A log handle that may have come from another thread, checked for its shared buffers. */
export function parseLogHandle(handle: unknown): PartitionLogHandle {
  if (typeof handle !== 'object' || handle === null) {
    throw new InvalidArgumentError('a partition log handle must be an object')
  }
  const { header, data, index, capacity, indexCapacity, appendSignal } = handle as Record<
    string,
    unknown
  >
  if (
    !(header instanceof SharedArrayBuffer) ||
    !(data instanceof SharedArrayBuffer) ||
    !(index instanceof SharedArrayBuffer) ||
    !(appendSignal instanceof SharedArrayBuffer) ||
    typeof capacity !== 'number' ||
    typeof indexCapacity !== 'number'
  ) {
    throw new InvalidArgumentError(
      'a partition log handle has header, data, index and appendSignal SharedArrayBuffers and numeric capacities',
    )
  }
  return { header, data, index, capacity, indexCapacity, appendSignal }
}

/** Bytes of an append signal: the notify word, then the waiters word. */
export const APPEND_SIGNAL_BYTES = 8

/** An append signal's words, as `waitUntil` and `notifyChange` take them. */
export function appendSignalWord(signal: SharedArrayBuffer): WaitWord {
  return { words: new Int32Array(signal, 0, 2), notifyIndex: 0, waitersIndex: 1 }
}

/**
 * How far a read goes: read-uncommitted consumers to the high watermark, read-committed ones to
 * the last stable offset, a replica fetcher to the log end.
 */
export type ReadLimit = 'high-watermark' | 'last-stable' | 'log-end'

export interface ReadOptions {
  readonly upTo?: ReadLimit
  /**
   * Return views into the ring instead of copies. The writer may overwrite them at any time:
   * after decoding, call `isIntact(result)` and discard what you decoded if it says false.
   */
  readonly zeroCopy?: boolean
}

export interface LogReadResult {
  /** Whole batches, each exactly one RecordBatch (no padding). Empty when nothing is readable. */
  readonly batches: readonly Uint8Array[]
  /** Where the next read continues: the offset after the last returned batch. */
  readonly nextOffset: Offset
  readonly logStartOffset: Offset
  readonly highWatermark: Offset
  readonly logEndOffset: Offset
  /** Running number of the first returned batch, for `isIntact`. */
  readonly firstBatch: number
  /** The truncation count the read saw, for `isIntact`. */
  readonly truncations: number
}

const MIN_CAPACITY = 256
const MAX_CAPACITY = 2 ** 30

export const align8 = (bytes: number): number => (bytes + 7) & ~7

function isPowerOfTwo(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0
  )
}

/** Whether a log can have a data ring of `capacity` bytes. */
export function isLogCapacity(capacity: unknown): capacity is number {
  return isPowerOfTwo(capacity) && capacity >= MIN_CAPACITY && capacity <= MAX_CAPACITY
}

/** What a log can have as its data ring, for error messages. */
export const LOG_CAPACITY_RULE = `a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY}`

export const defaultIndexCapacity = (capacity: number): number =>
  Math.max(8, Math.floor(capacity / 64))

/**
 * The shared memory a new log of `capacity` takes: its ring, its offset index and its header.
 * The whole of it counts, though pages are only touched as they fill: a ring wraps, so a busy
 * log touches all of it sooner or later.
 */
export function logBytesFor(capacity: number): number {
  return capacity + OffsetIndex.bytesFor(defaultIndexCapacity(capacity)) + HEADER_BYTES
}

export function checkCapacities(capacity: unknown, indexCapacity: unknown): void {
  if (!isLogCapacity(capacity)) {
    throw new InvalidArgumentError(
      `log capacity must be ${LOG_CAPACITY_RULE}, got ${String(capacity)}`,
    )
  }
  if (!isPowerOfTwo(indexCapacity) || indexCapacity > MAX_CAPACITY) {
    throw new InvalidArgumentError(
      `index capacity must be a power of two, got ${String(indexCapacity)}`,
    )
  }
}

export function outOfRange(offset: number, logStart: number, logEnd: number): KafkaProtocolError {
  return new KafkaProtocolError(
    'OFFSET_OUT_OF_RANGE',
    `offset ${offset} is outside the log [${logStart}, ${logEnd}]`,
  )
}
