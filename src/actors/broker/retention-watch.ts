import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import type { PartitionLog } from '../../runtime/log/partition-log.js'
import type { BrokerMessage } from './broker-protocol.js'
import type { BrokerState } from './broker-state.js'

/** How often time-based retention (`retention.ms`) is applied. */
const RETENTION_CHECK_MS = 1_000

/**
 * Sets the next time-retention check early enough for what `log` holds: when its oldest batch
 * expires, but no sooner than RETENTION_CHECK_MS from now. Checks come only when something can
 * expire (so virtual time skips the hours between), and a check sets the next one.
 */
export function watchRetention(
  state: BrokerState,
  log: PartitionLog,
  context: ActorContext<BrokerMessage>,
): void {
  const expiresAt = log.expiresAt
  if (expiresAt === Number.POSITIVE_INFINITY) return
  const now = context.clock.now()
  const at = Math.max(expiresAt, now + RETENTION_CHECK_MS)
  const set = state.retentionCheck
  if (set !== undefined && set.at <= at) return
  if (set !== undefined) context.cancelTimer(set.timer)
  state.retentionCheck = {
    at,
    timer: context.scheduleSelf(at - now, { type: 'enforce-retention' }),
  }
}
