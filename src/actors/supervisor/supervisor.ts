import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import { defineActor } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { toWireError } from '../../runtime/errors/wire-error.js'
import { PartitionLog, type PartitionLogHandle } from '../../runtime/log/partition-log.js'
import type { BrokerMessage, IsrChanged, ReplicaCreated } from '../broker/broker-protocol.js'
import type { TopicConfig } from '../topic-config.js'
import {
  type MetadataSnapshot,
  type PartitionMetadata,
  parseSupervisorRequest,
  type SupervisorRequest,
  type TopicResult,
  type TopicSpec,
} from './supervisor-protocol.js'
import { validateTopicSpec } from './topic-rules.js'

interface PreferredOutcome {
  readonly topic: string
  readonly partition: number
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly log: PartitionLogHandle
}

/** An election's outcome, told to whoever embeds the supervisor (the cluster's events). */
export interface ElectionEvent {
  readonly type: 'leader.elected' | 'partition.offline'
  readonly topic: string
  readonly partition: number
  readonly leader: number
  readonly leaderEpoch: number
}

export interface SupervisorArgs {
  readonly brokers: readonly { readonly id: number; readonly ref: ActorRef<BrokerMessage> }[]
  /** Topic settings a CreateTopics request leaves out. */
  readonly topicDefaults: TopicConfig
  /** Kafka's `unclean.leader.election.enable`: elect a replica outside the ISR when none is left. */
  readonly uncleanLeaderElection: boolean
  /** Told of every election (the supervisor runs on the thread that embeds it). */
  readonly onElection: (event: ElectionEvent) => void
}

/** Work the supervisor finished asynchronously, fed back to it as a message (local only). */
type Completion =
  | {
      readonly type: 'partitions-ready'
      readonly topic: string
      readonly config: TopicConfig
      readonly partitions: readonly PartitionMetadata[]
      readonly failure?: unknown
      readonly done: (result: TopicResult) => void
    }
  | { readonly type: 'broker-down'; readonly brokerId: number; readonly reason: string }
  | {
      readonly type: 'preferred-elected'
      readonly moved: readonly PreferredOutcome[]
      readonly failure?: unknown
      readonly replier: Replier
    }
  | {
      readonly type: 'leader-elected'
      readonly topic: string
      readonly partition: number
      readonly leader: number
      readonly leaderEpoch: number
      readonly isr: readonly number[]
      readonly log?: PartitionLogHandle
      readonly failure?: unknown
    }
  /**
   * A broker's thread is up again: give it back the replicas it led, with their logs as they
   * were (storage kept) or empty (storage lost). Replies once the metadata says so.
   */
  | {
      readonly type: 'restore-broker'
      readonly brokerId: number
      readonly storage: 'keep' | 'lose'
    }
  | {
      readonly type: 'broker-restored'
      readonly brokerId: number
      readonly logs: readonly {
        readonly topic: string
        readonly partition: number
        readonly log: PartitionLogHandle
      }[]
      readonly failure?: unknown
      readonly replier: Replier
    }

export type SupervisorMessage = SupervisorRequest | Completion

interface TopicState {
  readonly config: TopicConfig
  readonly partitions: readonly PartitionMetadata[]
}

interface SupervisorState {
  readonly brokers: readonly {
    readonly id: number
    readonly ref: ActorRef<BrokerMessage>
    readonly alive: boolean
  }[]
  readonly topics: ReadonlyMap<string, TopicState>
  /** Topics with a create, delete or growth under way: a second request for them waits its turn. */
  readonly busy: ReadonlySet<string>
  readonly topicDefaults: TopicConfig
  readonly uncleanLeaderElection: boolean
  readonly onElection: (event: ElectionEvent) => void
  readonly topicsCreated: number
  readonly version: number
  /** Where `version` is published (see MetadataSnapshot.changes). */
  readonly changes: Int32Array
}

/**
 * The supervisor: owns the cluster metadata (brokers, topics, partition placement, leaders
 * and epochs) and is the controller that creates, grows and deletes topics on the brokers.
 * It runs on the main thread, where broker deaths are seen.
 */
