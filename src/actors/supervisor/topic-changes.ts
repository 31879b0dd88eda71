// The controller's topic changes: create, grow and delete topics on the brokers; metadata snapshots.

import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { toWireError } from '../../runtime/errors/wire-error.js'
import type { BrokerMessage, ReplicaCreated, ReplicaRole } from '../broker/broker-protocol.js'
import type { TopicConfig } from '../topic-config.js'
import { bytesToReserve } from './memory-budget.js'
import type {
  MetadataSnapshot,
  PartitionMetadata,
  TopicResult,
  TopicSpec,
} from './supervisor-protocol.js'
import type { Completion, SupervisorMessage, SupervisorState } from './supervisor-state.js'
import { controllerOf } from './supervisor-state.js'
import { validatePartitionCount, validateTopicSpec } from './topic-rules.js'

export function snapshot(state: SupervisorState, names?: readonly string[]): MetadataSnapshot {
  const wanted = names ?? [...state.topics.keys()]
  const live = state.brokers.filter((entry) => entry.alive)
  return {
    version: state.version,
    changes: state.changes.buffer as SharedArrayBuffer,
    controllerId: live[0]?.id ?? -1,
    brokers: state.brokers.map((entry) => ({
      nodeId: entry.id,
      ref: entry.ref,
      alive: entry.alive,
    })),
    topics: wanted.flatMap((topic) => {
      const found = state.topics.get(topic)
      return found === undefined ? [] : [{ topic, partitions: found.partitions }]
    }),
    missing: wanted.filter((topic) => !state.topics.has(topic)),
  }
}

/** Gathers per-topic outcomes and answers the request once all are in. */
export function collect(replier: Replier, topics: readonly string[]) {
  const results = new Map<string, TopicResult>()
  const finish = () => {
    if (results.size === topics.length) replier.resolve(topics.map((topic) => results.get(topic)))
  }
  return {
    done(result: TopicResult) {
      results.set(result.topic, result)
      finish()
    },
    failed(topic: string, error: unknown) {
      results.set(topic, { topic, outcome: 'failed', error: toWireError(error) })
      finish()
    },
    finish,
  }
}

/** What Kafka answers for a topic whose creation or change is still under way (retriable). */
export function busyError(topic: string): KafkaProtocolError {
  return new KafkaProtocolError(
    'LEADER_NOT_AVAILABLE',
    `topic '${topic}' is being created or changed; try again`,
  )
}

export function createTopics(
  state: SupervisorState,
  specs: readonly TopicSpec[],
  context: ActorContext<SupervisorMessage>,
  replier: Replier = context.deferReply(),
): SupervisorState {
  const replies = collect(
    replier,
    specs.map((spec) => spec.topic),
  )
  const busy = new Set(state.busy)
  const reservedBytes = new Map(state.reservedBytes)
  let topicsCreated = state.topicsCreated
  const live = state.brokers.filter((entry) => entry.alive)
  for (const spec of specs) {
    if (state.topics.has(spec.topic)) {
      replies.done({ topic: spec.topic, outcome: 'already-exists' })
      continue
    }
    if (busy.has(spec.topic)) {
      replies.failed(spec.topic, busyError(spec.topic))
      continue
    }
    const config = topicConfig(state.topicDefaults, spec)
    try {
      validateTopicSpec(spec, live.length)
      reservedBytes.set(
        spec.topic,
        bytesToReserve(
          { ...state, reservedBytes },
          {
            topic: spec.topic,
            config,
            partitions: spec.numPartitions,
            replicationFactor: spec.replicationFactor,
          },
        ),
      )
    } catch (error) {
      replies.failed(spec.topic, error)
      continue
    }
    busy.add(spec.topic)
    const placement = live.map((_, index) => live[(topicsCreated + index) % live.length])
    topicsCreated += 1
    addPartitions(
      { topic: spec.topic, config, replicationFactor: spec.replicationFactor },
      { from: 0, to: spec.numPartitions },
      placement,
      context,
      replies.done,
    )
  }
  replies.finish()
  return { ...state, busy, reservedBytes, topicsCreated }
}

