import { type Clock, SystemClock } from '../clock/clock.js'
import { InvalidArgumentError, KafkaProtocolError, SamsaError } from '../errors/samsa-error.js'
import { type LeaderEpoch, type Offset, toLeaderEpoch, toOffset } from '../ids.js'
import { type AbortedTransaction, AbortedTransactions } from './aborted-transactions.js'
import { readInt32, readInt64, writeInt32, writeInt64 } from './big-endian.js'
import {
  Counter,
  HEADER_BYTES,
  LogHeader,
  LogState,
  NO_UNSTABLE_OFFSET,
  Word,
} from './log-header.js'
import { OffsetIndex } from './offset-index.js'
import {
  BATCH_BASE_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAX_TIMESTAMP,
  BATCH_PARTITION_LEADER_EPOCH,
  checkRecordBatch,
  forEachRecord,
  inflateRecordBatch,
} from './record-batch-codec.js'
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

const DEFAULT_READ: ReadOptions = {}
const MIN_CAPACITY = 256
const MAX_CAPACITY = 2 ** 30
// A read that keeps meeting a truncation gives up rather than spin forever.
const MAX_READ_ATTEMPTS = 64

const align8 = (bytes: number): number => (bytes + 7) & ~7

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

const defaultIndexCapacity = (capacity: number): number => Math.max(8, Math.floor(capacity / 64))

/**
 * The shared memory a new log of `capacity` takes: its ring, its offset index and its header.
 * The whole of it counts, though pages are only touched as they fill: a ring wraps, so a busy
 * log touches all of it sooner or later.
 */
export function logBytesFor(capacity: number): number {
  return capacity + OffsetIndex.bytesFor(defaultIndexCapacity(capacity)) + HEADER_BYTES
}

