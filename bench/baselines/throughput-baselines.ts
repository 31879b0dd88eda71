import { siblingEntry } from '../../src/runtime/thread/spawn-thread.js'
import { parseThroughputDone, type ThroughputThreadConfig } from './baseline-protocol.js'
import { runBaselineThreads } from './baseline-threads.js'

/*
 * How many records per second two threads can hand over with nothing else in the way:
 *   sab-ring      a bare single-producer single-consumer SharedArrayBuffer ring, each record
 *                 copied in and out (the physical limit of a thread-to-thread hand-off here)
 *   post-message  one postMessage per record over a MessageChannel (what one writes by hand)
 */

export interface ThroughputFigures {
  readonly recordsPerSec: number
  readonly bytesPerSec: number
  readonly records: number
}

export interface ThroughputBaselineOptions {
  readonly recordSize: number
  readonly durationMs: number
}

const ENTRY = siblingEntry(import.meta.url, 'throughput-thread')

async function measure(
  kind: 'ring' | 'port',
  { recordSize, durationMs }: ThroughputBaselineOptions,
): Promise<ThroughputFigures> {
  const control = new SharedArrayBuffer(64)
  new Int32Array(control)[0] = -1
  const config = (role: ThroughputThreadConfig['role']) => ({
    role,
    recordSize,
    durationMs,
    control,
  })
  const [writerDone, readerDone] = await runBaselineThreads(ENTRY, kind, [
    config('writer'),
    config('reader'),
  ])
  const written = parseThroughputDone(writerDone)
  const read = parseThroughputDone(readerDone)
  if (read.records !== written.records) {
    throw new Error(
      `${kind} baseline: the reader saw ${read.records} of ${written.records} records`,
    )
  }
  const seconds = read.elapsedMs / 1000
  return {
    recordsPerSec: Math.round(read.records / seconds),
    bytesPerSec: Math.round((read.records * recordSize) / seconds),
    records: read.records,
  }
}

/** Both throughput baselines, one after the other (never at once: they would share cores). */
export async function measureThroughputBaselines(
  options: ThroughputBaselineOptions,
): Promise<{ 'sab-ring': ThroughputFigures; 'post-message': ThroughputFigures }> {
  const ring = await measure('ring', options)
  const post = await measure('port', options)
  return { 'sab-ring': ring, 'post-message': post }
}
