// What the cluster's partition logs take of its memory budget (`maxMemoryBytes`), checked before
// a topic or partition is created so that a request for more than is left costs nothing.

import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { logBytesFor } from '../../runtime/log/log-layout.js'
import type { TopicConfig } from '../topic-config.js'
import type { SupervisorState } from './supervisor-state.js'

/** Bytes of shared memory one replica of a topic with `config` takes. */
export function replicaBytes(config: TopicConfig): number {
  return logBytesFor(config.logCapacityBytes)
}

/** Bytes the replicas of every topic take, and those being created. */
export function usedBytes(state: SupervisorState): number {
  let used = 0
  for (const { config, partitions } of state.topics.values()) {
    const perReplica = replicaBytes(config)
    for (const partition of partitions) used += perReplica * partition.replicas.length
  }
  for (const reserved of state.reservedBytes.values()) used += reserved
  return used
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const

/** 13631488 → "13.0 MiB". */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/**
 * The bytes `partitions` new partitions of `replicationFactor` replicas each would take, or
 * Kafka's POLICY_VIOLATION (as a broker's create-topic policy answers) when they do not fit
 * in what the budget has left.
 */
export function bytesToReserve(
  state: SupervisorState,
  request: {
    readonly topic: string
    readonly config: TopicConfig
    readonly partitions: number
    readonly replicationFactor: number
  },
): number {
  const perReplica = replicaBytes(request.config)
  const asked = perReplica * request.partitions * request.replicationFactor
  const left = Math.max(0, state.maxMemoryBytes - usedBytes(state))
  if (asked > left) {
    throw new KafkaProtocolError(
      'POLICY_VIOLATION',
      `topic '${request.topic}': ${request.partitions} new partitions × ${request.replicationFactor} replicas × ${formatBytes(perReplica)} (each a ring of ${formatBytes(request.config.logCapacityBytes)} with its index) ask for ${formatBytes(asked)}; the memory budget (maxMemoryBytes ${formatBytes(state.maxMemoryBytes)}) has ${formatBytes(left)} left`,
    )
  }
  return asked
}