export const supervisor = defineActor<SupervisorMessage, SupervisorState, SupervisorArgs>({
  parseMessage: parseSupervisorRequest,
  init: ({ brokers, topicDefaults, uncleanLeaderElection, onElection }) => ({
    brokers: brokers.map((entry) => ({ ...entry, alive: true })),
    topics: new Map(),
    busy: new Set(),
    topicDefaults,
    uncleanLeaderElection,
    onElection,
    topicsCreated: 0,
    version: 1,
    changes: new Int32Array(new SharedArrayBuffer(4)).fill(1),
  }),
  receive(state, message, context) {
    const next = handle(state, message, context)
    if (next.version !== state.version) {
      Atomics.store(next.changes, 0, next.version)
      Atomics.notify(next.changes, 0)
    }
    return next
  },
})

function handle(
  state: SupervisorState,
  message: SupervisorMessage,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  switch (message.type) {
    case 'metadata':
      context.reply(snapshot(state, message.topics))
      return state
    case 'create-topics':
      return createTopics(state, message.topics, context)
    case 'create-partitions':
      return createPartitions(state, message.topicPartitions, context)
    case 'delete-topics':
      return deleteTopics(state, message.topics, context)
    case 'partitions-ready':
      return partitionsReady(state, message)
    case 'restore-broker':
      restoreBroker(state, message.brokerId, message.storage, context)
      return state
    case 'broker-restored':
      return brokerRestored(state, message)
    case 'broker-down':
      return electLeaders(
        {
          ...state,
          brokers: state.brokers.map((entry) =>
            entry.id === message.brokerId ? { ...entry, alive: false } : entry,
          ),
          version: state.version + 1,
        },
        message.brokerId,
        context,
      )
    case 'isr-changed':
      return updatePartition(state, message.topic, message.partition, (entry) =>
        entry.leaderEpoch === message.leaderEpoch
          ? { ...entry, isr: [entry.leader, ...message.isr.filter((id) => id !== entry.leader)] }
          : entry,
      )
    case 'leader-elected':
      return leaderElected(state, message, context)
    case 'elect-preferred':
      electPreferred(state, message.topics, context)
      return state
    case 'preferred-elected':
      return preferredElected(state, message, context)
  }
}

