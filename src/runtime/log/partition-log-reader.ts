import { type Clock, SystemClock } from '../clock/clock.js'
import { InvalidArgumentError, KafkaProtocolError, SamsaError } from '../errors/samsa-error.js'
import { type LeaderEpoch, type Offset, toOffset } from '../ids.js'
import { type AbortedTransaction, AbortedTransactions } from './aborted-transactions.js'
import { readInt32, readInt64 } from './big-endian.js'
import { Counter, LogHeader, LogState, Word } from './log-header.js'
import {
  APPEND_SIGNAL_BYTES,
  align8,
  appendSignalWord,
  checkCapacities,
  type LogReadResult,
  outOfRange,
  type PartitionLogHandle,
  parseLogHandle,
  type ReadLimit,
  type ReadOptions,
} from './log-layout.js'
import { OffsetIndex } from './offset-index.js'
import {
  BATCH_BASE_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  inflateRecordBatch,
} from './record-batch-codec.js'
import { forEachRecord } from './record-reader.js'
import { notifyChange, type WaitWord, waitUntil } from './wait.js'

/*
 * A partition log: record batches in a SharedArrayBuffer ring, one writer, any number of
 * readers on any thread.
 *
 * Batches sit 8-byte aligned (V8 copies between 8-aligned views word by word) and never
 * straddle the ring's end: a batch that would is placed at zero, and the tail is padding.
 * Byte positions are running counts (never wrapped); the ring slot is position mod capacity.
 *
 * Publication order (the writer), so that a reader that sees a counter also sees what it
 * covers:
 *   append:   evict (FirstBatch, then LogStartOffset, StartBytePosition) → copy the batch and
 *             its index entry → EndBatch, EndBytePosition, LogEndOffset → notify
 *   truncate: Truncations+1 → the lowered end counters → notify
 *
 * A reader validates seqlock style: it loads Truncations and the counters, copies (or views)
 * the batches, then loads FirstBatch and Truncations again. Eviction publishes FirstBatch
 * before the writer overwrites anything, so if the copy saw overwritten bytes, the second
 * load sees the eviction and the read answers OFFSET_OUT_OF_RANGE; a changed Truncations
 * makes it start over. The plain reads of the copy cannot move past the Atomics load that
 * follows them (Atomics are sequentially consistent, and on x86 loads are not reordered
 * with loads).
 */

export const DEFAULT_READ: ReadOptions = {}
// A read that keeps meeting a truncation gives up rather than spin forever.
const MAX_READ_ATTEMPTS = 64

/** Reads a partition log. Holds only the shared buffers, so it works on any thread. */
export class PartitionLogReader {
  readonly capacity: number
  protected readonly header: LogHeader
  protected readonly index: OffsetIndex
  protected readonly data: Uint8Array
  private readonly waitWord: WaitWord
  /** Bumped by the writer's broker after its appends (see PartitionLogHandle.appendSignal). */
  readonly appendSignal: WaitWord
  protected readonly aborted: AbortedTransactions

  protected constructor(handle: PartitionLogHandle) {
    checkCapacities(handle.capacity, handle.indexCapacity)
    if (!(handle.data instanceof SharedArrayBuffer) || handle.data.byteLength !== handle.capacity) {
      throw new InvalidArgumentError(
        `log data must be a SharedArrayBuffer of ${handle.capacity} bytes`,
      )
    }
    this.capacity = handle.capacity
    this.header = new LogHeader(handle.header)
    this.index = new OffsetIndex(handle.index, handle.indexCapacity)
    this.data = new Uint8Array(handle.data)
    this.aborted = new AbortedTransactions(this.header)
    this.waitWord = {
      words: this.header.words,
      notifyIndex: LogHeader.wordIndex(Word.Notify),
      waitersIndex: LogHeader.wordIndex(Word.Waiters),
    }
    if (
      !(handle.appendSignal instanceof SharedArrayBuffer) ||
      handle.appendSignal.byteLength < APPEND_SIGNAL_BYTES
    ) {
      throw new InvalidArgumentError(
        `a log's append signal must be a SharedArrayBuffer of ${APPEND_SIGNAL_BYTES} bytes`,
      )
    }
    this.appendSignal = appendSignalWord(handle.appendSignal)
  }

  /** Reopens a log from a handle that may have come from another thread (so it is checked). */
  static open(handle: unknown): PartitionLogReader {
    return new PartitionLogReader(parseLogHandle(handle))
  }

  /** A plain object of the shared buffers: postMessage it to hand the log to another thread. */
  handle(): PartitionLogHandle {
    return {
      header: this.header.buffer,
      data: this.data.buffer as SharedArrayBuffer,
      index: this.index.buffer,
      capacity: this.capacity,
      indexCapacity: this.index.capacity,
      appendSignal: this.appendSignal.words.buffer as SharedArrayBuffer,
    }
  }

