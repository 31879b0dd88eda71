import { parseArgs } from 'node:util'
import { acksOption, integerOption, machineFacts } from '../options.js'

function booleanOption(value: unknown): boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  throw new Error('--idempotent must be true or false')
}

import type { BenchScenario } from '../scenario.js'
import { runEndToEnd } from './end-to-end.js'

export const e2eBench: BenchScenario = {
  name: 'e2e',
  summary: 'producer thread → brokers → consumer thread, every record verified',
  usage: [
    '--brokers N        brokers (default 1)',
    '--partitions N     partitions of the topic (default 1)',
    '--replication N    replicas of each partition (default 1)',
    '--record-size N    value bytes per record (default 100)',
    '--records N        records in all (default 10000000)',
    '--acks N           0, 1 or all (default 1)',
    '--batch-records N  records per produced batch (default 8000, about 900 KB)',
    '--idempotent B     true or false (default: true with acks all, else false)',
    '--json             print one JSON object as the last line',
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        brokers: { type: 'string', default: '1' },
        partitions: { type: 'string', default: '1' },
        replication: { type: 'string', default: '1' },
        'record-size': { type: 'string', default: '100' },
        records: { type: 'string', default: '10000000' },
        acks: { type: 'string', default: '1' },
        'batch-records': { type: 'string', default: '8000' },
        idempotent: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    })
    const report = await runEndToEnd({
      brokers: integerOption(values, 'brokers', 1),
      partitions: integerOption(values, 'partitions', 1),
      replication: integerOption(values, 'replication', 1),
      recordSize: integerOption(values, 'record-size', 17),
      records: integerOption(values, 'records', 1),
      acks: acksOption(values),
      batchRecords: integerOption(values, 'batch-records', 1),
      idempotent: values.idempotent === undefined ? undefined : booleanOption(values.idempotent),
    })
    const full = { scenario: 'e2e', ...report, ...machineFacts() }
    if (values.json) process.stdout.write(`${JSON.stringify(full)}\n`)
    else {
      process.stdout.write(
        [
          `e2e: ${report.brokers} broker(s), ${report.partitions} partition(s), ${report.recordSize} B values, acks ${report.acks}`,
          `  ${report.records.toLocaleString('en-US')} records in ${report.elapsedMs} ms: ${report.recordsPerSec.toLocaleString('en-US')} records/s, ${(report.bytesPerSec / 1e6).toFixed(0)} MB/s`,
          `  verified: ${report.verified}${report.problems.length > 0 ? ` (${report.problems.join('; ')})` : ''}`,
          '',
        ].join('\n'),
      )
    }
    if (!report.verified) process.exitCode = 1
  },
}
