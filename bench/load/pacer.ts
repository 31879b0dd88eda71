/** Refuses a rate no schedule can keep (0, negative, NaN, Infinity). */
export function checkRate(rate: number | undefined): void {
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new Error('rate must be a number > 0')
  }
}

/**
 * A fixed rate for a stream of records: given how many will have been sent, a wait until the
 * last of them is due at `rate` records/s from now, or undefined when it already is (so a
 * caller on time pays no await and no turn). Without a rate, never a wait.
 */
export function pacer(rate: number | undefined): (records: number) => Promise<void> | undefined {
  if (rate === undefined) return () => undefined
  const startAt = performance.now()
  return (records) => {
    const waitMs = startAt + (records / rate) * 1000 - performance.now()
    // Timers are no finer than a millisecond: shorter waits are made up by the next ones.
    return waitMs < 1 ? undefined : new Promise((resolve) => setTimeout(resolve, waitMs))
  }
}
