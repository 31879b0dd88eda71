/** What a leader knows of one follower: how far its log goes, and when it last had everything. */
export interface FollowerProgress {
  readonly logEnd: number
  readonly caughtUpAt: number
}

/**
 * Followers in the ISR, by broker id: those that had all of the leader's log within the last
 * `replica.lag.time.max.ms` (Kafka's rule; a follower that catches up is back in at once).
 */
export function inSyncFollowers(
  followers: ReadonlyMap<number, FollowerProgress>,
  now: number,
  lagTimeMaxMs: number,
): number[] {
  const inSync: number[] = []
  for (const [id, follower] of followers) {
    if (now - follower.caughtUpAt <= lagTimeMaxMs) inSync.push(id)
  }
  return inSync
}

/** The high watermark: the least log end among the leader and its in-sync followers. */
export function highWatermark(
  leaderLogEnd: number,
  followers: ReadonlyMap<number, FollowerProgress>,
  inSync: readonly number[],
): number {
  let lowest = leaderLogEnd
  for (const id of inSync) lowest = Math.min(lowest, followers.get(id)?.logEnd ?? 0)
  return lowest
}