function topicConfig(defaults: TopicConfig, spec: TopicSpec): TopicConfig {
  const logCapacityBytes = spec.logCapacityBytes ?? defaults.logCapacityBytes
  const retentionBytes = spec.retentionBytes ?? defaults.retentionBytes
  return {
    logCapacityBytes,
    // A log keeps at most its ring, whatever retention.bytes allows.
    retentionBytes:
      retentionBytes === undefined ? undefined : Math.min(retentionBytes, logCapacityBytes),
    retentionMs: spec.retentionMs ?? defaults.retentionMs,
    maxMessageBytes: spec.maxMessageBytes ?? defaults.maxMessageBytes,
    minInsyncReplicas: spec.minInsyncReplicas ?? defaults.minInsyncReplicas,
    replicaLagTimeMaxMs: defaults.replicaLagTimeMaxMs,
  }
}

export function createPartitions(
  state: SupervisorState,
  requests: readonly { readonly topic: string; readonly count: number }[],
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  const replies = collect(
    context.deferReply(),
    requests.map((request) => request.topic),
  )
  const busy = new Set(state.busy)
  const reservedBytes = new Map(state.reservedBytes)
  const live = state.brokers.filter((entry) => entry.alive)
  for (const { topic, count } of requests) {
    const existing = state.topics.get(topic)
    if (existing === undefined) {
      replies.failed(
        topic,
        new KafkaProtocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${topic}' does not exist`),
      )
      continue
    }
    if (busy.has(topic)) {
      replies.failed(topic, busyError(topic))
      continue
    }
    const current = existing.partitions.length
    const replicationFactor = existing.partitions[0]?.replicas.length ?? 1
    try {
      validatePartitionCount(count)
      if (count <= current) {
        throw new KafkaProtocolError(
          'INVALID_PARTITIONS',
          `topic '${topic}' has ${current} partitions; the new count must be more, got ${count}`,
        )
      }
      reservedBytes.set(
        topic,
        bytesToReserve(
          { ...state, reservedBytes },
          { topic, config: existing.config, partitions: count - current, replicationFactor },
        ),
      )
    } catch (error) {
      replies.failed(topic, error)
      continue
    }
    busy.add(topic)
    const firstLeader = existing.partitions[0]?.leader
    const start = Math.max(
      0,
      live.findIndex((entry) => entry.id === firstLeader),
    )
    const placement = live.map((_, index) => live[(start + index) % live.length])
    addPartitions(
      { topic, config: existing.config, replicationFactor },
      { from: current, to: count },
      placement,
      context,
      replies.done,
    )
  }
  replies.finish()
  return { ...state, busy, reservedBytes }
}

/** Partitions whose replicas are being created at once, per topic change. */
const CREATES_IN_FLIGHT = 256

export type Placed = { readonly id: number; readonly ref: ActorRef<BrokerMessage> }

/**
 * Asks the brokers for replicas of partitions [from, to) of a topic: partition p's replicas
 * are the `replicationFactor` live brokers from `placement[p]` on, the first its leader (so
 * leaders and followers spread evenly). The leader's replica comes first, since followers copy
 * from its log. The outcome comes back as `partitions-ready`.
 *
 * All or nothing: once any replica fails, no more are asked for, and every replica asked for
 * is deleted again before the failure is reported, so a failed change leaves no half-made
 * partitions on the brokers.
 */