function checkCapacities(capacity: unknown, indexCapacity: unknown): void {
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

function outOfRange(offset: number, logStart: number, logEnd: number): KafkaProtocolError {
  return new KafkaProtocolError(
    'OFFSET_OUT_OF_RANGE',
    `offset ${offset} is outside the log [${logStart}, ${logEnd}]`,
  )
}

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

/**
 * The writer's side of a partition log (it can read too). Only one thread may hold it.
 * Its counters are cached in fields; the shared header is written, never read back.
 */
export class PartitionLog extends PartitionLogReader {
  private readonly retentionBytes: number
  private readonly retentionMs: number
  private readonly verifyCrc: boolean
  private readonly now: () => number
  private logStart: number
  private logEnd: number
  private highWatermarkValue: number
  private firstBatch = 0
  private endBatch = 0
  private startByte = 0
  private endByte = 0
  private runningMaxTimestamp = Number.NEGATIVE_INFINITY
  private epoch: number

  /**
   * A new, empty log; or, given `existing` (another writer's handle, that writer gone), the
   * same log taken over where it stands — a broker restarted with its storage kept.
   */
  constructor(options: PartitionLogOptions, existing?: PartitionLogHandle) {
    const capacity = existing?.capacity ?? options.capacity
    const indexCapacity =
      existing?.indexCapacity ?? options.indexCapacity ?? defaultIndexCapacity(capacity)
    checkCapacities(capacity, indexCapacity)
    const appendSignal =
      options.appendSignal ?? existing?.appendSignal ?? new SharedArrayBuffer(APPEND_SIGNAL_BYTES)
    super(
      existing === undefined
        ? {
            header: LogHeader.allocate().buffer,
            data: new SharedArrayBuffer(capacity),
            index: OffsetIndex.allocate(indexCapacity).buffer,
            capacity,
            indexCapacity,
            appendSignal,
          }
        : { ...existing, appendSignal },
    )
    const retentionBytes = options.retentionBytes ?? capacity
    if (!Number.isInteger(retentionBytes) || retentionBytes <= 0 || retentionBytes > capacity) {
      throw new InvalidArgumentError(`retentionBytes must be an integer from 1 to ${capacity}`)
    }
    const retentionMs = options.retentionMs ?? Number.POSITIVE_INFINITY
    if (!(retentionMs >= 0)) throw new InvalidArgumentError('retentionMs must be ≥ 0')
    this.retentionBytes = retentionBytes
    this.retentionMs = retentionMs
    this.verifyCrc = options.verifyCrc ?? false
    this.now = options.now ?? Date.now
    if (existing !== undefined) {
      this.logStart = this.header.load(Counter.LogStartOffset)
      this.logEnd = this.header.load(Counter.LogEndOffset)
      this.highWatermarkValue = this.header.load(Counter.HighWatermark)
      this.firstBatch = this.header.load(Counter.FirstBatch)
      this.endBatch = this.header.load(Counter.EndBatch)
      this.startByte = this.header.load(Counter.StartBytePosition)
      this.endByte = this.header.load(Counter.EndBytePosition)
      this.runningMaxTimestamp =
        this.endBatch > this.firstBatch
          ? this.index.runningMaxTimestamp(this.endBatch - 1)
          : Number.NEGATIVE_INFINITY
      this.epoch = this.header.loadWord(Word.LeaderEpoch)
      this.header.storeWord(Word.State, LogState.Active)
      return
    }
    this.logStart = toOffset(options.startOffset ?? 0, 'start offset')
    this.logEnd = this.logStart
    this.highWatermarkValue = this.logStart
    this.epoch = toLeaderEpoch(options.leaderEpoch ?? 0)
    this.header.store(Counter.LogStartOffset, this.logStart)
    this.header.store(Counter.LogEndOffset, this.logEnd)
    this.header.store(Counter.HighWatermark, this.highWatermarkValue)
    this.header.store(Counter.FirstUnstableOffset, NO_UNSTABLE_OFFSET)
    this.header.storeWord(Word.LeaderEpoch, this.epoch)
    this.header.storeWord(Word.State, LogState.Active)
  }

  /**
   * Appends one RecordBatch v2, assigning its offsets: patches its base offset (to the log
   * end) and partition leader epoch in the ring's copy (the caller's bytes are untouched).
   * Evicts the oldest batches as the ring or retention requires. Returns the base offset.
   * With `commit`, the high watermark moves to the new log end in the same publication (one
   * wake-up for readers instead of two): a leader with no followers to wait for.
   */
  append(batch: Uint8Array, options: { readonly commit?: boolean } = {}): Offset {
    return this.write(batch, false, options.commit === true)
  }

  /**
   * Appends a batch copied from the leader's log, as it is: it keeps the offsets and leader
   * epoch the leader gave it, so its base offset must be this log's end.
   */
  appendReplica(batch: Uint8Array): Offset {
    return this.write(batch, true, false)
  }

  private write(batch: Uint8Array, asReplica: boolean, commit: boolean): Offset {
    this.checkActive()
    if (!(batch instanceof Uint8Array))
      throw new InvalidArgumentError('a batch must be a Uint8Array')
    checkRecordBatch(batch, this.verifyCrc)
    const length = batch.length
    const slotBytes = align8(length)
    const capacity = this.capacity
    if (slotBytes > capacity) {
      throw new KafkaProtocolError(
        'RECORD_LIST_TOO_LARGE',
        `a batch of ${length} bytes cannot fit in a log of ${capacity} bytes`,
      )
    }
    const baseOffset = this.logEnd
    if (asReplica && readInt64(batch, BATCH_BASE_OFFSET) !== baseOffset) {
      throw new InvalidArgumentError(
        `a replicated batch must start at the log end ${baseOffset}, not ${readInt64(batch, BATCH_BASE_OFFSET)}`,
      )
    }
    const nextOffset = baseOffset + readInt32(batch, BATCH_LAST_OFFSET_DELTA) + 1
    let position = this.endByte
    const tail = capacity - (position % capacity)
    if (slotBytes > tail) position += tail
    const maxTimestamp = readInt64(batch, BATCH_MAX_TIMESTAMP)

    this.evict(position + slotBytes)

    const slot = position % capacity
    const data = this.data
    data.set(batch, slot)
    if (!asReplica) {
      writeInt64(data, slot + BATCH_BASE_OFFSET, baseOffset)
      writeInt32(data, slot + BATCH_PARTITION_LEADER_EPOCH, this.epoch)
    }
    if (maxTimestamp > this.runningMaxTimestamp) this.runningMaxTimestamp = maxTimestamp
    this.index.write(
      this.endBatch,
      baseOffset,
      nextOffset,
      position,
      maxTimestamp,
      this.runningMaxTimestamp,
    )
    this.endBatch++
    this.endByte = position + slotBytes
    this.logEnd = nextOffset
    this.header.store(Counter.EndBatch, this.endBatch)
    this.header.store(Counter.EndBytePosition, this.endByte)
    this.header.store(Counter.LogEndOffset, nextOffset)
    if (commit) {
      this.highWatermarkValue = nextOffset
      this.header.store(Counter.HighWatermark, nextOffset)
    }
    this.notifyReaders()
    return baseOffset as Offset
  }

  /** Sets the high watermark (what consumers may read up to): from log start to log end. */
  setHighWatermark(offset: number): void {
    toOffset(offset, 'high watermark')
    if (offset > this.logEnd || offset < this.logStart) {
      throw new InvalidArgumentError(
        `the high watermark must lie in [${this.logStart}, ${this.logEnd}], got ${offset}`,
      )
    }
    this.highWatermarkValue = offset
    this.header.store(Counter.HighWatermark, offset)
    this.notifyReaders()
  }

  /**
   * Where the oldest open transaction starts (undefined: none is open), for read-committed
   * readers. The leader's transaction table keeps it.
   */
  setFirstUnstableOffset(offset: number | undefined): void {
    const value = offset ?? NO_UNSTABLE_OFFSET
    if (this.header.load(Counter.FirstUnstableOffset) === value) return
    this.header.store(Counter.FirstUnstableOffset, value)
    this.notifyReaders()
  }

  /**
   * Records an aborted transaction whose marker was just appended. When the index is full, the
   * log first evicts up to the marker of the entry that goes, so no reader of a batch still in
   * the log misses its abort.
   */
  addAbortedTransaction(aborted: AbortedTransaction): void {
    const overwritten = this.aborted.overwrittenMarker()
    if (overwritten !== undefined && overwritten >= this.logStart)
      this.evict(Number.NEGATIVE_INFINITY, overwritten + 1)
    this.aborted.add(aborted)
  }

  /** Replaces the transaction state readers see (a new leader, rebuilt from its log). */
  restoreTransactions(
    firstUnstable: number | undefined,
    aborted: readonly AbortedTransaction[],
  ): void {
    this.aborted.clear()
    for (const entry of aborted) this.addAbortedTransaction(entry)
    this.setFirstUnstableOffset(firstUnstable)
  }

  /** The epoch written into each batch appended from now on. */
  setLeaderEpoch(epoch: number): void {
    this.epoch = toLeaderEpoch(epoch)
    this.header.storeWord(Word.LeaderEpoch, this.epoch)
  }

  /** A stale leader's log: appends and reads answer NOT_LEADER_OR_FOLLOWER until `activate`. */
  fence(): void {
    this.setState(LogState.Fenced)
  }

  activate(): void {
    this.setState(LogState.Active)
  }

  /** For good: appends and reads answer KAFKA_STORAGE_ERROR, and waiters wake. */
  close(): void {
    this.setState(LogState.Closed)
  }

  /**
   * Drops every batch holding an offset ≥ `offset` (a follower dropping an uncommitted
   * suffix). As in Kafka, a batch that straddles `offset` goes whole, so the log end may end
   * up below `offset`; truncating to or before the log start empties the log there.
   */
  truncateTo(offset: number): void {
    toOffset(offset, 'truncation offset')
    this.checkNotClosed()
    if (offset >= this.logEnd) return
    if (offset <= this.logStart) {
      this.reset(offset)
      return
    }
    const keep = this.index.findByOffset(this.firstBatch, this.endBatch, offset)
    this.header.addWord(Word.Truncations, 1)
    this.endBatch = keep
    this.endByte = this.index.bytePosition(keep)
    this.logEnd = this.index.baseOffset(keep)
    this.runningMaxTimestamp =
      keep > this.firstBatch ? this.index.runningMaxTimestamp(keep - 1) : Number.NEGATIVE_INFINITY
    this.header.store(Counter.EndBatch, this.endBatch)
    this.header.store(Counter.EndBytePosition, this.endByte)
    this.header.store(Counter.LogEndOffset, this.logEnd)
    this.aborted.truncateTo(this.logEnd)
    if (this.highWatermarkValue > this.logEnd) {
      this.highWatermarkValue = this.logEnd
      this.header.store(Counter.HighWatermark, this.logEnd)
    }
    this.notifyReaders()
  }

  /** Empties the log; the next append gets `startOffset`. */
  reset(startOffset: number): void {
    toOffset(startOffset, 'start offset')
    this.checkNotClosed()
    this.header.addWord(Word.Truncations, 1)
    this.firstBatch = this.endBatch
    this.startByte = this.endByte
    this.logStart = startOffset
    this.logEnd = startOffset
    this.highWatermarkValue = startOffset
    this.runningMaxTimestamp = Number.NEGATIVE_INFINITY
    this.aborted.clear()
    this.header.store(Counter.FirstUnstableOffset, NO_UNSTABLE_OFFSET)
    this.header.store(Counter.FirstBatch, this.firstBatch)
    this.header.store(Counter.StartBytePosition, this.startByte)
    this.header.store(Counter.LogStartOffset, startOffset)
    this.header.store(Counter.LogEndOffset, startOffset)
    this.header.store(Counter.HighWatermark, startOffset)
    this.notifyReaders()
  }

  /**
   * When time retention will next evict something: the oldest batch goes once its newest
   * record is more than retentionMs old. Infinity with no retentionMs or no batch.
   */
  get expiresAt(): number {
    if (this.retentionMs === Number.POSITIVE_INFINITY || this.firstBatch >= this.endBatch) {
      return Number.POSITIVE_INFINITY
    }
    return this.index.maxTimestamp(this.firstBatch) + this.retentionMs + 1
  }

  /** Applies time retention now (appends apply it too); size retention needs no call. */
  enforceRetention(): void {
    this.checkNotClosed()
    this.evict(Number.NEGATIVE_INFINITY)
  }

  /**
   * Evicts from the front: batches in the way of a write that ends at byte `writeEnd`
   * (the ring, or retentionBytes, counting from there), batches past the index's room,
   * batches older than retentionMs, and batches that end by `evictBefore`. Publishes the new
   * front before anything is overwritten.
   */
  private evict(writeEnd: number, evictBefore = Number.NEGATIVE_INFINITY): void {
    const index = this.index
    const keepFrom = writeEnd - this.retentionBytes
    const indexRoom = writeEnd === Number.NEGATIVE_INFINITY ? index.capacity : index.capacity - 1
    const expiredBefore =
      this.retentionMs === Number.POSITIVE_INFINITY
        ? Number.NEGATIVE_INFINITY
        : this.now() - this.retentionMs
    let first = this.firstBatch
    const end = this.endBatch
    while (
      first < end &&
      (index.bytePosition(first) < keepFrom ||
        end - first > indexRoom ||
        index.maxTimestamp(first) < expiredBefore ||
        index.nextOffset(first) <= evictBefore)
    ) {
      first++
    }
    if (first === this.firstBatch) return
    this.firstBatch = first
    this.logStart = first < end ? index.baseOffset(first) : this.logEnd
    this.startByte = first < end ? index.bytePosition(first) : this.endByte
    this.header.store(Counter.FirstBatch, first)
    this.header.store(Counter.LogStartOffset, this.logStart)
    this.header.store(Counter.StartBytePosition, this.startByte)
    if (this.highWatermarkValue < this.logStart) {
      this.highWatermarkValue = this.logStart
      this.header.store(Counter.HighWatermark, this.logStart)
    }
  }

  private setState(state: LogState): void {
    this.checkNotClosed()
    this.header.storeWord(Word.State, state)
    this.notifyReaders()
  }

  private checkNotClosed(): void {
    if (this.header.loadWord(Word.State) === LogState.Closed) {
      throw new KafkaProtocolError('KAFKA_STORAGE_ERROR', 'the partition log is closed')
    }
  }
}
