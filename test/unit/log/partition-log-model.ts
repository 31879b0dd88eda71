/**
 * A plain in-memory partition log: arrays and numbers, no shared memory, no index. It states
 * the rules (placement with padding at the wrap, eviction, truncation, reads) the way the
 * issue does, for the property test to hold the real log against.
 */
export interface ModelRecord {
  readonly offset: number
  readonly timestamp: number
  readonly value: readonly number[]
}

export interface ModelBatch {
  readonly baseOffset: number
  readonly nextOffset: number
  readonly position: number
  readonly length: number
  readonly maxTimestamp: number
  readonly epoch: number
  readonly records: readonly ModelRecord[]
}

export type ModelRead = { readonly outOfRange: true } | { readonly batches: readonly ModelBatch[] }

const align8 = (bytes: number) => (bytes + 7) & ~7

export class PartitionLogModel {
  batches: ModelBatch[] = []
  logStart: number
  logEnd: number
  highWatermark: number
  endByte = 0
  epoch = 0

  constructor(
    readonly capacity: number,
    readonly indexCapacity: number,
    readonly retentionBytes: number,
    readonly retentionMs: number,
    startOffset: number,
  ) {
    this.logStart = startOffset
    this.logEnd = startOffset
    this.highWatermark = startOffset
  }

  append(
    length: number,
    timestamps: readonly number[],
    values: readonly (readonly number[])[],
    now: number,
  ): number {
    const slot = align8(length)
    let position = this.endByte
    const tail = this.capacity - (position % this.capacity)
    if (slot > tail) position += tail
    this.evict(position + slot, now, this.indexCapacity - 1)
    const baseOffset = this.logEnd
    const records = timestamps.map((timestamp, i) => ({
      offset: baseOffset + i,
      timestamp,
      value: values[i] ?? [],
    }))
    this.batches.push({
      baseOffset,
      nextOffset: baseOffset + records.length,
      position,
      length,
      maxTimestamp: Math.max(...timestamps),
      epoch: this.epoch,
      records,
    })
    this.endByte = position + slot
    this.logEnd = baseOffset + records.length
    return baseOffset
  }

  enforceRetention(now: number): void {
    this.evict(Number.NEGATIVE_INFINITY, now, this.indexCapacity)
  }

  private evict(writeEnd: number, now: number, indexRoom: number): void {
    const before = this.batches.length
    while (this.batches.length > 0) {
      const first = this.batches[0] as ModelBatch
      const inTheWay = first.position < writeEnd - this.retentionBytes
      const expired = first.maxTimestamp < now - this.retentionMs
      if (!inTheWay && !expired && this.batches.length <= indexRoom) break
      this.batches.shift()
    }
    if (this.batches.length === before) return
    this.logStart = this.batches[0]?.baseOffset ?? this.logEnd
    this.highWatermark = Math.max(this.highWatermark, this.logStart)
  }

  truncateTo(offset: number): void {
    if (offset >= this.logEnd) return
    if (offset <= this.logStart) {
      this.reset(offset)
      return
    }
    const dropFrom = this.batches.findIndex((batch) => batch.nextOffset > offset)
    const firstDropped = this.batches[dropFrom] as ModelBatch
    this.batches = this.batches.slice(0, dropFrom)
    this.logEnd = firstDropped.baseOffset
    this.endByte = firstDropped.position
    this.highWatermark = Math.min(this.highWatermark, this.logEnd)
  }

  reset(offset: number): void {
    this.batches = []
    this.logStart = offset
    this.logEnd = offset
    this.highWatermark = offset
  }

  read(from: number, maxBytes: number, toLogEnd: boolean): ModelRead {
    if (from < this.logStart || from > this.logEnd) return { outOfRange: true }
    const limit = toLogEnd ? this.logEnd : this.highWatermark
    const out: ModelBatch[] = []
    const start = this.batches.findIndex(
      (batch) => batch.baseOffset <= from && from < batch.nextOffset,
    )
    if (from >= limit || start < 0) return { batches: out }
    let total = 0
    let expectedPosition = (this.batches[start] as ModelBatch).position
    for (const batch of this.batches.slice(start)) {
      if (batch.nextOffset > limit || batch.position !== expectedPosition) break
      // One read never crosses the ring's end, even where no padding marks it.
      if (out.length > 0 && batch.position % this.capacity === 0) break
      if (out.length > 0 && total + batch.length > maxBytes) break
      out.push(batch)
      total += batch.length
      expectedPosition = batch.position + align8(batch.length)
    }
    return { batches: out }
  }

  /** Bytes of `count` batches from the one holding `from` (fewer if the log has fewer). */
  bytesOfBatches(from: number, count: number): number {
    const start = this.batches.findIndex((batch) => from < batch.nextOffset)
    if (start < 0) return 0
    return this.batches.slice(start, start + count).reduce((sum, batch) => sum + batch.length, 0)
  }

  offsetForTimestamp(timestamp: number): number | null {
    for (const batch of this.batches) {
      const match = batch.records.find((record) => record.timestamp >= timestamp)
      if (match === undefined) continue
      return batch.nextOffset <= this.highWatermark ? match.offset : null
    }
    return null
  }
}
