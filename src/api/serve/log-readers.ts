import { InterruptibleLogReader } from '../../actors/consumer/partition-fetcher.js'
import type { PartitionLogHandle, ReadLimit } from '../../runtime/log/log-layout.js'

/** Readers by the log's header buffer: opened once per log, whatever the number of fetches. */
const readers = new WeakMap<SharedArrayBuffer, InterruptibleLogReader>()

/** A reader of the log `handle` names (a leader's log, from the metadata). */
export function logReader(handle: PartitionLogHandle): InterruptibleLogReader {
  let reader = readers.get(handle.header)
  if (reader === undefined) {
    reader = InterruptibleLogReader.open(handle)
    readers.set(handle.header, reader)
  }
  return reader
}

/**
 * How far a reader of Kafka's isolation level `isolationLevel` reads: read uncommitted (0) to
 * the high watermark, read committed (1) to the last stable offset; undefined for any other.
 */
export function readLimitOf(isolationLevel: number): ReadLimit | undefined {
  if (isolationLevel === 0) return 'high-watermark'
  return isolationLevel === 1 ? 'last-stable' : undefined
}
