import { InvalidArgumentError, KafkaProtocolError } from '../errors/samsa-error.js'
import { type Offset, toLeaderEpoch, toOffset } from '../ids.js'
import type { AbortedTransaction } from './aborted-transactions.js'
import { readInt32, readInt64, writeInt32, writeInt64 } from './big-endian.js'
import { Counter, LogHeader, LogState, NO_UNSTABLE_OFFSET, Word } from './log-header.js'
import {
  APPEND_SIGNAL_BYTES,
  align8,
  checkCapacities,
  defaultIndexCapacity,
  type PartitionLogHandle,
  type PartitionLogOptions,
} from './log-layout.js'
import { OffsetIndex } from './offset-index.js'
import { PartitionLogReader } from './partition-log-reader.js'
import {
  BATCH_BASE_OFFSET,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_MAX_TIMESTAMP,
  BATCH_PARTITION_LEADER_EPOCH,
  checkRecordBatch,
} from './record-batch-codec.js'

/* The writer of a partition log; partition-log-reader.ts says how writer and readers agree. */

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
