import { expect } from 'vitest'

/** Live handles by kind (a worker shows up as a MessagePort, a timer as a Timeout). */
export function liveResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

/** Fails when any kind of handle is more numerous than it was at `before`. */
export async function expectNothingLeftSince(before: Map<string, number>): Promise<void> {
  // Handles closed during the last turn are gone only after it.
  await new Promise((resolve) => setImmediate(resolve))
  for (const [kind, count] of liveResources()) {
    expect({ kind, count }).toEqual({ kind, count: Math.min(count, before.get(kind) ?? 0) })
  }
}
