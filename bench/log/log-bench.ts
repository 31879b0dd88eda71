import type { Worker } from 'node:worker_threads'
import { siblingEntry, spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import { nextMessage } from '../baselines/thread-messages.js'
import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
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

interface Throughput {
  readonly recordsPerSec: number
  readonly bytesPerSec: number
  readonly records: number
}

const THREAD_ENTRY = siblingEntry(import.meta.url, 'log-bench-thread')

async function expectDone(worker: Worker): Promise<BenchThreadDone> {
  const message = await nextMessage(worker)
  if (!isBenchThreadDone(message)) throw new Error('a bench thread answered something unexpected')
  return message
}

type Settings = Omit<BenchThreadConfig, 'role' | 'control' | 'shared'>

/** Runs the log's writer and reader threads to completion; the reader's clock gives the rate. */
async function runLogPair(settings: Settings): Promise<Throughput> {
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
    const writer = spawn('log-writer', undefined)
    const writerReady = await nextMessage(writer)
    if (!isReady(writerReady)) throw new Error('the writer thread did not start')
    const reader = spawn('log-reader', writerReady.handle)
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

const OPTIONS = {
  'record-size': {
    kind: 'integer',
    min: 1,
    help: 'value bytes per record: 100 or 1024',
    default: 100,
  },
  'duration-ms': { kind: 'integer', min: 1, help: 'writing time of each run', default: 3000 },
  capacity: { kind: 'integer', min: 1, help: 'ring bytes, a power of two', default: 4 << 20 },
  'batch-bytes': {
    kind: 'integer',
    min: 1,
    help: 'bytes of each batch the writer appends',
    default: 65_536,
  },
  copy: {
    kind: 'flag',
    help: 'the reader copies batches out instead of decoding views of the ring',
  },
  'verify-crc': {
    kind: 'flag',
    help: 'the log also verifies each batch CRC on append (the broker does it at produce)',
  },
  seed: { kind: 'integer', min: 1, help: 'seed of the record contents', default: 1 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

async function run(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv, OPTIONS)
  const recordSize = options['record-size']
  if (recordSize !== 100 && recordSize !== 1024)
    throw new Error('--record-size must be 100 or 1024')
  const settings: Settings = {
    recordSize,
    durationMs: options['duration-ms'],
    capacity: options.capacity,
    batchBytes: options['batch-bytes'],
    seed: options.seed,
    verifyCrc: options['verify-crc'],
    zeroCopy: !options.copy,
  }
  const progress = new ProgressLine(options)
  progress.phase(`log: writing for ${settings.durationMs} ms`)
  const log = await runLogPair(settings)
  progress.phase('baselines: SAB ring, postMessage')
  const baselines = await measureThroughputBaselines({
    recordSize,
    durationMs: settings.durationMs,
  })
  progress.end()
  const output = {
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
    verified: true,
    baselines,
    ratios: {
      ...ratiosOf('recordsPerSec', log.recordsPerSec, baselines),
      ...ratiosOf('bytesPerSec', log.bytesPerSec, baselines),
    },
    charts: {
      bars: [barsOf('recordsPerSec', 'records/s', Math.round(log.recordsPerSec), baselines)],
    },
  }
  const mega = (value: number) => (value / 1e6).toFixed(2)
  const giga = (value: number) => (value / 1e9).toFixed(2)
  const ring = baselines['sab-ring']
  const post = baselines['post-message']
  await emitReport(output, options, () => [
    `log: one writer thread appending ${output.recordsPerBatch}-record batches, one reader thread decoding every record`,
    `  record size ${recordSize} B, ring ${settings.capacity} B, ${settings.zeroCopy ? 'zero-copy' : 'copying'} reads, CRC ${settings.verifyCrc ? 'verified' : 'not verified'} on append`,
    `  samsa log      ${mega(log.recordsPerSec)} M rec/s  ${giga(log.bytesPerSec)} GB/s  (${log.records} records)`,
    `  sab-ring       ${mega(ring.recordsPerSec)} M rec/s  ${giga(ring.bytesPerSec)} GB/s  (${ring.records} records)`,
    `  post-message   ${mega(post.recordsPerSec)} M rec/s  ${giga(post.bytesPerSec)} GB/s  (${post.records} records)`,
    `  ratios ${JSON.stringify(output.ratios)}`,
  ])
}

export const logBench: BenchScenario = {
  name: 'log',
  summary:
    'partition log: writer thread → reader thread, beside a bare SPSC SharedArrayBuffer ring',
  usage: usageOf(OPTIONS),
  run,
}
