import { parseArgs } from 'node:util'
import { integerOption, machineFacts } from '../options.js'
import type { BenchScenario } from '../scenario.js'
import { runFailover } from './failover-run.js'

export const failoverBench: BenchScenario = {
  name: 'failover',
  summary: 'leader kills under an acks=all load: election time, produce gap, acked records lost',
  usage: [
    '--kills N          leader kills (default 20)',
    '--interval-ms N    time between kills (default 300)',
    '--records N        records per send (default 100)',
    '--seed N           the cluster seed (default 1)',
    '--json             print one JSON object as the last line',
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        kills: { type: 'string', default: '20' },
        'interval-ms': { type: 'string', default: '300' },
        records: { type: 'string', default: '100' },
        seed: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    })
    const report = await runFailover({
      kills: integerOption(values, 'kills', 1),
      intervalMs: integerOption(values, 'interval-ms', 1),
      recordsPerSend: integerOption(values, 'records', 1),
      seed: integerOption(values, 'seed', 0),
    })
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ scenario: 'failover', ...report, ...machineFacts() })}\n`,
      )
    } else {
      process.stdout.write(
        [
          `failover: ${report.kills} leader kills, 3 brokers, RF 3, min.insync.replicas 2, acks all`,
          `  election   p50 ${report.electionMsP50.toFixed(1)} ms  p99 ${report.electionMsP99.toFixed(1)} ms`,
          `  produce gap p50 ${report.produceGapMsP50.toFixed(1)} ms  p99 ${report.produceGapMsP99.toFixed(1)} ms`,
          `  acked ${report.acked}, acked lost ${report.ackedLost}, duplicates ${report.duplicates}`,
          `  verified: ${report.verified}`,
          '',
        ].join('\n'),
      )
    }
    if (!report.verified) process.exitCode = 1
  },
}
