import {
  ABORTED_TRANSACTION_ENTRIES,
  ABORTED_TRANSACTION_FIELDS,
  ABORTED_TRANSACTIONS_OFFSET,
  Counter,
  type LogHeader,
} from './log-header.js'

/*
 * Kafka's aborted-transaction index, in shared memory at the end of a log's header so that
 * read-committed consumers, which read the leader's ring themselves, find it where the log is.
 * A ring of entries in the order of their abort markers; Counter.AbortedStart and AbortedEnd
 * are running entry numbers. The writer never overwrites an entry whose marker is still in the
 * log (PartitionLog evicts up to that marker first), so an entry a reader needs is there.
 */

/** One aborted transaction of one producer: its data lies in [firstOffset, lastOffset). */
export interface AbortedTransaction {
  readonly producerId: number
  readonly firstOffset: number
  /** The offset of its abort marker. */
  readonly lastOffset: number
}

const PRODUCER_ID = 0
const FIRST_OFFSET = 1
const LAST_OFFSET = 2

export class AbortedTransactions {
  readonly #header: LogHeader
  readonly #entries: Float64Array

  constructor(header: LogHeader) {
    this.#header = header
    this.#entries = new Float64Array(
      header.buffer,
      ABORTED_TRANSACTIONS_OFFSET,
      ABORTED_TRANSACTION_ENTRIES * ABORTED_TRANSACTION_FIELDS,
    )
  }

  #slot(entry: number): number {
    return (entry % ABORTED_TRANSACTION_ENTRIES) * ABORTED_TRANSACTION_FIELDS
  }

  #entry(entry: number): AbortedTransaction {
    const at = this.#slot(entry)
    return {
      producerId: this.#entries[at + PRODUCER_ID] as number,
      firstOffset: this.#entries[at + FIRST_OFFSET] as number,
      lastOffset: this.#entries[at + LAST_OFFSET] as number,
    }
  }

  /** The aborted transactions with data in [fromOffset, toOffset), oldest marker first. */
  overlapping(fromOffset: number, toOffset: number): AbortedTransaction[] {
    const end = this.#header.load(Counter.AbortedEnd)
    const start = Math.max(
      this.#header.load(Counter.AbortedStart),
      end - ABORTED_TRANSACTION_ENTRIES,
    )
    const found: AbortedTransaction[] = []
    for (let entry = start; entry < end; entry++) {
      const aborted = this.#entry(entry)
      if (aborted.lastOffset >= fromOffset && aborted.firstOffset < toOffset) found.push(aborted)
    }
    return found
  }

  /** The marker offset of the entry the next `add` overwrites, when the ring is full. */
  overwrittenMarker(): number | undefined {
    const start = this.#header.load(Counter.AbortedStart)
    const end = this.#header.load(Counter.AbortedEnd)
    if (end - start < ABORTED_TRANSACTION_ENTRIES) return undefined
    return this.#entry(start).lastOffset
  }

  add(aborted: AbortedTransaction): void {
    const start = this.#header.load(Counter.AbortedStart)
    const end = this.#header.load(Counter.AbortedEnd)
    if (end - start >= ABORTED_TRANSACTION_ENTRIES) {
      this.#header.store(Counter.AbortedStart, start + 1)
    }
    const at = this.#slot(end)
    this.#entries[at + PRODUCER_ID] = aborted.producerId
    this.#entries[at + FIRST_OFFSET] = aborted.firstOffset
    this.#entries[at + LAST_OFFSET] = aborted.lastOffset
    this.#header.store(Counter.AbortedEnd, end + 1)
  }

  /** Drops the entries whose marker is at or past `logEnd` (a truncated log lost them). */
  truncateTo(logEnd: number): void {
    const start = this.#header.load(Counter.AbortedStart)
    let end = this.#header.load(Counter.AbortedEnd)
    while (end > start && this.#entry(end - 1).lastOffset >= logEnd) end--
    this.#header.store(Counter.AbortedEnd, end)
  }

  clear(): void {
    this.#header.store(Counter.AbortedStart, this.#header.load(Counter.AbortedEnd))
  }
}
