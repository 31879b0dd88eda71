/**
 * What happens when a child dies: `restart` it (one-for-one) while fewer than `maxRestarts`
 * restarts fell within the last `withinMs`, or leave it `stop`ped (fault experiments).
 */
export type SupervisionPolicy =
  | { readonly strategy: 'restart'; readonly maxRestarts: number; readonly withinMs: number }
  | { readonly strategy: 'stop' }

export const DEFAULT_SUPERVISION: SupervisionPolicy = {
  strategy: 'restart',
  maxRestarts: 3,
  withinMs: 60_000,
}

/** Restart times kept per child, pruned to the policy's window. */
export interface RestartHistory {
  readonly restartTimes: readonly number[]
}

export type RestartDecision =
  | { readonly restart: true; readonly history: RestartHistory }
  | { readonly restart: false; readonly reason: string; readonly history: RestartHistory }

export function decideRestart(
  policy: SupervisionPolicy,
  history: RestartHistory,
  now: number,
): RestartDecision {
  if (policy.strategy === 'stop') return { restart: false, reason: 'policy is stop', history }
  const recent = history.restartTimes.filter((time) => now - time < policy.withinMs)
  if (recent.length >= policy.maxRestarts) {
    return {
      restart: false,
      reason: `restart budget spent (${policy.maxRestarts} in ${policy.withinMs} ms)`,
      history: { restartTimes: recent },
    }
  }
  return { restart: true, history: { restartTimes: [...recent, now] } }
}
