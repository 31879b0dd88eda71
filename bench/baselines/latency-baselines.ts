import { siblingEntry } from '../../src/runtime/thread/spawn-thread.js'
import type { LatencyFigures } from '../latency/latency-histogram.js'
import { type LatencyThreadConfig, parseLatencyDone } from './baseline-protocol.js'
import { type HandOffKind, runBaselineThreads } from './baseline-threads.js'

/*
 * The latency scenario's fixed schedule between threads with nothing else in the way:
 *   sab-ring      a bare SharedArrayBuffer ring, the receiver parked in Atomics.wait
 *   post-message  one postMessage per record, the receiver's event loop waiting for it
 *   relay         three threads, as a broker stands between producer and consumer: one
 *                 postMessage per batch to a relay thread's event loop, which copies the
 *                 records into a bare ring for the receiver and answers the sender
 */

export interface LatencyBaselineOptions {
  readonly rate: number
  readonly seconds: number
  /** Seconds of the schedule sent first and not timed (default none). */
  readonly warmUpSeconds?: number
  readonly recordSize: number
}

export interface LatencyBaseline extends LatencyFigures {
  readonly records: number
}

const ENTRY = siblingEntry(import.meta.url, 'latency-thread')

async function measure(
  kind: HandOffKind,
  { rate, seconds, recordSize, warmUpSeconds = 0 }: LatencyBaselineOptions,
): Promise<LatencyBaseline> {
  const warmUpRecords = Math.round(rate * warmUpSeconds)
  const timed = Math.max(1, Math.round(rate * seconds))
  const records = warmUpRecords + timed
  const config = (role: LatencyThreadConfig['role']) => ({
    role,
    recordSize,
    rate,
    records,
    warmUpRecords,
  })
  const line =
    kind === 'relay'
      ? [config('sender'), config('relay'), config('receiver')]
      : [config('sender'), config('receiver')]
  const done = await runBaselineThreads(ENTRY, kind, line)
  const received = parseLatencyDone(done[done.length - 1])
  if (received.records !== records || received.figures === undefined) {
    throw new Error(
      `${kind} latency baseline: ${received.records} of ${records} records arrived${received.figures === undefined ? ', not in order' : ''}`,
    )
  }
  return { ...received.figures, records: timed }
}

/** The three, one after the other (never at once: they would share cores). */
export async function measureLatencyBaselines(options: LatencyBaselineOptions): Promise<{
  'sab-ring': LatencyBaseline
  'post-message': LatencyBaseline
  relay: LatencyBaseline
}> {
  const ring = await measure('ring', options)
  const post = await measure('port', options)
  const relay = await measure('relay', options)
  return { 'sab-ring': ring, 'post-message': post, relay }
}

/** One record at a time, far apart: each hand-off starts from a parked receiver. */
const HAND_OFF_SCHEDULE = { rate: 1000, seconds: 1, recordSize: 100 }

/**
 * Baselines for figures that are chains of thread-to-thread hand-offs (an election, a
 * rebalance): one such hand-off with nothing else in the way, through a SAB ring and through
 * postMessage, given as `<figure>MsP50` and `<figure>MsP99` for each figure named.
 */
export async function measureHandOffBaselines(figures: readonly string[]) {
  const handOffs = {
    'sab-ring': await measure('ring', HAND_OFF_SCHEDULE),
    'post-message': await measure('port', HAND_OFF_SCHEDULE),
  }
  const asFigures = ({ p50Us, p99Us }: LatencyBaseline): Record<string, number> =>
    Object.fromEntries(
      figures.flatMap((figure) => [
        [`${figure}MsP50`, p50Us / 1000],
        [`${figure}MsP99`, p99Us / 1000],
      ]),
    )
  return {
    handOffs,
    baselines: {
      'sab-ring': asFigures(handOffs['sab-ring']),
      'post-message': asFigures(handOffs['post-message']),
    },
  }
}
