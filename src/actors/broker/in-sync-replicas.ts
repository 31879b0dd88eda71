/** What a leader knows of one follower: how far its log goes, and when it last had everything. */
export interface FollowerProgress {
  readonly logEnd: number
  readonly caughtUpAt: number
}

/**
 * Followers in the ISR: those that had all of the leader's log within the last
 * `replica.lag.time.max.ms` (Kafka's rule; a follower that catches up is back in at once).
 */
export function inSyncFollowers(
  followers: ReadonlyMap<number, FollowerProgress>,
  now: number,
  lagTimeMaxMs: number,
): FollowerProgress[] {
  const inSync: FollowerProgress[] = []
  for (const follower of followers.values()) {
    if (now - follower.caughtUpAt <= lagTimeMaxMs) inSync.push(follower)
  }
  return inSync
}

/** The high watermark: the least log end among the leader and its in-sync followers. */
export function highWatermark(leaderLogEnd: number, inSync: readonly FollowerProgress[]): number {
  let lowest = leaderLogEnd
  for (const follower of inSync) lowest = Math.min(lowest, follower.logEnd)
  return lowest
}
