import { parseArgs } from 'node:util'
import { acksOption, integerOption, machineFacts, positiveNumberOption } from '../options.js'
import type { BenchScenario } from '../scenario.js'
import { runLatency } from './latency-run.js'
import { MIN_TIMED_RECORD_BYTES } from './timed-records.js'

const microseconds = (value: number) => `${value.toFixed(1)} µs`

export const latencyBench: BenchScenario = {
  name: 'latency',
  summary: 'fixed-rate producer thread → broker → consumer thread, per-record latency (HDR)',
  usage: [
    '--rate N           records per second, on a fixed schedule (default 50000)',
    '--seconds N        length of the schedule (default 5)',
    `--record-size N    value bytes per record, at least ${MIN_TIMED_RECORD_BYTES} (default 100)`,
    '--brokers N        brokers (default 1); the one partition has one leader',
    '--acks N           -1, 0 or 1 (default 1)',
    '--spin N           log checks the consumer makes before it sleeps (default 0)',
    '--json             print one JSON object as the last line',
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        rate: { type: 'string', default: '50000' },
        seconds: { type: 'string', default: '5' },
        'record-size': { type: 'string', default: '100' },
        brokers: { type: 'string', default: '1' },
        acks: { type: 'string', default: '1' },
        spin: { type: 'string', default: '0' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    })
    const report = await runLatency({
      brokers: integerOption(values, 'brokers', 1),
      rate: positiveNumberOption(values, 'rate'),
      seconds: positiveNumberOption(values, 'seconds'),
      recordSize: integerOption(values, 'record-size', MIN_TIMED_RECORD_BYTES),
      acks: acksOption(values),
      spinIterations: integerOption(values, 'spin', 0),
    })
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ scenario: 'latency', ...report, ...machineFacts() })}\n`,
      )
    } else {
      const { latency } = report
      process.stdout.write(
        [
          `latency: ${report.rate.toLocaleString('en-US')} records/s for ${report.seconds} s, ${report.recordSize} B values, ${report.brokers} broker(s), acks ${report.acks}, consumer spin ${report.spinIterations}`,
          `  ${report.records.toLocaleString('en-US')} records, achieved ${report.achievedRate.toLocaleString('en-US')} records/s`,
          `  p50 ${microseconds(latency.p50Us)}  p90 ${microseconds(latency.p90Us)}  p99 ${microseconds(latency.p99Us)}  p99.9 ${microseconds(latency.p999Us)}  max ${microseconds(latency.maxUs)}`,
          `  verified: ${report.verified}${report.problems.length > 0 ? ` (${report.problems.join('; ')})` : ''}`,
          '',
        ].join('\n'),
      )
    }
    if (!report.verified) process.exitCode = 1
  },
}
