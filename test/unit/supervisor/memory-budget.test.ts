import { describe, expect, it } from 'vitest'
import {
  bytesToReserve,
  formatBytes,
  replicaBytes,
  usedBytes,
} from '../../../src/actors/supervisor/memory-budget.js'
import type { PartitionMetadata } from '../../../src/actors/supervisor/supervisor-protocol.js'
import type { SupervisorState } from '../../../src/actors/supervisor/supervisor-state.js'
import type { TopicConfig } from '../../../src/actors/topic-config.js'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'

const MIB = 2 ** 20
const config = (logCapacityBytes: number): TopicConfig => ({
  logCapacityBytes,
  maxMessageBytes: 1_000_000,
  minInsyncReplicas: 1,
  replicaLagTimeMaxMs: 30_000,
})

function stateWith(
  maxMemoryBytes: number,
  topics: [string, TopicConfig, number, number][] = [],
  reserved: [string, number][] = [],
): SupervisorState {
  const log = new PartitionLog({ capacity: 256 }).handle()
  const partitions = (count: number, replicas: number): PartitionMetadata[] =>
    Array.from({ length: count }, (_, partition) => ({
      partition,
      leader: 0,
      replicas: Array.from({ length: replicas }, (_, id) => id),
      isr: [0],
      leaderEpoch: 0,
      log,
    }))
  return {
    brokers: [],
    topics: new Map(
      topics.map(([name, topicConfig, count, replicas]) => [
        name,
        { config: topicConfig, partitions: partitions(count, replicas) },
      ]),
    ),
    busy: new Set(),
    topicDefaults: config(8 * MIB),
    maxMemoryBytes,
    reservedBytes: new Map(reserved),
    uncleanLeaderElection: false,
    onElection: () => {},
    topicsCreated: 0,
    nextProducerId: 1,
    version: 1,
    changes: new Int32Array(1),
  }
}

describe('the memory budget', () => {
  it('counts a replica as its ring, its offset index and its header', () => {
    const log = new PartitionLog({ capacity: MIB }).handle()
    const allocated = log.data.byteLength + log.index.byteLength + log.header.byteLength
    expect(replicaBytes(config(MIB))).toBe(allocated)
  })

  it('counts every replica of every topic, and what is set aside for creations under way', () => {
    const perReplica = replicaBytes(config(MIB))
    const state = stateWith(
      10 ** 12,
      [
        ['a', config(MIB), 3, 2],
        ['b', config(MIB), 1, 1],
      ],
      [['c', 5]],
    )
    expect(usedBytes(state)).toBe(7 * perReplica + 5)
  })

  it('sets aside what fits', () => {
    const state = stateWith(100 * MIB)
    const request = { topic: 't', config: config(MIB), partitions: 4, replicationFactor: 3 }
    expect(bytesToReserve(state, request)).toBe(12 * replicaBytes(config(MIB)))
  })

  it('refuses with POLICY_VIOLATION what does not, saying what is asked and what is left', () => {
    const state = stateWith(64 * MIB, [['a', config(8 * MIB), 2, 1]])
    const refusal = (() => {
      try {
        bytesToReserve(state, {
          topic: 't',
          config: config(8 * MIB),
          partitions: 10,
          replicationFactor: 3,
        })
      } catch (error) {
        return error
      }
      throw new Error('expected a refusal')
    })()
    expect(refusal).toBeInstanceOf(KafkaProtocolError)
    expect((refusal as KafkaProtocolError).type).toBe('POLICY_VIOLATION')
    expect((refusal as Error).message).toMatch(
      /10 new partitions × 3 replicas × 13\.0 MiB .* ask for 390\.2 MiB; .*maxMemoryBytes 64\.0 MiB\) has 38\.0 MiB left/,
    )
  })

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1.5 * MIB)).toBe('1.5 MiB')
    expect(formatBytes(2 ** 60)).toBe('1.0 EiB')
  })
})