export function addPartitions(
  target: {
    readonly topic: string
    readonly config: TopicConfig
    readonly replicationFactor: number
  },
  range: { readonly from: number; readonly to: number },
  placement: readonly (Placed | undefined)[],
  context: ActorContext<SupervisorMessage>,
  done: (result: TopicResult) => void,
): void {
  const { topic, config, replicationFactor } = target
  // Sent from continuations, in no actor's turn: under the controller's own name, or they
  // would go out as `$outside` and a fault on the application's links would drop them.
  const asController = { from: context.self.name }
  // Every replica asked for, answered or not: an ask that ran out of time may still have been
  // carried out, and a delete sent after it on the same link arrives after it.
  const asked: { readonly partition: number; readonly broker: Placed }[] = []
  const createReplica = (
    broker: Placed,
    partition: number,
    role: ReplicaRole,
  ): Promise<ReplicaCreated> => {
    asked.push({ partition, broker })
    return broker.ref.ask<ReplicaCreated>(
      { type: 'create-replica', topic, partition, leaderEpoch: 0, config, role },
      asController,
    )
  }
  const createPartition = async (partition: number): Promise<PartitionMetadata | undefined> => {
    const replicas = Array.from(
      { length: replicationFactor },
      (_, index) => placement[(partition + index) % placement.length],
    ).filter((entry): entry is Placed => entry !== undefined)
    const [leader, ...followers] = replicas
    if (leader === undefined) return undefined
    const created = await createReplica(leader, partition, {
      kind: 'leader',
      followers: followers.map((entry) => entry.id),
      controller: controllerOf(context),
    })
    // Every follower's answer is awaited, so that no create is still under way at the rollback.
    const outcomes = await Promise.allSettled(
      followers.map((follower) =>
        createReplica(follower, partition, {
          kind: 'follower',
          leader: leader.ref,
          leaderLog: created.log,
        }),
      ),
    )
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    const ids = replicas.map((entry) => entry.id)
    return {
      partition,
      leader: leader.id,
      replicas: ids,
      isr: ids,
      leaderEpoch: 0,
      log: created.log,
    }
  }
  // A bounded number of partitions at a time, in partition order: all of 10,000 at once
  // queued so many creates in each broker's mailbox that the last ones outlived their ask
  // deadline, and the brokers their heartbeats.
  const created: PartitionMetadata[] = []
  let failure: { readonly error: unknown } | undefined
  let next = range.from
  const lane = async () => {
    while (next < range.to && failure === undefined) {
      try {
        const partition = await createPartition(next++)
        if (partition !== undefined) created.push(partition)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  const lanes = Array.from({ length: Math.min(CREATES_IN_FLIGHT, range.to - range.from) }, lane)
  const asks = Promise.all(lanes).then(() => {
    if (failure === undefined) {
      return created.sort((left, right) => left.partition - right.partition)
    }
    for (const { partition, broker } of asked) {
      // The metadata never named these replicas; a broker that misses this keeps a dead log.
      broker.ref.ask({ type: 'delete-replica', topic, partition }, asController).catch(() => {})
    }
    throw failure.error
  })
  context.pipeToSelf(asks, (outcome) => ({
    type: 'partitions-ready',
    topic,
    config,
    partitions: outcome.ok ? outcome.value : [],
    failure: outcome.ok ? undefined : outcome.error,
    done,
  }))
}

export function partitionsReady(
  state: SupervisorState,
  message: Extract<Completion, { type: 'partitions-ready' }>,
): SupervisorState {
  const busy = new Set(state.busy)
  busy.delete(message.topic)
  // Made partitions count in the topic's metadata from now on; failed ones were deleted.
  const reservedBytes = new Map(state.reservedBytes)
  reservedBytes.delete(message.topic)
  if (message.failure !== undefined) {
    message.done({ topic: message.topic, outcome: 'failed', error: toWireError(message.failure) })
    return { ...state, busy, reservedBytes }
  }
  const topics = new Map(state.topics)
  const before = topics.get(message.topic)?.partitions ?? []
  topics.set(message.topic, {
    config: message.config,
    partitions: [...before, ...message.partitions],
  })
  message.done({ topic: message.topic, outcome: 'done' })
  return { ...state, busy, reservedBytes, topics, version: state.version + 1 }
}

export function deleteTopics(
  state: SupervisorState,
  names: readonly string[],
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  const replies = collect(context.deferReply(), names)
  const topics = new Map(state.topics)
  for (const topic of names) {
    const existing = topics.get(topic)
    if (existing === undefined || state.busy.has(topic)) {
      replies.failed(
        topic,
        existing === undefined
          ? new KafkaProtocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${topic}' does not exist`)
          : busyError(topic),
      )
      continue
    }
    topics.delete(topic)
    for (const partition of existing.partitions) {
      const leader = state.brokers.find((entry) => entry.id === partition.leader)
      // The metadata no longer names the topic; a broker that misses this keeps a dead log.
      leader?.ref
        .ask({ type: 'delete-replica', topic, partition: partition.partition })
        .catch(() => {})
    }
    replies.done({ topic, outcome: 'done' })
  }
  replies.finish()
  return { ...state, topics, version: state.version + 1 }
}