  get logStartOffset(): Offset {
    return this.header.load(Counter.LogStartOffset) as Offset
  }

  get logEndOffset(): Offset {
    return this.header.load(Counter.LogEndOffset) as Offset
  }

  get highWatermark(): Offset {
    return this.header.load(Counter.HighWatermark) as Offset
  }

  /**
   * Kafka's last stable offset: read-committed readers see offsets below it only. The high
   * watermark, or before it the first offset of the oldest transaction still open.
   */
  get lastStableOffset(): Offset {
    return Math.min(
      this.header.load(Counter.HighWatermark),
      this.header.load(Counter.FirstUnstableOffset),
    ) as Offset
  }

  /** The aborted transactions with data in [fromOffset, toOffset) (see AbortedTransactions). */
  abortedTransactions(fromOffset: number, toOffset: number): AbortedTransaction[] {
    return this.aborted.overlapping(fromOffset, toOffset)
  }

  get leaderEpoch(): LeaderEpoch {
    return this.header.loadWord(Word.LeaderEpoch) as LeaderEpoch
  }

  get state(): LogState {
    return this.header.loadWord(Word.State) as LogState
  }

  /**
   * Whole batches from the one holding `fromOffset`, up to the high watermark (or the log
   * end), stopping before `maxBytes` would be passed, but always at least one batch if one is
   * readable, however big (as Kafka does). Also stops where the ring wraps: the next read
   * continues from `nextOffset`. Throws OFFSET_OUT_OF_RANGE when `fromOffset` is before the
   * log start (or was evicted during the read) or past the log end.
   */
  read(fromOffset: number, maxBytes: number, options: ReadOptions = DEFAULT_READ): LogReadResult {
    toOffset(fromOffset, 'fetch offset')
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new InvalidArgumentError(`maxBytes must be a non-negative integer, got ${maxBytes}`)
    }
    const header = this.header
    const index = this.index
    const capacity = this.capacity
    const upTo = options.upTo ?? 'high-watermark'
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const truncations = header.loadWord(Word.Truncations)
      this.checkActive()
      const logEnd = header.load(Counter.LogEndOffset)
      const highWatermark = header.load(Counter.HighWatermark)
      const limit =
        upTo === 'log-end'
          ? logEnd
          : upTo === 'last-stable'
            ? Math.min(highWatermark, header.load(Counter.FirstUnstableOffset))
            : highWatermark
      const endBatch = header.load(Counter.EndBatch)
      const firstBatch = header.load(Counter.FirstBatch)
      const logStart = header.load(Counter.LogStartOffset)
      const empty = {
        batches: [],
        nextOffset: fromOffset as Offset,
        logStartOffset: logStart as Offset,
        highWatermark: highWatermark as Offset,
        logEndOffset: logEnd as Offset,
        firstBatch: endBatch,
        truncations,
      }
      if (fromOffset < logStart || fromOffset > logEnd) {
        if (header.loadWord(Word.Truncations) !== truncations) continue
        throw outOfRange(fromOffset, logStart, logEnd)
      }
      if (fromOffset >= limit) return empty

      const first = index.findByOffset(firstBatch, endBatch, fromOffset)
      const starts: number[] = []
      const lengths: number[] = []
      let startPosition = 0
      let position = 0
      let nextOffset = fromOffset
      let total = 0
      if (first >= firstBatch) {
        startPosition = index.bytePosition(first)
        position = startPosition
        // Returned batches are one contiguous stretch of the ring: stop at its physical end,
        // also when a batch ends exactly there and the next starts at zero with no padding.
        const room = capacity - (startPosition % capacity)
        for (let batch = first; batch < endBatch; batch++) {
          const batchNext = index.nextOffset(batch)
          const batchPosition = index.bytePosition(batch)
          if (batchNext > limit || batchPosition !== position) break
          const slot = batchPosition % capacity
          const length = readInt32(this.data, slot + BATCH_LENGTH) + BATCH_LOG_OVERHEAD
          // A length that cannot be is an overwrite in progress; validation below decides.
          if (length < BATCH_HEADER_SIZE || batchPosition - startPosition + length > room) break
          if (starts.length > 0 && total + length > maxBytes) break
          starts.push(batchPosition - startPosition)
          lengths.push(length)
          total += length
          position = batchPosition + align8(length)
          nextOffset = batchNext
        }
      }

