import { siblingEntry } from '../../src/runtime/thread/spawn-thread.js'
import type { LatencyFigures } from '../latency/latency-histogram.js'
import { parseLatencyDone } from './baseline-protocol.js'
import { type HandOffKind, runThreadPair } from './thread-pair.js'

/*
 * The latency scenario's fixed schedule between two threads with nothing else in the way:
 *   sab-ring      a bare SharedArrayBuffer ring, the receiver parked in Atomics.wait
 *   post-message  one postMessage per record, the receiver's event loop waiting for it
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
  const config = (role: 'sender' | 'receiver') => ({
    role,
    recordSize,
    rate,
    records,
    warmUpRecords,
  })
  const [, receiverDone] = await runThreadPair(ENTRY, kind, [config('sender'), config('receiver')])
  const received = parseLatencyDone(receiverDone)
  if (received.records !== records || received.figures === undefined) {
    throw new Error(
      `${kind} latency baseline: ${received.records} of ${records} records arrived${received.figures === undefined ? ', not in order' : ''}`,
    )
  }
  return { ...received.figures, records: timed }
}

export async function measureLatencyBaselines(
  options: LatencyBaselineOptions,
): Promise<{ 'sab-ring': LatencyBaseline; 'post-message': LatencyBaseline }> {
  const ring = await measure('ring', options)
  const post = await measure('port', options)
  return { 'sab-ring': ring, 'post-message': post }
}

/** One record at a time, far apart: each hand-off starts from a parked receiver. */
const HAND_OFF_SCHEDULE = { rate: 1000, seconds: 1, recordSize: 100 }

/**
 * Baselines for figures that are chains of thread-to-thread hand-offs (an election, a
 * rebalance): one such hand-off with nothing else in the way, through a SAB ring and through
 * postMessage, given as `<figure>MsP50` and `<figure>MsP99` for each figure named.
 */
export async function measureHandOffBaselines(figures: readonly string[]) {
  const handOffs = await measureLatencyBaselines(HAND_OFF_SCHEDULE)
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
