import { parseArgs } from 'node:util'
import { measureHandOffBaselines } from '../baselines/latency-baselines.js'
import { integerOption } from '../options.js'
import {
  barsOf,
  emitReport,
  REPORT_ARGS,
  REPORT_USAGE,
  ratiosOf,
  reportOptions,
} from '../report/bench-report.js'
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
    const { handOffs, baselines } = await measureHandOffBaselines(['join', 'leave'])
    progress.end()
    const output = {
      scenario: 'rebalance',
      ...run,
      baselines,
      ratios: {
        ...ratiosOf('joinMsP50', run.joinMsP50, baselines),
        ...ratiosOf('leaveMsP50', run.leaveMsP50, baselines),
      },
      charts: {
        bars: [
          barsOf('joinMsP50', 'ms', run.joinMsP50, baselines),
          barsOf('joinMsP99', 'ms', run.joinMsP99, baselines),
          barsOf('leaveMsP50', 'ms', run.leaveMsP50, baselines),
          barsOf('leaveMsP99', 'ms', run.leaveMsP99, baselines),
        ],
      },
    }
    await emitReport(output, report, () => [
      `rebalance: ${run.members} members, ${run.partitions} partitions, ${run.joins} joins, ${run.leaves} leaves`,
      `  join  p50 ${run.joinMsP50.toFixed(1)} ms  p99 ${run.joinMsP99.toFixed(1)} ms`,
      `  leave p50 ${run.leaveMsP50.toFixed(1)} ms  p99 ${run.leaveMsP99.toFixed(1)} ms`,
      `  one hand-off: sab-ring p50 ${(handOffs['sab-ring'].p50Us / 1000).toFixed(3)} ms, post-message p50 ${(handOffs['post-message'].p50Us / 1000).toFixed(3)} ms`,
      `  records ${run.recordsProduced}, owned twice ${run.ownedTwice}, delivered to a non-owner ${run.deliveredToNonOwner}, skipped ${run.skipped}`,
      `  verified: ${run.verified}`,
    ])
  },
}
