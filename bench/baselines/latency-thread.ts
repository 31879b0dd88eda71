import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import { latencyFigures, latencyHistogram, recordLatencyMs } from '../latency/latency-histogram.js'
import { monotonicMs } from '../latency/timed-records.js'
import { type LatencyDone, parseLatencyThreadConfig } from './baseline-protocol.js'
import { SpscRing } from './spsc-ring.js'

/*
 * One end of a latency baseline (see latency-baselines.ts): the latency scenario's fixed
 * schedule, with nothing between two threads but the hand-off. The sender sends every record
 * already due, each stamped with the time it was due (so lateness counts: coordinated
 * omission handled as in the scenario), and sleeps in Atomics.wait until the next is due. The
 * receiver times each record from its due time to its arrival into an HDR histogram.
 *
 *   record: [0, 8) due time, float64 ms of monotonicMs; [8, 12) sequence; then zeros
 */

const parent = parentPort as MessagePort
const config = parseLatencyThreadConfig(workerData)
const MAX_BATCH = 1000
/** How long the receiver waits past the schedule's end for records still on their way. */
const GRACE_MS = 10_000

function stamp(sequence: number, dueAt: number): Uint8Array {
  const record = new Uint8Array(config.recordSize)
  const view = new DataView(record.buffer)
  view.setFloat64(0, dueAt, true)
  view.setUint32(8, sequence, true)
  return record
}

function send(handOff: (records: Uint8Array[]) => void): void {
  const intervalMs = 1000 / config.rate
  const sleeper = new Int32Array(new SharedArrayBuffer(4))
  const startAt = monotonicMs()
  let sent = 0
  while (sent < config.records) {
    const due = Math.min(config.records, Math.floor((monotonicMs() - startAt) / intervalMs) + 1)
    if (due > sent) {
      const batch: Uint8Array[] = []
      for (; sent < due && batch.length < MAX_BATCH; sent++) {
        batch.push(stamp(sent, startAt + sent * intervalMs))
      }
      handOff(batch)
    }
    const untilNextMs = startAt + sent * intervalMs - monotonicMs()
    if (untilNextMs > 0) Atomics.wait(sleeper, 0, 0, untilNextMs)
  }
  parent.postMessage({ type: 'done', records: sent })
}

function ringSend(ring: SpscRing): void {
  send((batch) => {
    // A full ring (a receiver far behind) holds the sender here until the receiver drains it.
    for (let from = 0; from < batch.length; ) from += ring.write(batch, from)
  })
}

function ringReceive(ring: SpscRing): void {
  const histogram = latencyHistogram()
  const into = new Uint8Array(config.recordSize)
  const view = new DataView(into.buffer)
  let received = 0
  let expected = 0
  let inOrder = true
  const onRecord = (): void => {
    if (expected >= config.warmUpRecords) {
      recordLatencyMs(histogram, monotonicMs() - view.getFloat64(0, true))
    }
    if (view.getUint32(8, true) !== expected) inOrder = false
    expected++
  }
  const deadline = monotonicMs() + (config.records / config.rate) * 1000 + GRACE_MS
  while (received < config.records && monotonicMs() < deadline) {
    const tail = ring.tail()
    const count = ring.read(into, onRecord)
    received += count
    if (count === 0) ring.waitForTail(tail, 100)
  }
  finish(received, inOrder, histogram)
}

function portSend(port: MessagePort): void {
  send((batch) => {
    for (const record of batch) port.postMessage(record)
  })
}

function portReceive(port: MessagePort): void {
  const histogram = latencyHistogram()
  let received = 0
  let inOrder = true
  port.on('message', (record: unknown) => {
    const arrivedAt = monotonicMs()
    if (!(record instanceof Uint8Array) || record.length !== config.recordSize) {
      inOrder = false
      return
    }
    const view = new DataView(record.buffer, record.byteOffset, record.length)
    if (received >= config.warmUpRecords) {
      recordLatencyMs(histogram, arrivedAt - view.getFloat64(0, true))
    }
    if (view.getUint32(8, true) !== received) inOrder = false
    received++
    if (received === config.records) {
      port.close()
      finish(received, inOrder, histogram)
    }
  })
}

function finish(
  received: number,
  inOrder: boolean,
  histogram: ReturnType<typeof latencyHistogram>,
): void {
  // Records out of order or mangled make the figures meaningless: report none.
  const done: LatencyDone = inOrder
    ? { records: received, figures: latencyFigures(histogram) }
    : { records: received }
  histogram.destroy()
  parent.postMessage({ type: 'done', ...done })
}

parent.once('message', () => {
  const { handOff } = config
  if (handOff.kind === 'ring') {
    const ring = new SpscRing(handOff.ring)
    if (config.role === 'sender') ringSend(ring)
    else ringReceive(ring)
  } else if (config.role === 'sender') {
    portSend(handOff.port)
  } else {
    portReceive(handOff.port)
  }
})
parent.postMessage({ type: 'ready' })
