import { describe, expect, it } from 'vitest'
import type { BrokerMessage, IsrChanged } from '../../../src/actors/broker/broker-protocol.js'
import type { FollowerReplica, LeaderReplica } from '../../../src/actors/broker/broker-state.js'
import { copyFromLeader } from '../../../src/actors/broker/follower-fetch.js'
import { advanceHighWatermark, leaderReplica } from '../../../src/actors/broker/leader-replica.js'
import type { SupervisorRequest } from '../../../src/actors/supervisor/supervisor-protocol.js'
import type { TopicConfig } from '../../../src/actors/topic-config.js'
import type { ActorRef } from '../../../src/runtime/actor/actor-ref.js'
import type { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'
import { PartitionLogReader } from '../../../src/runtime/log/partition-log-reader.js'
import { encodeRecordBatch } from '../../../src/runtime/log/record-batch-codec.js'

/*
 * The broker's replication decisions, on logs in this thread's memory and with the messages
 * a broker would send caught in arrays: what a follower copies and reports, and where a
 * leader puts its high watermark, which produces that answers and what ISR it reports.
 */

const config: TopicConfig = {
  logCapacityBytes: 1 << 22,
  maxMessageBytes: 1 << 20,
  minInsyncReplicas: 2,
  replicaLagTimeMaxMs: 10_000,
}

const batchOf = (records: number, valueBytes = 100) =>
  encodeRecordBatch({
    timestamp: 0,
    records: Array.from({ length: records }, () => ({
      key: null,
      value: new Uint8Array(valueBytes),
    })),
  })

/** A ref that only collects what is told to it. */
function collectingRef<T>(name: string): { ref: ActorRef<T>; told: T[] } {
  const told: T[] = []
  const ref = { name, tell: (message: T) => told.push(message) } as unknown as ActorRef<T>
  return { ref, told }
}

function follower(leaderLog: PartitionLog): { replica: FollowerReplica; told: BrokerMessage[] } {
  const { ref, told } = collectingRef<BrokerMessage>('broker-1')
  const replica: FollowerReplica = {
    role: 'follower',
    topic: 't',
    partition: 0,
    log: new PartitionLog({ capacity: config.logCapacityBytes }),
    config,
    leader: { kind: 'follower', leader: ref, leaderLog: leaderLog.handle() },
    leaderLog: PartitionLogReader.open(leaderLog.handle()),
    reportedAt: Number.NEGATIVE_INFINITY,
  }
  return { replica, told }
}

function leader(followers: readonly number[]): { replica: LeaderReplica; told: IsrChanged[] } {
  const { ref, told } = collectingRef<SupervisorRequest>('controller')
  const log = new PartitionLog({ capacity: config.logCapacityBytes })
  const replica = leaderReplica(
    { topic: 't', partition: 0 },
    log,
    config,
    {
      kind: 'leader',
      followers,
      controller: ref,
    },
    0,
  )
  return { replica, told: told as IsrChanged[] }
}

describe('a follower copying from its leader', () => {
  it('says it is still behind after a read’s worth, and catches up round by round', () => {
    const leaderLog = new PartitionLog({ capacity: config.logCapacityBytes })
    // 3 MiB: three times what one round reads.
    for (let batch = 0; batch < 30; batch++) leaderLog.append(batchOf(1_000))
    const { replica, told } = follower(leaderLog)
    const rounds: boolean[] = []
    for (let round = 0; round < 10; round++) {
      const behind = copyFromLeader(2, replica, round)
      rounds.push(behind)
      if (!behind) break
    }
    expect(rounds.length).toBeGreaterThan(2)
    expect(rounds.slice(0, -1).every((behind) => behind)).toBe(true)
    expect(rounds.at(-1)).toBe(false)
    expect(replica.log.logEndOffset).toBe(leaderLog.logEndOffset)
    // Every round that copied told the leader how far this follower is.
    expect(told).toHaveLength(rounds.length)
    expect(told.at(-1)).toEqual({
      type: 'follower-progress',
      topic: 't',
      partition: 0,
      follower: 2,
      logEnd: 30_000,
    })
  })

  it('copies nothing and stays quiet when it has everything and its report is not due', () => {
    const leaderLog = new PartitionLog({ capacity: config.logCapacityBytes })
    leaderLog.append(batchOf(10))
    const { replica, told } = follower(leaderLog)
    expect(copyFromLeader(2, replica, 0)).toBe(false)
    expect(told).toHaveLength(1)
    expect(copyFromLeader(2, replica, 1)).toBe(false)
    expect(told).toHaveLength(1)
  })

  it('takes the leader’s high watermark only as far as its own log goes', () => {
    const leaderLog = new PartitionLog({ capacity: config.logCapacityBytes })
    leaderLog.append(batchOf(10))
    leaderLog.setHighWatermark(10)
    const { replica } = follower(leaderLog)
    copyFromLeader(2, replica, 0)
    expect(replica.log.highWatermark).toBe(10)
  })
})

describe('a leader’s high watermark', () => {
  it('is the least log end of the in-sync replicas, and answers the produces it covers', () => {
    const { replica, told } = leader([2, 3])
    replica.log.append(batchOf(10))
    const answered: (KafkaProtocolError | undefined)[] = []
    replica.pending.push({ endOffset: 10, settle: (error) => answered.push(error) })
    replica.followers.set(2, { logEnd: 10, caughtUpAt: 0 })
    replica.followers.set(3, { logEnd: 4, caughtUpAt: 0 })
    advanceHighWatermark(replica, 0)
    expect(replica.log.highWatermark).toBe(4)
    expect(answered).toEqual([])
    expect(told).toEqual([
      { type: 'isr-changed', topic: 't', partition: 0, leaderEpoch: 0, isr: [2, 3] },
    ])
    replica.followers.set(3, { logEnd: 10, caughtUpAt: 0 })
    advanceHighWatermark(replica, 0)
    expect(replica.log.highWatermark).toBe(10)
    expect(answered).toEqual([undefined])
    // The ISR did not change: nothing more for the controller.
    expect(told).toHaveLength(1)
  })

  it('drops a follower silent past replica.lag.time.max.ms, and refuses below min.insync', () => {
    const { replica, told } = leader([2, 3])
    replica.log.append(batchOf(10))
    const answered: (KafkaProtocolError | undefined)[] = []
    replica.pending.push({ endOffset: 10, settle: (error) => answered.push(error) })
    replica.followers.set(2, { logEnd: 10, caughtUpAt: 20_000 })
    replica.followers.set(3, { logEnd: 0, caughtUpAt: 0 })
    advanceHighWatermark(replica, 20_000)
    // Follower 3 is out: what the leader and follower 2 have is committed, and 2 in sync is
    // still min.insync.replicas.
    expect(told.at(-1)).toMatchObject({ isr: [2] })
    expect(replica.log.highWatermark).toBe(10)
    expect(answered).toEqual([undefined])

    replica.log.append(batchOf(5))
    replica.pending.push({ endOffset: 15, settle: (error) => answered.push(error) })
    advanceHighWatermark(replica, 40_000)
    // Alone in the ISR, the leader's high watermark covers the produce, but one replica is
    // fewer than min.insync.replicas promised: refused, as Kafka refuses it, not acknowledged.
    expect(told.at(-1)).toMatchObject({ isr: [] })
    expect(replica.log.highWatermark).toBe(15)
    expect(answered).toHaveLength(2)
    expect(answered.at(-1)?.type).toBe('NOT_ENOUGH_REPLICAS_AFTER_APPEND')
  })
})
