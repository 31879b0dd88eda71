import { parseArgs } from 'node:util'
import type { Worker } from 'node:worker_threads'
import { siblingEntry, spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import type { BenchScenario } from '../scenario.js'
import {
  type BenchRole,
  type BenchThreadConfig,
  type BenchThreadDone,
  CONTROL_BYTES,
  DONE,
  isBenchThreadDone,
  isReady,
  recordsPerBatch,
} from './log-bench-protocol.js'
import { createSpscRing } from './spsc-ring.js'

interface Throughput {
  readonly recordsPerSec: number
  readonly bytesPerSec: number
  readonly records: number
}

const THREAD_ENTRY = siblingEntry(import.meta.url, 'log-bench-thread')

/** Settles with the thread's next message, or rejects if it fails or exits first. */
function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
    }
    const onMessage = (message: unknown) => {
      cleanup()
      resolve(message)
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const onExit = (code: number) => {
      cleanup()
      reject(new Error(`a bench thread exited (code ${code}) before answering`))
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
  })
}

async function expectDone(worker: Worker): Promise<BenchThreadDone> {
  const message = await nextMessage(worker)
  if (!isBenchThreadDone(message)) throw new Error('a bench thread answered something unexpected')
  return message
}

type Settings = Omit<BenchThreadConfig, 'role' | 'control' | 'shared'>

/** Runs one writer and one reader thread to completion; the reader's clock gives the rate. */
async function runPair(
  settings: Settings,
  roles: readonly [BenchRole, BenchRole],
  shared: unknown,
): Promise<Throughput> {
  const control = new SharedArrayBuffer(CONTROL_BYTES)
  new Int32Array(control)[DONE] = -1
  const workers: Worker[] = []
  try {
    const spawn = (role: BenchRole, handle: unknown) => {
      const workerData: BenchThreadConfig = { ...settings, role, control, shared: handle }
      const worker = spawnThread(THREAD_ENTRY, { workerData })
      workers.push(worker)
      return worker
    }
    const writer = spawn(roles[0], shared)
    const writerReady = await nextMessage(writer)
    if (!isReady(writerReady)) throw new Error('the writer thread did not start')
    const reader = spawn(roles[1], shared ?? writerReady.handle)
    if (!isReady(await nextMessage(reader))) throw new Error('the reader thread did not start')
    const results = Promise.all([expectDone(writer), expectDone(reader)])
    writer.postMessage('go')
    reader.postMessage('go')
    const [written, read] = await results
    if (read.units !== written.units || read.records !== written.records) {
      throw new Error(`the reader saw ${read.records} records of ${written.records}`)
    }
    const seconds = read.elapsedMs / 1000
    return {
      records: read.records,
      recordsPerSec: read.records / seconds,
      bytesPerSec: (read.records * settings.recordSize) / seconds,
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

const USAGE = [
  '--record-size <100|1024>  value bytes per record (default 100)',
  '--duration-ms <ms>        writing time of each run (default 3000)',
  '--capacity <bytes>        ring size, a power of two (default 4 MiB)',
  '--batch-bytes <bytes>     batch size the writer appends (default 65536)',
  '--copy                    the reader copies batches out instead of decoding views of the ring',
  '--verify-crc              the log also verifies each batch CRC on append (the broker does it at produce)',
  '--seed <n>                seed of the record contents (default 1)',
  '--json                    print one JSON object as the last line',
]

function positiveInteger(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${what} must be a positive integer`)
  return value
}

async function run(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      'record-size': { type: 'string' },
      'duration-ms': { type: 'string' },
      capacity: { type: 'string' },
      'batch-bytes': { type: 'string' },
      copy: { type: 'boolean', default: false },
      'verify-crc': { type: 'boolean', default: false },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  const recordSize = positiveInteger(values['record-size'], 100, '--record-size')
  if (recordSize !== 100 && recordSize !== 1024)
    throw new Error('--record-size must be 100 or 1024')
  const settings: Settings = {
    recordSize,
    durationMs: positiveInteger(values['duration-ms'], 3000, '--duration-ms'),
    capacity: positiveInteger(values.capacity, 4 << 20, '--capacity'),
    batchBytes: positiveInteger(values['batch-bytes'], 65536, '--batch-bytes'),
    seed: positiveInteger(values.seed, 1, '--seed'),
    verifyCrc: values['verify-crc'],
    zeroCopy: !values.copy,
  }
  const ring = createSpscRing(settings.capacity)
  const log = await runPair(settings, ['log-writer', 'log-reader'], undefined)
  const baseline = await runPair(settings, ['ring-writer', 'ring-reader'], ring)
  const report = {
    scenario: 'log',
    recordSize,
    recordsPerSec: Math.round(log.recordsPerSec),
    bytesPerSec: Math.round(log.bytesPerSec),
    records: log.records,
    recordsPerBatch: recordsPerBatch(settings.batchBytes, recordSize),
    batchBytes: settings.batchBytes,
    capacity: settings.capacity,
    durationMs: settings.durationMs,
    zeroCopy: settings.zeroCopy,
    verifyCrc: settings.verifyCrc,
    seed: settings.seed,
    baseline: {
      name: 'spsc-sab-ring',
      recordsPerSec: Math.round(baseline.recordsPerSec),
      bytesPerSec: Math.round(baseline.bytesPerSec),
      records: baseline.records,
    },
    ratio: log.recordsPerSec / baseline.recordsPerSec,
    bytesRatio: log.bytesPerSec / baseline.bytesPerSec,
  }
  const mega = (value: number) => (value / 1e6).toFixed(2)
  const giga = (value: number) => (value / 1e9).toFixed(2)
  process.stdout.write(
    [
      `log: one writer thread appending ${report.recordsPerBatch}-record batches, one reader thread decoding every record`,
      `  record size ${recordSize} B, ring ${settings.capacity} B, ${settings.zeroCopy ? 'zero-copy' : 'copying'} reads, CRC ${settings.verifyCrc ? 'verified' : 'not verified'} on append`,
      `  samsa log      ${mega(log.recordsPerSec)} M rec/s  ${giga(log.bytesPerSec)} GB/s  (${log.records} records)`,
      `  spsc-sab-ring  ${mega(baseline.recordsPerSec)} M rec/s  ${giga(baseline.bytesPerSec)} GB/s  (${baseline.records} records)`,
      `  ratio ${report.ratio.toFixed(2)} (records/s), ${report.bytesRatio.toFixed(2)} (bytes/s)`,
      '',
    ].join('\n'),
  )
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`)
}

export const logBench: BenchScenario = {
  name: 'log',
  summary:
    'partition log: writer thread → reader thread, beside a bare SPSC SharedArrayBuffer ring',
  usage: USAGE,
  run,
}
