import { type Clock, SystemClock } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { AbortedTransaction } from '../../runtime/log/aborted-transactions.js'
import { readInt64 } from '../../runtime/log/big-endian.js'
import { isControlBatch, isTransactionalBatch } from '../../runtime/log/control-batch.js'
import { LogHeader, LogState, Word } from '../../runtime/log/log-header.js'
import type { LogReadResult, PartitionLogHandle, ReadLimit } from '../../runtime/log/log-layout.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import { BATCH_BASE_OFFSET, BATCH_PRODUCER_ID } from '../../runtime/log/record-batch-codec.js'
import { type WaitWord, waitUntil } from '../../runtime/log/wait.js'

/** Where a position goes when a partition has none, or when it falls outside the log. */
export type ResetPolicy = 'earliest' | 'latest'

/**
 * Kafka's isolation levels: read committed stops at the last stable offset and leaves out
 * aborted transactions' records; read uncommitted reads to the high watermark.
 */
export type ReadIsolation = 'read-committed' | 'read-uncommitted'

/** A position to move to: an offset, or one end of the log (Kafka's -2 and -1). */
export type SeekTarget = number | ResetPolicy

/**
 * A reader of a leader's log whose waits this thread can cut short. `waitForData` cannot be
 * cancelled, and a consumer that stops, seeks or resumes must not sit out its max wait first.
 */
export class InterruptibleLogReader extends PartitionLogReader {
  readonly #waitWord: WaitWord

  private constructor(handle: PartitionLogHandle) {
    super(handle)
    this.#waitWord = {
      words: this.header.words,
      notifyIndex: LogHeader.wordIndex(Word.Notify),
      waitersIndex: LogHeader.wordIndex(Word.Waiters),
    }
  }

  /** Opens a handle that may have come from another thread (so it is checked). */
  static override open(handle: unknown): InterruptibleLogReader {
    return new InterruptibleLogReader(PartitionLogReader.open(handle).handle())
  }

  /** Whether `handle` (as a metadata reply carries it) is this reader's log. */
  sameLog(handle: unknown): boolean {
    return (
      typeof handle === 'object' &&
      handle !== null &&
      (handle as { readonly header?: unknown }).header === this.header.buffer
    )
  }

  /**
   * As `waitForData` (true once a read from `offset` has something, or the log stopped being
   * active; false after `timeoutMs`), but also true once `interrupted()` holds and
   * `interrupt()` is called.
   */
  waitForDataOr(
    offset: number,
    timeoutMs: number,
    interrupted: () => boolean,
    clock: Clock = new SystemClock(),
    upTo: ReadLimit = 'high-watermark',
  ): Promise<boolean> {
    return waitUntil(
      this.#waitWord,
      () => interrupted() || this.limitOf(upTo) > offset || this.state !== LogState.Active,
      timeoutMs,
      clock,
    )
  }

  /**
   * Wakes the waiters on this log. Waiters on other threads (replica fetchers, other
   * consumers) wake too; each re-checks its own condition and sleeps again.
   */
  interrupt(): void {
    Atomics.notify(this.#waitWord.words, this.#waitWord.notifyIndex)
  }
}

/** What one read of a partition gave: whole RecordBatch v2 batches, up to the high watermark. */
export interface FetchedPartition {
  readonly topic: string
  readonly partition: number
  /** Where the read started; the first batch may hold earlier records, to be skipped. */
  readonly fetchOffset: number
  /** Where the next read continues if everything here is processed. */
  readonly nextOffset: number
  readonly highWatermark: number
  readonly logStartOffset: number
  readonly batches: readonly Uint8Array[]
  /** The fetcher's seek generation at the read: a seek since then makes these stale. */
  readonly generation: number
  /** False once the writer may have overwritten the batches (only zero-copy reads can be). */
  readonly isIntact: () => boolean
}

const alwaysIntact = () => true

/**
 * The batches a read-committed reader keeps: all but the data of aborted transactions (a
 * producer's batch that lies between its aborted transaction's first offset and its marker).
 */
