import { parentPort, workerData } from 'node:worker_threads'
import { PartitionLog } from '../../src/runtime/log/partition-log.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { forEachRecord, type RecordView } from '../../src/runtime/log/record-reader.js'
import {
  type BenchThreadConfig,
  type BenchThreadDone,
  CONSUMED,
  DONE,
  recordsPerBatch,
} from './log-bench-protocol.js'

// The two roles of `samsa bench log`, one per worker (see log-bench-protocol.ts).
const port = parentPort
if (port === null) throw new Error('log-bench-thread must run in a worker')
const config = workerData as BenchThreadConfig
const control = new Int32Array(config.control)
const SPIN = 2000

/** xorshift32: the bench's records come from its seed, so runs compare like with like. */
function seededBytes(seed: number, length: number): Uint8Array {
  let state = seed | 0 || 1
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[i] = state
  }
  return bytes
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    port!.once('message', () => resolve())
  })
}

function waitWhile(index: number, stillBlocked: () => boolean): void {
  for (let spin = 0; spin < SPIN; spin++) if (!stillBlocked()) return
  while (stillBlocked()) Atomics.wait(control, index, Atomics.load(control, index), 1)
}

async function logWriter(): Promise<void> {
  const perBatch = recordsPerBatch(config.batchBytes, config.recordSize)
  const batches: Uint8Array[] = []
  for (let b = 0; b < 4; b++) {
    const records = []
    for (let r = 0; r < perBatch; r++) {
      records.push({
        key: null,
        value: seededBytes(config.seed + b * perBatch + r, config.recordSize),
      })
    }
    batches.push(encodeRecordBatch({ records, timestamp: 0 }))
  }
  const log = new PartitionLog({ capacity: config.capacity, verifyCrc: config.verifyCrc })
  const slot = ((batches[0] as Uint8Array).length + 7) & ~7
  // Keep the writer from evicting what the reader has not read: it stays two batches clear.
  const maxOutstanding = Math.floor(config.capacity / slot) - 2
  port!.postMessage({ type: 'ready', handle: log.handle() })
  await waitForGo()
  const start = performance.now()
  let appended = 0
  const blocked = () => appended - Atomics.load(control, CONSUMED) >= maxOutstanding
  while ((appended & 15) !== 0 || performance.now() - start < config.durationMs) {
    if (blocked()) waitWhile(CONSUMED, blocked)
    log.append(batches[appended & 3] as Uint8Array)
    log.setHighWatermark(log.logEndOffset)
    appended++
  }
  Atomics.store(control, DONE, appended)
  log.setHighWatermark(log.logEndOffset)
  post(appended, appended * perBatch, performance.now() - start, 0)
}

let expectedOffset = 0
let checksum = 0
const visitRecord = (record: RecordView): void => {
  if (record.offset !== expectedOffset) {
    throw new Error(`record at offset ${record.offset}, expected ${expectedOffset}`)
  }
  expectedOffset++
  checksum = (checksum + record.valueLength + (record.bytes[record.valueStart] as number)) | 0
}

async function logReader(): Promise<void> {
  const reader = PartitionLogReader.open(config.shared)
  const readOptions = { zeroCopy: config.zeroCopy }
  await waitForGo()
  const start = performance.now()
  const firstOffset = reader.logStartOffset as number
  let next = firstOffset
  expectedOffset = next
  let consumed = 0
  for (;;) {
    const result = reader.read(next, 1 << 20, readOptions)
    if (result.batches.length === 0) {
      const done = Atomics.load(control, DONE)
      if (done >= 0 && consumed === done) break
      await reader.waitForData(next, 10, { spinIterations: SPIN })
      continue
    }
    for (const batch of result.batches) forEachRecord(batch, visitRecord)
    if (config.zeroCopy && !reader.isIntact(result))
      throw new Error('a zero-copy read was overwritten')
    consumed += result.batches.length
    next = result.nextOffset
    Atomics.store(control, CONSUMED, consumed)
    Atomics.notify(control, CONSUMED)
  }
  post(consumed, expectedOffset - firstOffset, performance.now() - start, checksum)
}

function post(units: number, records: number, elapsedMs: number, sum: number): void {
  const done: BenchThreadDone = { type: 'done', units, records, elapsedMs, checksum: sum }
  port!.postMessage(done)
}

switch (config.role) {
  case 'log-writer':
    await logWriter()
    break
  case 'log-reader':
    port.postMessage({ type: 'ready' })
    await logReader()
    break
}