      const regionStart = startPosition % capacity
      const batches: Uint8Array[] = []
      for (let i = 0; i < starts.length; i++) {
        const start = regionStart + (starts[i] as number)
        const view = this.data.subarray(start, start + (lengths[i] as number))
        if (options.zeroCopy) batches.push(view)
        else {
          // A buffer per batch, filled by set (slice from shared memory is slower, and the
          // copy need not be zeroed): batch-sized buffers come from memory the allocator
          // reuses, where one big region would be fresh pages, which cost more than the copy.
          const copy = new Uint8Array(Buffer.allocUnsafeSlow(view.length).buffer)
          copy.set(view)
          batches.push(copy)
        }
      }
      const holdsOffset = batches.length > 0 && batchHolds(batches[0] as Uint8Array, fromOffset)

      if (header.loadWord(Word.Truncations) !== truncations) continue
      if (header.load(Counter.FirstBatch) > first || first < firstBatch) {
        throw outOfRange(
          fromOffset,
          header.load(Counter.LogStartOffset),
          header.load(Counter.LogEndOffset),
        )
      }
      if (batches.length === 0) return empty
      if (!holdsOffset) continue
      return {
        batches,
        nextOffset: nextOffset as Offset,
        logStartOffset: logStart as Offset,
        highWatermark: highWatermark as Offset,
        logEndOffset: logEnd as Offset,
        firstBatch: first,
        truncations,
      }
    }
    throw new SamsaError(`a read at offset ${fromOffset} kept racing truncations; try again`, {
      retriable: true,
    })
  }

  /** Whether the batches of a zero-copy read are still what was read (none overwritten). */
  isIntact(result: LogReadResult): boolean {
    return (
      this.header.load(Counter.FirstBatch) <= result.firstBatch &&
      this.header.loadWord(Word.Truncations) === result.truncations
    )
  }

  /**
   * The offset of the first record whose timestamp is at least `timestamp` (Kafka's
   * ListOffsets by time), or null if no readable record is that recent.
   */
  offsetForTimestamp(timestamp: number, options: ReadOptions = DEFAULT_READ): Offset | null {
    if (!Number.isSafeInteger(timestamp)) {
      throw new InvalidArgumentError(`timestamp must be a safe integer, got ${timestamp}`)
    }
    const endBatch = this.header.load(Counter.EndBatch)
    const found = this.index.findByTimestamp(
      this.header.load(Counter.FirstBatch),
      endBatch,
      timestamp,
    )
    if (found >= endBatch) return null
    let offset = this.index.baseOffset(found)
    // The index's running maximum can point at a batch just before the one holding the
    // record (after eviction, or when timestamps go backwards): walk forward batch by batch.
    for (;;) {
      const readable = Math.max(this.logStartOffset, offset)
      const result = this.read(readable, 1, { upTo: options.upTo ?? 'high-watermark' })
      const batch = result.batches[0]
      if (batch === undefined) return null
      let match = -1
      forEachRecord(inflateRecordBatch(batch), (record) => {
        if (match < 0 && record.timestamp >= timestamp && record.offset >= readable)
          match = record.offset
      })
      if (match >= 0) return match as Offset
      offset = result.nextOffset
    }
  }

  /**
   * Resolves true once a read from `offset` has something to return (or the log is no longer
   * active, so the read would throw), false after `timeoutMs`. Does not block the event loop.
   */
  waitForData(
    offset: number,
    timeoutMs: number,
    options: ReadOptions & {
      readonly spinIterations?: number
      readonly clock?: Clock
    } = DEFAULT_READ,
  ): Promise<boolean> {
    toOffset(offset)
    const header = this.header
    const upTo = options.upTo ?? 'high-watermark'
    return waitUntil(
      this.waitWord,
      () => this.limitOf(upTo) > offset || header.loadWord(Word.State) !== LogState.Active,
      timeoutMs,
      options.clock ?? new SystemClock(),
      options.spinIterations ?? 0,
    )
  }

  /** Where a read with this limit stops now. */
  limitOf(upTo: ReadLimit): number {
    if (upTo === 'log-end') return this.header.load(Counter.LogEndOffset)
    return upTo === 'last-stable' ? this.lastStableOffset : this.header.load(Counter.HighWatermark)
  }

  protected checkActive(): void {
    const state = this.header.loadWord(Word.State)
    if (state === LogState.Active) return
    if (state === LogState.Closed) {
      throw new KafkaProtocolError('KAFKA_STORAGE_ERROR', 'the partition log is closed')
    }
    throw new KafkaProtocolError('NOT_LEADER_OR_FOLLOWER', 'the partition log is fenced')
  }

  protected notifyReaders(): void {
    notifyChange(this.waitWord)
  }
}

function batchHolds(batch: Uint8Array, offset: number): boolean {
  const base = readInt64(batch, BATCH_BASE_OFFSET)
  return base <= offset && offset <= base + readInt32(batch, BATCH_LAST_OFFSET_DELTA)
}