export function withoutAborted(
  batches: readonly Uint8Array[],
  aborted: readonly AbortedTransaction[],
): readonly Uint8Array[] {
  if (aborted.length === 0) return batches
  return batches.filter((batch) => {
    if (!isTransactionalBatch(batch) || isControlBatch(batch)) return true
    const producerId = readInt64(batch, BATCH_PRODUCER_ID)
    const baseOffset = readInt64(batch, BATCH_BASE_OFFSET)
    return !aborted.some(
      (entry) =>
        entry.producerId === producerId &&
        entry.firstOffset <= baseOffset &&
        baseOffset < entry.lastOffset,
    )
  })
}
// An eviction racing each reset could go on for ever; past this the error goes up.
const MAX_RESETS_PER_READ = 4

/**
 * One assigned partition: its fetch position and the leader's log it reads from, straight
 * from shared memory.
 */
export class PartitionFetcher {
  #reader: InterruptibleLogReader
  #position: number
  #generation = 0
  #highWatermark: number

  constructor(
    readonly topic: string,
    readonly partition: number,
    reader: InterruptibleLogReader,
    readonly resetPolicy: ResetPolicy,
    start: SeekTarget,
    readonly isolation: ReadIsolation = 'read-committed',
  ) {
    this.#reader = reader
    this.#highWatermark = reader.highWatermark
    this.#position = this.#resolve(start)
  }

  get position(): number {
    return this.#position
  }

  /** Bumped by every seek and reset; batches read under an older generation are stale. */
  get generation(): number {
    return this.#generation
  }

  get highWatermark(): number {
    return this.#highWatermark
  }

  get reader(): InterruptibleLogReader {
    return this.#reader
  }

  /** Whether the log can be read: false once its leader is fenced or it is closed. */
  get available(): boolean {
    return this.#reader.state === LogState.Active
  }

  /** Points the fetcher at a new leader's log (after a failover), keeping its position. */
  replaceLog(reader: InterruptibleLogReader): void {
    this.#reader = reader
  }

  seek(target: SeekTarget): void {
    this.#position = this.#resolve(target)
    this.#generation++
  }

  /**
   * Moves the position on after records were processed, unless a seek moved it meanwhile
   * (the seek wins, as in KafkaJS).
   */
  advance(generation: number, nextOffset: number): void {
    if (generation === this.#generation) this.#position = nextOffset
  }

  /**
   * Reads whole batches from the position: copies, unless `zeroCopy`. Null when nothing is
   * readable. A position outside the log (evicted, or past its end) is reset by the policy.
   * Throws NOT_LEADER_OR_FOLLOWER or KAFKA_STORAGE_ERROR when the log is fenced or closed.
   */
  read(maxBytes: number, zeroCopy: boolean): FetchedPartition | null {
    for (let resets = 0; ; resets++) {
      let result: LogReadResult
      try {
        result = this.#reader.read(this.#position, maxBytes, { zeroCopy, upTo: this.readLimit })
      } catch (error) {
        if (
          resets < MAX_RESETS_PER_READ &&
          error instanceof KafkaProtocolError &&
          error.type === 'OFFSET_OUT_OF_RANGE'
        ) {
          this.seek(this.resetPolicy)
          continue
        }
        throw error
      }
      this.#highWatermark = result.highWatermark
      if (result.batches.length === 0) return null
      const reader = this.#reader
      const batches =
        this.isolation === 'read-committed'
          ? withoutAborted(
              result.batches,
              reader.abortedTransactions(this.#position, result.nextOffset),
            )
          : result.batches
      return {
        topic: this.topic,
        partition: this.partition,
        fetchOffset: this.#position,
        nextOffset: result.nextOffset,
        highWatermark: result.highWatermark,
        logStartOffset: result.logStartOffset,
        batches,
        generation: this.#generation,
        isIntact: zeroCopy ? () => reader.isIntact(result) : alwaysIntact,
      }
    }
  }

  /** How far this fetcher's reads and waits go. */
  get readLimit(): ReadLimit {
    return this.isolation === 'read-committed' ? 'last-stable' : 'high-watermark'
  }

  #resolve(target: SeekTarget): number {
    if (target === 'earliest') return this.#reader.logStartOffset
    // Kafka's "latest": the last stable offset read committed, the high watermark otherwise.
    if (target === 'latest') return this.#reader.limitOf(this.readLimit)
    return target
  }
}
