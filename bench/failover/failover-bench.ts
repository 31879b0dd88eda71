import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { emitReport, REPORT_OPTIONS } from '../report/bench-report.js'
import { compareWithHandOffs } from '../report/hand-off-comparison.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import { runFailover } from './failover-run.js'

const OPTIONS = {
  kills: { kind: 'integer', min: 1, help: 'leader kills', default: 20 },
  'interval-ms': { kind: 'integer', min: 1, help: 'time between kills', default: 300 },
  records: { kind: 'integer', min: 1, help: 'records per send', default: 100 },
  seed: { kind: 'integer', min: 0, help: 'the cluster seed', default: 1 },
  rate: {
    kind: 'decimal',
    help: 'records per second the producer is held to',
    otherwise: 'as fast as it goes',
  },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const failoverBench: BenchScenario = {
  name: 'failover',
  summary: 'leader kills under an acks=all load: election time, produce gap, acked records lost',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const progress = new ProgressLine(options)
    progress.phase('leader kills under load')
    const run = await runFailover({
      kills: options.kills,
      intervalMs: options['interval-ms'],
      recordsPerSend: options.records,
      seed: options.seed,
      rate: options.rate,
    })
    progress.phase('baselines: one thread-to-thread hand-off, SAB ring and postMessage')
    const comparison = await compareWithHandOffs({
      election: { p50Ms: run.electionMsP50, p99Ms: run.electionMsP99 },
      produceGap: { p50Ms: run.produceGapMsP50, p99Ms: run.produceGapMsP99 },
    })
    progress.end()
    const { summary, ...compared } = comparison
    const output = { scenario: 'failover', ...run, ...compared }
    await emitReport(output, options, () => [
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
