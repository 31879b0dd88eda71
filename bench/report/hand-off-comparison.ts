import { measureHandOffBaselines } from '../baselines/latency-baselines.js'
import { type BarGroup, barsOf, ratiosOf } from './bench-report.js'

/**
 * What a scenario timed in milliseconds as chains of thread hand-offs (an election, a
 * rebalance) reports beside one bare hand-off: for each figure named, samsa's
 * `<figure>MsP50` and `<figure>MsP99` against the same of the SAB ring and postMessage, the
 * p50 ratios, bars of both, and a text line on the hand-offs themselves.
 */
export async function compareWithHandOffs(
  samsa: Readonly<Record<string, { readonly p50Ms: number; readonly p99Ms: number }>>,
) {
  const { handOffs, baselines } = await measureHandOffBaselines(Object.keys(samsa))
  const ratios: Record<string, number> = {}
  const bars: BarGroup[] = []
  for (const [figure, { p50Ms, p99Ms }] of Object.entries(samsa)) {
    Object.assign(ratios, ratiosOf(`${figure}MsP50`, p50Ms, baselines))
    bars.push(barsOf(`${figure}MsP50`, 'ms', p50Ms, baselines))
    bars.push(barsOf(`${figure}MsP99`, 'ms', p99Ms, baselines))
  }
  const ms = (us: number) => (us / 1000).toFixed(3)
  return {
    baselines,
    ratios,
    charts: { bars },
    summary: `one hand-off: sab-ring p50 ${ms(handOffs['sab-ring'].p50Us)} ms, post-message p50 ${ms(handOffs['post-message'].p50Us)} ms`,
  }
}
