import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads'
import { latencyFigures, latencyHistogram, recordLatencyMs } from '../latency/latency-histogram.js'
import { monotonicMs } from '../latency/timed-records.js'
import { type LatencyDone, parseLatencyThreadConfig } from './baseline-protocol.js'
import { SpscRing } from './spsc-ring.js'

/*
 * One thread of a latency baseline (see latency-baselines.ts and baseline-threads.ts): the
 * latency scenario's fixed schedule, with nothing between the threads but the hand-offs. The
 * sender sends every record already due, each stamped with the time it was due (so lateness
 * counts: coordinated omission handled as in the scenario), and sleeps in Atomics.wait until
 * the next is due. A relay passes batches on into a ring and answers each. The receiver times
 * each record from its due time to its arrival into an HDR histogram.
 *
 *   record: [0, 8) due time, float64 ms of monotonicMs; [8, 12) sequence; then zeros
 */

const parent = parentPort as MessagePort
const config = parseLatencyThreadConfig(workerData)
const MAX_BATCH = 1000
/** How long the receiver waits past the schedule's end for records still on their way. */
const GRACE_MS = 10_000

/*
 * The sender's records, stamped again for each batch: every hand-off copies them (into the
 * ring, or through postMessage's clone), and a fresh buffer per record would measure the
 * garbage collector, not the hand-off. Each is its own buffer: postMessage clones a view's
 * whole buffer.
 */
const outgoing = Array.from({ length: MAX_BATCH }, () => new Uint8Array(config.recordSize))

function stamp(record: Uint8Array, sequence: number, dueAt: number): Uint8Array {
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
        batch.push(stamp(outgoing[batch.length] as Uint8Array, sent, startAt + sent * intervalMs))
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

/** One message per batch, its records back to back; the relay's answers are read in passing. */
function batchSend(port: MessagePort): void {
  send((batch) => {
    const bytes = new Uint8Array(batch.length * config.recordSize)
    batch.forEach((record, index) => {
      bytes.set(record, index * config.recordSize)
    })
    port.postMessage(bytes, [bytes.buffer])
    while (receiveMessageOnPort(port) !== undefined) {}
  })
}

/** What a broker does at the least: take a batch, put its records where readers see them, answer. */
function relay(port: MessagePort, ring: SpscRing): void {
  const { recordSize } = config
  let relayed = 0
  port.on('message', (bytes: unknown) => {
    if (!(bytes instanceof Uint8Array) || bytes.length % recordSize !== 0) {
      port.close()
      parent.postMessage({ type: 'done', records: relayed })
      return
    }
    const records: Uint8Array[] = []
    for (let at = 0; at < bytes.length; at += recordSize) {
      records.push(bytes.subarray(at, at + recordSize))
    }
    // A full ring (a receiver far behind) holds the relay here until the receiver drains it.
    for (let from = 0; from < records.length; ) from += ring.write(records, from)
    relayed += records.length
    port.postMessage(records.length)
    if (relayed >= config.records) {
      port.close()
      parent.postMessage({ type: 'done', records: relayed })
    }
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

function start(): void {
  const { handOff, role } = config
  switch (handOff.kind) {
    case 'ring':
      if (role === 'sender') ringSend(new SpscRing(handOff.ring))
      else if (role === 'receiver') ringReceive(new SpscRing(handOff.ring))
      else break
      return
    case 'port':
      if (role === 'sender') portSend(handOff.port)
      else if (role === 'receiver') portReceive(handOff.port)
      else break
      return
    case 'batches':
      if (role !== 'sender') break
      batchSend(handOff.port)
      return
    case 'relay':
      if (role !== 'relay') break
      relay(handOff.port, new SpscRing(handOff.ring))
      return
  }
  throw new Error(`a ${role} has no ${handOff.kind} hand-off`)
}

parent.once('message', start)
parent.postMessage({ type: 'ready' })
