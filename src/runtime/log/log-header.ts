import { InvalidArgumentError } from '../errors/samsa-error.js'

/*
 * The shared header of a partition log: counters that the one writer publishes and any
 * reader on any thread loads with Atomics. Each sits on its own 64-byte cache line so a
 * reader polling one does not slow the writer bumping another.
 *
 * 64-bit counters (offsets, byte positions, batch numbers) live in a BigInt64Array: Atomics
 * on it are the only way to publish 64 bits at once. They are converted to JS numbers once
 * per batch or per read, never per record, and never wrap (they are exact to 2^53).
 */
const CACHE_LINE = 64
const BIGINTS_PER_LINE = CACHE_LINE / 8
const INT32S_PER_LINE = CACHE_LINE / 4

/** Lines holding 64-bit counters. */
export const Counter = {
  LogStartOffset: 0,
  LogEndOffset: 1,
  HighWatermark: 2,
  /** Ring byte position (a running count, not wrapped) of the first retained batch. */
  StartBytePosition: 3,
  /** Ring byte position just past the last batch. */
  EndBytePosition: 4,
  /** Running number of the first retained batch: its slot in the offset index. */
  FirstBatch: 5,
  /** Running number one past the last batch. */
  EndBatch: 6,
  /**
   * The first offset of the oldest transaction still open (no marker yet), or
   * NO_UNSTABLE_OFFSET: a read-committed reader stops at it (or at the high watermark before).
   */
  FirstUnstableOffset: 12,
  /** Running numbers of the first kept and one past the last aborted-transaction entry. */
  AbortedStart: 13,
  AbortedEnd: 14,
} as const
export type Counter = (typeof Counter)[keyof typeof Counter]

/** Lines holding 32-bit words. */
export const Word = {
  LeaderEpoch: 7,
  State: 8,
  /** Bumped on every change a waiting reader may care about; readers wait on it. */
  Notify: 9,
  /** Readers currently waiting, so that the writer only calls Atomics.notify when needed. */
  Waiters: 10,
  /** Bumped before a truncation or reset: a read that spans one is discarded and retried. */
  Truncations: 11,
} as const
export type Word = (typeof Word)[keyof typeof Word]

const COUNTER_LINES = 15

/** What FirstUnstableOffset holds while no transaction is open. */
export const NO_UNSTABLE_OFFSET = Number.MAX_SAFE_INTEGER

/** Entries of the aborted-transaction ring that follows the counters (see AbortedTransactions). */
export const ABORTED_TRANSACTION_ENTRIES = 256
/** An entry: producer id, first offset, marker offset, as float64s (safe integers). */
export const ABORTED_TRANSACTION_FIELDS = 3
export const ABORTED_TRANSACTIONS_OFFSET = COUNTER_LINES * CACHE_LINE

export const HEADER_BYTES =
  ABORTED_TRANSACTIONS_OFFSET +
  ABORTED_TRANSACTION_ENTRIES * ABORTED_TRANSACTION_FIELDS * Float64Array.BYTES_PER_ELEMENT

export const LogState = { Active: 0, Fenced: 1, Closed: 2 } as const
export type LogState = (typeof LogState)[keyof typeof LogState]

export class LogHeader {
  readonly buffer: SharedArrayBuffer
  private readonly counters: BigInt64Array
  readonly words: Int32Array

  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== HEADER_BYTES) {
      throw new InvalidArgumentError(`a log header is a SharedArrayBuffer of ${HEADER_BYTES} bytes`)
    }
    this.buffer = buffer
    this.counters = new BigInt64Array(buffer)
    this.words = new Int32Array(buffer)
  }

  static allocate(): LogHeader {
    return new LogHeader(new SharedArrayBuffer(HEADER_BYTES))
  }

  load(counter: Counter): number {
    return Number(Atomics.load(this.counters, counter * BIGINTS_PER_LINE))
  }

  store(counter: Counter, value: number): void {
    Atomics.store(this.counters, counter * BIGINTS_PER_LINE, BigInt(value))
  }

  loadWord(word: Word): number {
    return Atomics.load(this.words, word * INT32S_PER_LINE)
  }

  storeWord(word: Word, value: number): void {
    Atomics.store(this.words, word * INT32S_PER_LINE, value)
  }

  addWord(word: Word, delta: number): void {
    Atomics.add(this.words, word * INT32S_PER_LINE, delta)
  }

  /** Index into `words` of a 32-bit word, for Atomics.wait / notify. */
  static wordIndex(word: Word): number {
    return word * INT32S_PER_LINE
  }
}
