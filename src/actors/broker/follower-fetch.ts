import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { SamsaError } from '../../runtime/errors/samsa-error.js'
import { LogState } from '../../runtime/log/log-header.js'
import { type WaitWord, waitUntil } from '../../runtime/log/wait.js'
import type { TopicConfig } from '../topic-config.js'
import { type BrokerMessage, followerProgress } from './broker-protocol.js'
import type { BrokerState, FollowerReplica } from './broker-state.js'
import { watchRetention } from './retention-watch.js'

/* The follower's side of replication: copying from leaders' logs and reporting how far. */

/** The longest a follower waits on its leader's log before it reports (and so stays in sync). */
const FOLLOWER_WAIT_MS = 250
/** The longest a follower with nothing to copy stays silent (at replica.lag.time.max.ms 30 s). */
const FOLLOWER_IDLE_WAIT_MAX_MS = 5_000

/**
 * How often an idle follower reports that it is still caught up: well within
 * replica.lag.time.max.ms, and no oftener than FOLLOWER_WAIT_MS. New data wakes it at once, so
 * this costs no latency; at 10,000 partitions, waking every follower 4 times a second kept
 * every broker busy doing nothing.
 */
function idleReportEvery(config: TopicConfig): number {
  return Math.min(
    FOLLOWER_IDLE_WAIT_MAX_MS,
    Math.max(FOLLOWER_WAIT_MS, Math.floor(config.replicaLagTimeMaxMs / 4)),
  )
}

/** Follower replicas here whose leader is the broker of that actor name. */
export function followersOf(state: BrokerState, leaderName: string): FollowerReplica[] {
  const followers: FollowerReplica[] = []
  for (const replica of state.replicas.values()) {
    if (replica.role === 'follower' && replica.leader.leader.name === leaderName) {
      followers.push(replica)
    }
  }
  return followers
}

/**
 * One fetch from a leader broker, as Kafka's replica fetcher makes it: each of `followers`
 * (all this broker's replicas of that leader's partitions, or one that has just become a
 * follower) copies what the leader's log has past its own end and reports how far it is
 * (when it copied something, or has been silent for its idle report period); then one wait
 * on that broker's append signal until it moves. Reports of one round go in one message.
 */
export function fetchFromLeader(
  state: BrokerState,
  leaderName: string,
  followers: readonly FollowerReplica[],
  context: ActorContext<BrokerMessage>,
): void {
  const leaderRef = followers[0]?.leader.leader
  if (leaderRef === undefined) return
  // A network partition between the two stops the copying too, not only the messages.
  if (context.isCutFrom(leaderRef as ActorRef<never>)) {
    context.scheduleSelf(FOLLOWER_WAIT_MS, { type: 'replica-fetch', leader: leaderName })
    return
  }
  // Read before copying, so that an append made while this round copies wakes the wait.
  const signals = signalsOf(followers)
  const now = context.clock.now()
  let behind = false
  for (const replica of followers) {
    if (copyFromLeader(state.brokerId, replica, now)) behind = true
    watchRetention(state, replica.log, context)
  }
  // One round copies at most a read's worth: a follower still behind goes again at once
  // rather than waiting for an append that may never come (the producer may be done).
  if (behind) {
    context.self.tell({ type: 'replica-fetch', leader: leaderName })
    return
  }
  for (const [signal, { word, seen, idleMs }] of signals) {
    if (state.leaderWaits.has(signal)) continue
    state.leaderWaits.add(signal)
    const moved = () => Atomics.load(word.words, word.notifyIndex) !== seen
    const woken = waitUntil(word, moved, idleMs, context.clock)
      .catch(() => false)
      .finally(() => state.leaderWaits.delete(signal))
    context.pipeToSelf(woken, () => ({ type: 'replica-fetch', leader: leaderName }))
  }
}

/**
 * The append signals the followers' live leader logs carry (one, unless the leader restarted
 * and some followers still read its old logs), each with its value now and the shortest idle
 * report period of its followers.
 */
function signalsOf(
  followers: readonly FollowerReplica[],
): Map<SharedArrayBuffer, { readonly word: WaitWord; readonly seen: number; idleMs: number }> {
  const signals = new Map<
    SharedArrayBuffer,
    { readonly word: WaitWord; readonly seen: number; idleMs: number }
  >()
  for (const replica of followers) {
    if (replica.leaderLog.state !== LogState.Active) continue
    const word = replica.leaderLog.appendSignal
    const signal = word.words.buffer as SharedArrayBuffer
    const idleMs = idleReportEvery(replica.config)
    const known = signals.get(signal)
    if (known === undefined) {
      signals.set(signal, { word, seen: Atomics.load(word.words, word.notifyIndex), idleMs })
    } else known.idleMs = Math.min(known.idleMs, idleMs)
  }
  return signals
}

/**
 * Copies what the leader has past this follower's log end, and reports when it should. True
 * when it copied something and the leader still has more past the new log end.
 */
export function copyFromLeader(brokerId: number, replica: FollowerReplica, now: number): boolean {
  const { log, leaderLog, leader, topic, partition } = replica
  const before = log.logEndOffset
  const reportDue = now - replica.reportedAt >= idleReportEvery(replica.config)
  // A round visits every partition of the leader, and most have nothing new: one load says so.
  if (leaderLog.logEndOffset === before && !reportDue) return false
  // A fenced or closed leader log has no more to give: wait for the controller's `follow`.
  if (leaderLog.state !== LogState.Active) return false
  try {
    if (leaderLog.logStartOffset > log.logEndOffset) {
      // The leader no longer has what comes next here: start again where it starts.
      log.reset(leaderLog.logStartOffset)
    }
    if (leaderLog.logEndOffset > log.logEndOffset) {
      // Straight from the leader's ring into this one: a copy in between would be fresh
      // memory for every fetch, and touching fresh pages costs far more than the copy.
      const copiedFrom = log.logEndOffset
      const read = leaderLog.read(copiedFrom, 1 << 20, { upTo: 'log-end', zeroCopy: true })
      try {
        for (const batch of read.batches) log.appendReplica(batch)
      } finally {
        // The leader evicted or truncated what was copied meanwhile: undo it, look again.
        if (!leaderLog.isIntact(read)) log.truncateTo(copiedFrom)
      }
    }
    const highWatermark = Math.min(leaderLog.highWatermark, log.logEndOffset)
    if (highWatermark !== log.highWatermark) log.setHighWatermark(highWatermark)
  } catch (error) {
    if (!(error instanceof SamsaError)) throw error
    // A race with the leader's eviction or a fenced leader: the next round looks again.
  }
  if (log.logEndOffset !== before || reportDue) {
    replica.reportedAt = now
    leader.leader.tell(followerProgress(topic, partition, brokerId, log.logEndOffset))
  }
  // Only after progress: a round that copied nothing (a race undone) waits for the next append.
  return log.logEndOffset !== before && leaderLog.logEndOffset > log.logEndOffset
}
