import { parseArgs } from 'node:util'
import { integerOption } from '../options.js'
import { emitReport, REPORT_ARGS, REPORT_USAGE, reportOptions } from '../report/bench-report.js'
import { compareWithHandOffs } from '../report/hand-off-comparison.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import { runRebalance } from './rebalance-run.js'

export const rebalanceBench: BenchScenario = {
  name: 'rebalance',
  summary:
    'members joining and leaving a consumer group under load: time until all is consumed again',
  usage: [
    '--members N        consumers in the group (default 10)',
    '--partitions N     partitions of the topic (default 30)',
    '--cycles N         leave-then-join cycles: N joins and N leaves (default 10)',
    '--seed N           the cluster seed (default 1)',
    ...REPORT_USAGE,
  ],
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        members: { type: 'string', default: '10' },
        partitions: { type: 'string', default: '30' },
        cycles: { type: 'string', default: '10' },
        seed: { type: 'string', default: '1' },
        ...REPORT_ARGS,
      },
      strict: true,
    })
    const report = reportOptions(values)
    const progress = new ProgressLine(report)
    progress.phase('members leaving and joining under load')
    const run = await runRebalance({
      members: integerOption(values, 'members', 1),
      partitions: integerOption(values, 'partitions', 1),
      cycles: integerOption(values, 'cycles', 1),
      seed: integerOption(values, 'seed', 0),
    })
    progress.phase('baselines: one thread-to-thread hand-off, SAB ring and postMessage')
    const comparison = await compareWithHandOffs({
      join: { p50Ms: run.joinMsP50, p99Ms: run.joinMsP99 },
      leave: { p50Ms: run.leaveMsP50, p99Ms: run.leaveMsP99 },
    })
    progress.end()
    const { summary, ...compared } = comparison
    const output = { scenario: 'rebalance', ...run, ...compared }
    await emitReport(output, report, () => [
      `rebalance: ${run.members} members, ${run.partitions} partitions, ${run.joins} joins, ${run.leaves} leaves`,
      `  join  p50 ${run.joinMsP50.toFixed(1)} ms  p99 ${run.joinMsP99.toFixed(1)} ms`,
      `  leave p50 ${run.leaveMsP50.toFixed(1)} ms  p99 ${run.leaveMsP99.toFixed(1)} ms`,
      `  ${summary}`,
      `  records ${run.recordsProduced}, owned twice ${run.ownedTwice}, delivered to a non-owner ${run.deliveredToNonOwner}, skipped ${run.skipped}`,
      `  verified: ${run.verified}`,
    ])
  },
}
