import { runEndToEnd } from '../bench/e2e/end-to-end.js'

const DEMO = {
  brokers: 3,
  partitions: 6,
  recordSize: 100,
  records: 19_200_000,
  acks: 1,
  batchRecords: 8000,
} as const

const format = (value: number) => Math.round(value).toLocaleString('en-US')

/**
 * `npm start`: a 3-broker cluster on worker threads, one topic of six partitions, a producer
 * and a consumer on threads of their own, a live progress line, and a check of every record.
 */
export async function runDemo(): Promise<void> {
  const out = process.stdout
  out.write(
    `samsa demo: ${DEMO.brokers} brokers, topic 'bench' with ${DEMO.partitions} partitions, ` +
      `${format(DEMO.records)} records of ${DEMO.recordSize} B, acks=${DEMO.acks}\n`,
  )
  let lastLineAt = 0
  const report = await runEndToEnd(DEMO, ({ produced, consumed, elapsedMs }) => {
    const line =
      `  ${(elapsedMs / 1000).toFixed(1)} s  produced ${format(produced)}  consumed ${format(consumed)}` +
      `  lag ${format(Math.max(0, produced - consumed))}  ${format((consumed / elapsedMs) * 1000)} records/s`
    if (out.isTTY) out.write(`\r${line}\u001b[K`)
    else if (elapsedMs - lastLineAt >= 1000) {
      lastLineAt = elapsedMs
      out.write(`${line}\n`)
    }
  })
  if (out.isTTY) out.write('\n')
  out.write(
    `done: ${format(report.records)} records in ${format(report.elapsedMs)} ms, ` +
      `${format(report.recordsPerSec)} records/s\n` +
      `check: ${report.verified ? 'every record arrived once, in order per partition, intact' : `FAILED: ${report.problems.join('; ')}`}\n`,
  )
  if (!report.verified) process.exitCode = 1
}
