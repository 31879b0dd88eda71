import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { PartitionLog } from '../../runtime/log/partition-log.js'
import type { TopicConfig } from '../topic-config.js'
import type { ReplicaRole } from './broker-protocol.js'
import type { LeaderReplica, PendingAck } from './broker-state.js'
import { highWatermark, inSyncFollowers } from './in-sync-replicas.js'
import { ProducerStateTable } from './producer-state.js'
import { TransactionTable } from './transaction-table.js'

/* The leader's side of replication: a replica that leads, and its high watermark. */

export function leaderReplica(
  where: { readonly topic: string; readonly partition: number },
  log: PartitionLog,
  config: TopicConfig,
  role: Extract<ReplicaRole, { kind: 'leader' }>,
  now: number,
): LeaderReplica {
  return {
    role: 'leader',
    topic: where.topic,
    partition: where.partition,
    log,
    config,
    // Followers start in the ISR, as a new partition's replicas (or an elected leader's ISR) do.
    followers: new Map(role.followers.map((id) => [id, { logEnd: 0, caughtUpAt: now }])),
    pending: [],
    controller: role.controller,
    reportedIsr: '',
    producers: ProducerStateTable.fromBatches(batchesOf(log)),
    transactions: restoredTransactions(log),
  }
}

/** The log's transactions, read from its batches and published for read-committed readers. */
function restoredTransactions(log: PartitionLog): TransactionTable {
  const { table, aborted } = TransactionTable.fromBatches(batchesOf(log), log.logStartOffset)
  log.restoreTransactions(table.firstUnstableOffset(), aborted)
  return table
}

/** Every batch a log holds, oldest first (what a new leader learns producers from). */
function* batchesOf(log: PartitionLog): Generator<Uint8Array> {
  let offset: number = log.logStartOffset
  while (offset < log.logEndOffset) {
    const read = log.read(offset, 1 << 20, { upTo: 'log-end' })
    yield* read.batches
    offset = read.nextOffset
  }
}

/**
 * Moves the high watermark to what every in-sync replica has, answers the produces it covers,
 * and tells the controller when the ISR changed.
 */
export function advanceHighWatermark(replica: LeaderReplica, now: number): void {
  const { log, config, pending } = replica
  const inSync = inSyncFollowers(replica.followers, now, config.replicaLagTimeMaxMs)
  const isr = [...inSync].sort((a, b) => a - b)
  const isrKey = isr.join(',')
  if (isrKey !== replica.reportedIsr) {
    replica.reportedIsr = isrKey
    replica.controller.tell({
      type: 'isr-changed',
      topic: replica.topic,
      partition: replica.partition,
      leaderEpoch: log.leaderEpoch,
      isr: isr,
    })
  }
  const next = highWatermark(log.logEndOffset, replica.followers, inSync)
  if (next > log.highWatermark) log.setHighWatermark(next)
  if (1 + inSync.length < config.minInsyncReplicas) {
    // The ISR shrank under what these produces were promised: Kafka's after-append refusal,
    // also for those the high watermark now covers (it moved with fewer replicas than asked).
    for (const waiting of pending.splice(0)) {
      waiting.settle(
        new KafkaProtocolError(
          'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
          `the in-sync replicas fell to ${1 + inSync.length}, under min.insync.replicas ${config.minInsyncReplicas}`,
        ),
      )
    }
    return
  }
  const committed = log.highWatermark
  while (pending.length > 0 && (pending[0] as PendingAck).endOffset <= committed) {
    ;(pending.shift() as PendingAck).settle()
  }
}
