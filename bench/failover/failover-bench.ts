import { parseArgs } from 'node:util'
import { integerOption, optional, positiveNumberOption } from '../options.js'
import { emitReport, REPORT_ARGS, REPORT_USAGE, reportOptions } from '../report/bench-report.js'
import { compareWithHandOffs } from '../report/hand-off-comparison.js'
import { ProgressLine } from '../report/progress-line.js'
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
    '--rate N           records per second the producer is held to (default: as fast as it goes)',
    ...REPORT_USAGE,
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        kills: { type: 'string', default: '20' },
        'interval-ms': { type: 'string', default: '300' },
        records: { type: 'string', default: '100' },
        seed: { type: 'string', default: '1' },
        rate: { type: 'string' },
        ...REPORT_ARGS,
      },
      strict: true,
    })
    const report = reportOptions(values)
    const progress = new ProgressLine(report)
    progress.phase('leader kills under load')
    const run = await runFailover({
      kills: integerOption(values, 'kills', 1),
      intervalMs: integerOption(values, 'interval-ms', 1),
      recordsPerSend: integerOption(values, 'records', 1),
      seed: integerOption(values, 'seed', 0),
      rate: optional(values, 'rate', positiveNumberOption),
    })
    progress.phase('baselines: one thread-to-thread hand-off, SAB ring and postMessage')
    const comparison = await compareWithHandOffs({
      election: { p50Ms: run.electionMsP50, p99Ms: run.electionMsP99 },
      produceGap: { p50Ms: run.produceGapMsP50, p99Ms: run.produceGapMsP99 },
    })
    progress.end()
    const { summary, ...compared } = comparison
    const output = { scenario: 'failover', ...run, ...compared }
    await emitReport(output, report, () => [
      `failover: ${run.kills} leader kills, 3 brokers, RF 3, min.insync.replicas 2, acks all${run.rate === undefined ? '' : `, ${run.rate} records/s`}`,
      `  election   p50 ${run.electionMsP50.toFixed(1)} ms  p99 ${run.electionMsP99.toFixed(1)} ms`,
      `  produce gap p50 ${run.produceGapMsP50.toFixed(1)} ms  p99 ${run.produceGapMsP99.toFixed(1)} ms`,
      `  ${summary}`,
      `  acked ${run.acked}, acked lost ${run.ackedLost}, duplicates ${run.duplicates}`,
      `  ratios ${JSON.stringify(output.ratios)}`,
      `  verified: ${run.verified}${run.problems.length > 0 ? ` (${run.problems.join('; ')})` : ''}`,
    ])
  },
}