function snapshot(state: SupervisorState, names?: readonly string[]): MetadataSnapshot {
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
function collect(replier: Replier, topics: readonly string[]) {
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
function busyError(topic: string): KafkaProtocolError {
  return new KafkaProtocolError(
    'LEADER_NOT_AVAILABLE',
    `topic '${topic}' is being created or changed; try again`,
  )
}

function createTopics(
  state: SupervisorState,
  specs: readonly TopicSpec[],
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  const replies = collect(
    context.deferReply(),
    specs.map((spec) => spec.topic),
  )
  const busy = new Set(state.busy)
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
    try {
      validateTopicSpec(spec, live.length)
    } catch (error) {
      replies.failed(spec.topic, error)
      continue
    }
    busy.add(spec.topic)
    const config: TopicConfig = {
      logCapacityBytes: spec.logCapacityBytes ?? state.topicDefaults.logCapacityBytes,
      retentionBytes: spec.retentionBytes ?? state.topicDefaults.retentionBytes,
      retentionMs: spec.retentionMs ?? state.topicDefaults.retentionMs,
      maxMessageBytes: spec.maxMessageBytes ?? state.topicDefaults.maxMessageBytes,
      minInsyncReplicas: spec.minInsyncReplicas ?? state.topicDefaults.minInsyncReplicas,
      replicaLagTimeMaxMs: state.topicDefaults.replicaLagTimeMaxMs,
    }
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
  return { ...state, busy, topicsCreated }
}

function createPartitions(
  state: SupervisorState,
  requests: readonly { readonly topic: string; readonly count: number }[],
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  const replies = collect(
    context.deferReply(),
    requests.map((request) => request.topic),
  )
  const busy = new Set(state.busy)
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
    if (!Number.isInteger(count) || count <= current) {
      replies.failed(
        topic,
        new KafkaProtocolError(
          'INVALID_PARTITIONS',
          `topic '${topic}' has ${current} partitions; the new count must be more, got ${count}`,
        ),
      )
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
      {
        topic,
        config: existing.config,
        replicationFactor: existing.partitions[0]?.replicas.length ?? 1,
      },
      { from: current, to: count },
      placement,
      context,
      replies.done,
    )
  }
  replies.finish()
  return { ...state, busy }
}

type Placed = { readonly id: number; readonly ref: ActorRef<BrokerMessage> }

/**
 * Asks the brokers for replicas of partitions [from, to) of a topic: partition p's replicas
 * are the `replicationFactor` live brokers from `placement[p]` on, the first its leader (so
 * leaders and followers spread evenly). The leader's replica comes first, since followers copy
 * from its log. The outcome comes back as `partitions-ready`.
 */
function addPartitions(
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
  const asks: Promise<PartitionMetadata>[] = []
  for (let partition = range.from; partition < range.to; partition++) {
    const replicas = Array.from(
      { length: replicationFactor },
      (_, index) => placement[(partition + index) % placement.length],
    ).filter((entry): entry is Placed => entry !== undefined)
    const [leader, ...followers] = replicas
    if (leader === undefined) continue
    const followerIds = followers.map((entry) => entry.id)
    asks.push(
      leader.ref
        .ask<ReplicaCreated>({
          type: 'create-replica',
          topic,
          partition,
          leaderEpoch: 0,
          config,
          role: { kind: 'leader', followers: followerIds, controller: controllerOf(context) },
        })
        .then(async (created) => {
          await Promise.all(
            followers.map((follower) =>
              follower.ref.ask<ReplicaCreated>({
                type: 'create-replica',
                topic,
                partition,
                leaderEpoch: 0,
                config,
                role: {
                  kind: 'follower',
                  leaderId: leader.id,
                  leader: leader.ref,
                  leaderLog: created.log,
                },
              }),
            ),
          )
          const ids = replicas.map((entry) => entry.id)
          return {
            partition,
            leader: leader.id,
            replicas: ids,
            isr: ids,
            leaderEpoch: 0,
            log: created.log,
          }
        }),
    )
  }
  context.pipeToSelf(Promise.all(asks), (outcome) => ({
    type: 'partitions-ready',
    topic,
    config,
    partitions: outcome.ok ? outcome.value : [],
    failure: outcome.ok ? undefined : outcome.error,
    done,
  }))
}

function partitionsReady(
  state: SupervisorState,
  message: Extract<Completion, { type: 'partitions-ready' }>,
): SupervisorState {
  const busy = new Set(state.busy)
  busy.delete(message.topic)
  if (message.failure !== undefined) {
    message.done({ topic: message.topic, outcome: 'failed', error: toWireError(message.failure) })
    return { ...state, busy }
  }
  const topics = new Map(state.topics)
  const before = topics.get(message.topic)?.partitions ?? []
  topics.set(message.topic, {
    config: message.config,
    partitions: [...before, ...message.partitions],
  })
  message.done({ topic: message.topic, outcome: 'done' })
  return { ...state, busy, topics, version: state.version + 1 }
}

function deleteTopics(
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

function restoreBroker(
  state: SupervisorState,
  brokerId: number,
  storage: 'keep' | 'lose',
  context: ActorContext<SupervisorMessage>,
): void {
  const replier = context.deferReply()
  const broker = state.brokers.find((entry) => entry.id === brokerId)
  if (broker === undefined) {
    replier.reject(new KafkaProtocolError('BROKER_NOT_AVAILABLE', `no broker ${brokerId}`))
    return
  }
  const leaderLogs: Promise<{ topic: string; partition: number; log: PartitionLogHandle }>[] = []
  const followerReplicas: Promise<unknown>[] = []
  for (const [topic, { config, partitions }] of state.topics) {
    for (const entry of partitions) {
      const base = { type: 'create-replica', topic, partition: entry.partition, config } as const
      // It leads again what it led, and what went offline without it (no one else to elect).
      const leads =
        entry.leader === brokerId || (entry.leader === -1 && entry.replicas.includes(brokerId))
      if (leads) {
        const request: BrokerMessage = {
          ...base,
          leaderEpoch: entry.leaderEpoch,
          existing: storage === 'keep' ? entry.log : undefined,
          role: {
            kind: 'leader',
            // Dead followers join again by reporting once they are back.
            followers: entry.replicas.filter(
              (id) => id !== brokerId && state.brokers.some((b) => b.id === id && b.alive),
            ),
            controller: controllerOf(context),
          },
        }
        leaderLogs.push(
          broker.ref
            .ask<ReplicaCreated>(request)
            .then((created) => ({ topic, partition: entry.partition, log: created.log })),
        )
        continue
      }
      const leader = state.brokers.find((candidate) => candidate.id === entry.leader)
      if (!entry.replicas.includes(brokerId) || leader === undefined) continue
      // A follower's own log is not in the metadata: it copies again from its leader.
      const request: BrokerMessage = {
        ...base,
        leaderEpoch: entry.leaderEpoch,
        role: { kind: 'follower', leaderId: leader.id, leader: leader.ref, leaderLog: entry.log },
      }
      followerReplicas.push(broker.ref.ask<ReplicaCreated>(request))
    }
  }
  const restored = Promise.all([Promise.all(leaderLogs), Promise.all(followerReplicas)])
  context.pipeToSelf(restored, (outcome) => ({
    type: 'broker-restored',
    brokerId,
    logs: outcome.ok ? outcome.value[0] : [],
    failure: outcome.ok ? undefined : outcome.error,
    replier,
  }))
}

function brokerRestored(
  state: SupervisorState,
  message: Extract<SupervisorMessage, { type: 'broker-restored' }>,
): SupervisorState {
  if (message.failure !== undefined) {
    message.replier.reject(message.failure)
    return state
  }
  const logs = new Map(
    message.logs.map((entry) => [`${entry.topic}/${entry.partition}`, entry.log]),
  )
  const topics = new Map(
    [...state.topics].map(([topic, found]) => [
      topic,
      {
        ...found,
        partitions: found.partitions.map((entry) => {
          const log = logs.get(`${topic}/${entry.partition}`)
          if (log === undefined) return entry
          const isr = entry.leader === message.brokerId ? entry.isr : [message.brokerId]
          return { ...entry, log, leader: message.brokerId, isr }
        }),
      },
    ]),
  )
  message.replier.resolve(true)
  return {
    ...state,
    topics,
    brokers: state.brokers.map((entry) =>
      entry.id === message.brokerId ? { ...entry, alive: true } : entry,
    ),
    version: state.version + 1,
  }
}

/** The supervisor's own address, as the leaders it creates report to it. */
function controllerOf(context: ActorContext<SupervisorMessage>): ActorRef<IsrChanged> {
  return context.self as unknown as ActorRef<IsrChanged>
}

function updatePartition(
  state: SupervisorState,
  topic: string,
  partition: number,
  change: (entry: PartitionMetadata) => PartitionMetadata,
): SupervisorState {
  const found = state.topics.get(topic)
  const entry = found?.partitions.find((candidate) => candidate.partition === partition)
  if (found === undefined || entry === undefined) return state
  const changed = change(entry)
  if (changed === entry) return state
  const topics = new Map(state.topics)
  topics.set(topic, {
    ...found,
    partitions: found.partitions.map((candidate) => (candidate === entry ? changed : candidate)),
  })
  return { ...state, topics, version: state.version + 1 }
}

/**
 * For each partition the dead broker led: a new leader from the surviving ISR (or, with
 * unclean election, any surviving replica), the leader epoch bumped, the other replicas told to
 * follow it, and the old leader's log fenced so no reader takes it for the live one. A
 * partition with no one to elect goes offline (leader -1) until its leader comes back.
 */
function electLeaders(
  state: SupervisorState,
  deadBroker: number,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  let next = state
  const alive = (id: number) =>
    id !== deadBroker && state.brokers.some((b) => b.id === id && b.alive)
  for (const [topic, { config, partitions }] of state.topics) {
    for (const entry of partitions) {
      if (entry.leader !== deadBroker) continue
      fence(entry.log, config)
      const clean = entry.isr.filter(alive)
      const candidates =
        clean.length > 0 || !state.uncleanLeaderElection ? clean : entry.replicas.filter(alive)
      const leaderEpoch = entry.leaderEpoch + 1
      const elected = candidates[0]
      const leader = state.brokers.find((b) => b.id === elected)
      if (elected === undefined || leader === undefined) {
        next = updatePartition(next, topic, entry.partition, (current) => ({
          ...current,
          leader: -1,
          leaderEpoch,
          isr: [],
        }))
        state.onElection({
          type: 'partition.offline',
          topic,
          partition: entry.partition,
          leader: -1,
          leaderEpoch,
        })
        continue
      }
      const told = transferLeadership(state, { topic, entry }, leader, leaderEpoch, alive, context)
      context.pipeToSelf(told, (outcome) => ({
        type: 'leader-elected',
        topic,
        partition: entry.partition,
        leader: elected,
        leaderEpoch,
        isr: candidates,
        log: outcome.ok ? outcome.value : undefined,
        failure: outcome.ok ? undefined : outcome.error,
      }))
    }
  }
  return next
}

/**
 * Makes `leader` the partition's leader at `leaderEpoch` and has every other live replica
 * follow it; resolves to the log consumers now read.
 */
function transferLeadership(
  state: SupervisorState,
  target: { readonly topic: string; readonly entry: PartitionMetadata },
  leader: { readonly id: number; readonly ref: ActorRef<BrokerMessage> },
  leaderEpoch: number,
  alive: (id: number) => boolean,
  context: ActorContext<SupervisorMessage>,
): Promise<PartitionLogHandle> {
  const { topic, entry } = target
  const followers = entry.replicas.filter((id) => id !== leader.id && alive(id))
  const where = { topic, partition: entry.partition, leaderEpoch }
  const becoming = leader.ref.ask<ReplicaCreated>({
    type: 'become-leader',
    ...where,
    role: { kind: 'leader', followers, controller: controllerOf(context) },
  })
  return becoming.then(async (created) => {
    await Promise.all(
      followers.map((id) =>
        state.brokers
          .find((b) => b.id === id)
          ?.ref.ask({
            type: 'follow',
            ...where,
            role: {
              kind: 'follower',
              leaderId: leader.id,
              leader: leader.ref,
              leaderLog: created.log,
            },
          }),
      ),
    )
    return created.log
  })
}

/**
 * Preferred-leader election (Kafka's `kafka-leader-election --election-type preferred`): each
 * partition whose first replica is alive and in sync but not leading gets it back as leader.
 * The old leader steps down to follow it.
 */
function electPreferred(
  state: SupervisorState,
  topics: readonly string[] | undefined,
  context: ActorContext<SupervisorMessage>,
): void {
  const replier = context.deferReply()
  const alive = (id: number) => state.brokers.some((b) => b.id === id && b.alive)
  const moves: Promise<PreferredOutcome>[] = []
  for (const [topic, { partitions }] of state.topics) {
    if (topics !== undefined && !topics.includes(topic)) continue
    for (const entry of partitions) {
      const preferred = entry.replicas[0]
      const leader = state.brokers.find((b) => b.id === preferred)
      if (
        preferred === undefined ||
        leader === undefined ||
        entry.leader === preferred ||
        !alive(preferred) ||
        !entry.isr.includes(preferred)
      ) {
        continue
      }
      const leaderEpoch = entry.leaderEpoch + 1
      moves.push(
        transferLeadership(state, { topic, entry }, leader, leaderEpoch, alive, context).then(
          (log) => ({
            topic,
            partition: entry.partition,
            leader: preferred,
            leaderEpoch,
            isr: entry.isr,
            log,
          }),
        ),
      )
    }
  }
  context.pipeToSelf(Promise.all(moves), (outcome) => ({
    type: 'preferred-elected',
    moved: outcome.ok ? outcome.value : [],
    failure: outcome.ok ? undefined : outcome.error,
    replier,
  }))
}

function preferredElected(
  state: SupervisorState,
  message: Extract<SupervisorMessage, { type: 'preferred-elected' }>,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  let next = state
  for (const moved of message.moved) {
    next = leaderElected(next, { type: 'leader-elected', ...moved }, context)
  }
  if (message.failure !== undefined) message.replier.reject(message.failure)
  else
    message.replier.resolve(
      message.moved.map(({ topic, partition, leader }) => ({ topic, partition, leader })),
    )
  return next
}

/** Marks a dead leader's log fenced: readers holding it learn it is no longer the live log. */
function fence(log: PartitionLogHandle, config: TopicConfig): void {
  // Its writer is dead, so taking the log over to change its state races with no one.
  new PartitionLog({ capacity: config.logCapacityBytes }, log).fence()
}

function leaderElected(
  state: SupervisorState,
  message: Extract<SupervisorMessage, { type: 'leader-elected' }>,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  const log = message.log
  if (message.failure !== undefined || log === undefined) {
    state.onElection({
      type: 'partition.offline',
      topic: message.topic,
      partition: message.partition,
      leader: -1,
      leaderEpoch: message.leaderEpoch,
    })
    return updatePartition(state, message.topic, message.partition, (entry) => ({
      ...entry,
      leader: -1,
      isr: [],
    }))
  }
  state.onElection({
    type: 'leader.elected',
    topic: message.topic,
    partition: message.partition,
    leader: message.leader,
    leaderEpoch: message.leaderEpoch,
  })
  const updated = updatePartition(state, message.topic, message.partition, (entry) => ({
    ...entry,
    leader: message.leader,
    leaderEpoch: message.leaderEpoch,
    isr: message.isr,
    log,
  }))
  // The one elected may have died while it was being told: elect again without it.
  const stillAlive = state.brokers.some((entry) => entry.id === message.leader && entry.alive)
  return stillAlive ? updated : electLeaders(updated, message.leader, context)
}
