import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { emitReport, REPORT_OPTIONS } from '../report/bench-report.js'
import { compareWithHandOffs } from '../report/hand-off-comparison.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import { runRebalance } from './rebalance-run.js'

const OPTIONS = {
  members: { kind: 'integer', min: 1, help: 'consumers in the group', default: 10 },
  partitions: { kind: 'integer', min: 1, help: 'partitions of the topic', default: 30 },
  cycles: {
    kind: 'integer',
    min: 1,
    help: 'leave-then-join cycles: N joins and N leaves',
    default: 10,
  },
  seed: { kind: 'integer', min: 0, help: 'the cluster seed', default: 1 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const rebalanceBench: BenchScenario = {
  name: 'rebalance',
  summary:
    'members joining and leaving a consumer group under load: time until all is consumed again',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const progress = new ProgressLine(options)
    progress.phase('members leaving and joining under load')
    const run = await runRebalance({
      members: options.members,
      partitions: options.partitions,
      cycles: options.cycles,
      seed: options.seed,
    })
    progress.phase('baselines: one thread-to-thread hand-off, SAB ring and postMessage')
    const comparison = await compareWithHandOffs({
      join: { p50Ms: run.joinMsP50, p99Ms: run.joinMsP99 },
      leave: { p50Ms: run.leaveMsP50, p99Ms: run.leaveMsP99 },
    })
    progress.end()
    const { summary, ...compared } = comparison
    const output = { scenario: 'rebalance', ...run, ...compared }
    await emitReport(output, options, () => [
      `rebalance: ${run.members} members, ${run.partitions} partitions, ${run.joins} joins, ${run.leaves} leaves`,
      `  join  p50 ${run.joinMsP50.toFixed(1)} ms  p99 ${run.joinMsP99.toFixed(1)} ms`,
      `  leave p50 ${run.leaveMsP50.toFixed(1)} ms  p99 ${run.leaveMsP99.toFixed(1)} ms`,
      `  ${summary}`,
      `  records ${run.recordsProduced}, owned twice ${run.ownedTwice}, delivered to a non-owner ${run.deliveredToNonOwner}, skipped ${run.skipped}`,
      `  verified: ${run.verified}`,
    ])
  },
}
