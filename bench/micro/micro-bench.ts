import { Bench } from 'tinybench'
import { DefaultPartitioner, murmur2 } from '../../src/actors/producer/partitioner.js'
import { PartitionLog } from '../../src/runtime/log/partition-log.js'
import { encodeRecordBatch, type RecordInput } from '../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch, forEachRecord } from '../../src/runtime/log/record-reader.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'

/*
 * Single-thread microbenchmarks of the record path's pieces, each beside the obvious thing one
 * would write instead, in the same run: the codec against JSON, the partitioner's murmur2
 * against hashing nothing at all (the cost of the call alone), the log against a plain copy
 * into a SharedArrayBuffer.
 */

const RECORDS_PER_BATCH = 100
const VALUE_BYTES = 100

function sampleRecords(): RecordInput[] {
  return Array.from({ length: RECORDS_PER_BATCH }, (_, index) => ({
    key: Buffer.from(`key-${index}`),
    value: new Uint8Array(VALUE_BYTES).fill(index & 0xff),
    headers: [{ key: 'h', value: Buffer.from('v') }],
  }))
}

export async function runMicro(timeMs: number) {
  const records = sampleRecords()
  const batch = encodeRecordBatch({ records, timestamp: 1 })
  const json = JSON.stringify(
    records.map((record) => ({ ...record, value: [...(record.value ?? [])] })),
  )
  const keys = Array.from({ length: 256 }, (_, index) => Buffer.from(`order-${index}`))
  const partitioner = new DefaultPartitioner()
  const log = new PartitionLog({ capacity: 1 << 22 })
  const ring = new Uint8Array(new SharedArrayBuffer(1 << 22))
  let ringPosition = 0
  let sink = 0
  let keyIndex = 0

  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs) })
  bench
    .add('codec: encode a batch of 100', () => {
      sink += encodeRecordBatch({ records, timestamp: 1 }).length
    })
    .add('baseline: JSON.stringify the same 100', () => {
      sink += JSON.stringify(
        records.map((record) => ({ ...record, value: [...(record.value ?? [])] })),
      ).length
    })
    .add('codec: visit 100 records (forEachRecord)', () => {
      forEachRecord(batch, (record) => {
        sink += record.valueLength
      })
    })
    .add('codec: decode 100 records to objects', () => {
      sink += decodeRecordBatch(batch, { verifyCrc: false }).records.length
    })
    .add('baseline: JSON.parse the same 100', () => {
      sink += (JSON.parse(json) as unknown[]).length
    })
    .add('partitioner: keyed choice (murmur2)', () => {
      const key = keys[keyIndex++ & 255] as Buffer
      sink += partitioner.choosePartition({ topic: 't', key, numPartitions: 12 })
    })
    .add('partitioner: murmur2 alone', () => {
      sink += murmur2(keys[keyIndex++ & 255] as Buffer)
    })
    .add('log: append a batch of 100 (and commit)', () => {
      sink += log.append(batch, { commit: true })
    })
    .add('baseline: copy the same bytes into a SAB ring', () => {
      if (ringPosition + batch.length > ring.length) ringPosition = 0
      ring.set(batch, ringPosition)
      ringPosition += (batch.length + 7) & ~7
    })
    .add('log: read the newest batch (zero-copy)', () => {
      sink += log.read(log.logEndOffset - RECORDS_PER_BATCH, 1 << 20, { zeroCopy: true }).batches
        .length
    })
  await bench.run()
  return {
    tasks: bench.tasks.map((task) => {
      const result = task.result
      const opsPerSec = result !== undefined && 'throughput' in result ? result.throughput.mean : 0
      return {
        name: task.name,
        opsPerSec,
        recordsPerSec: task.name.includes('100') ? opsPerSec * RECORDS_PER_BATCH : undefined,
      }
    }),
    // Keeps every task's work observable, so none is optimised away.
    checksum: sink,
  }
}

const OPTIONS = {
  'time-ms': { kind: 'integer', min: 1, help: 'measuring time per task', default: 500 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const microBench: BenchScenario = {
  name: 'micro',
  summary: 'tinybench microbenchmarks: codec, partitioner, log append/read, with baselines',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const timeMs = options['time-ms']
    const progress = new ProgressLine(options)
    progress.phase('tinybench tasks')
    const { tasks } = await runMicro(timeMs)
    progress.end()
    const opsPerSec = (name: string) => tasks.find((task) => task.name === name)?.opsPerSec ?? 0
    // Each samsa task beside the single-thread baseline task of the same work, in this run.
    const pairs = [
      [
        'encode',
        'codec: encode a batch of 100',
        'json-stringify',
        'baseline: JSON.stringify the same 100',
      ],
      [
        'decode',
        'codec: decode 100 records to objects',
        'json-parse',
        'baseline: JSON.parse the same 100',
      ],
      [
        'append',
        'log: append a batch of 100 (and commit)',
        'sab-copy',
        'baseline: copy the same bytes into a SAB ring',
      ],
    ] as const
    const baselines = Object.fromEntries(
      pairs.map(([figure, , baseline, task]) => [
        baseline,
        { [`${figure}OpsPerSec`]: opsPerSec(task) },
      ]),
    )
    const figures = Object.fromEntries(
      pairs.map(([figure, task]) => [`${figure}OpsPerSec`, opsPerSec(task)]),
    )
    const output = {
      scenario: 'micro',
      timeMs,
      tasks,
      ...figures,
      verified: true,
      baselines,
      ratios: Object.assign(
        {},
        ...pairs.map(([figure]) =>
          ratiosOf(`${figure}OpsPerSec`, figures[`${figure}OpsPerSec`] ?? 0, baselines),
        ),
      ),
      charts: {
        bars: pairs.map(([figure]) =>
          barsOf(`${figure}OpsPerSec`, 'ops/s', figures[`${figure}OpsPerSec`] ?? 0, baselines),
        ),
      },
    }
    await emitReport(output, options, () => {
      const rows = tasks.map((task) => ({
        task: task.name,
        'ops/s': Math.round(task.opsPerSec).toLocaleString('en-US'),
        'records/s':
          task.recordsPerSec === undefined
            ? ''
            : Math.round(task.recordsPerSec).toLocaleString('en-US'),
      }))
      console.table(rows)
      return [`ratios ${JSON.stringify(output.ratios)}`]
    })
  },
}
