// The controller's leader elections: after a broker's death, and back to preferred leaders.

import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { PartitionLogHandle } from '../../runtime/log/log-layout.js'
import { PartitionLog } from '../../runtime/log/partition-log.js'
import type { BrokerMessage, ReplicaCreated } from '../broker/broker-protocol.js'
import type { TopicConfig } from '../topic-config.js'
import type { PartitionMetadata } from './supervisor-protocol.js'
import type { PreferredOutcome, SupervisorMessage, SupervisorState } from './supervisor-state.js'
import { controllerOf, updatePartition } from './supervisor-state.js'

/**
 * Each partition it followed loses it from its ISR at once. For each partition the dead broker led: a new leader from the surviving ISR (or, with
 * unclean election, any surviving replica), the leader epoch bumped, the other replicas told to
 * follow it, and the old leader's log fenced so no reader takes it for the live one. A
 * partition with no one to elect goes offline (leader -1) until its leader comes back.
 */
export function electLeaders(
  state: SupervisorState,
  deadBroker: number,
  context: ActorContext<SupervisorMessage>,
): SupervisorState {
  let next = state
  const alive = (id: number) =>
    id !== deadBroker && state.brokers.some((b) => b.id === id && b.alive)
  for (const [topic, { config, partitions }] of state.topics) {
    for (const entry of partitions) {
      if (entry.leader !== deadBroker) {
        // As Kafka's controller: a dead replica leaves the ISR now, not after the lag timeout,
        // so acks=all produces and the high watermark do not wait on it.
        if (entry.replicas.includes(deadBroker)) {
          state.brokers
            .find((b) => b.id === entry.leader && b.alive)
            ?.ref.tell({
              type: 'follower-down',
              topic,
              partition: entry.partition,
              follower: deadBroker,
            })
        }
        continue
      }
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
export function transferLeadership(
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
          ?.ref.ask(
            {
              type: 'follow',
              ...where,
              role: {
                kind: 'follower',
                leader: leader.ref,
                leaderLog: created.log,
              },
            },
            // Sent from a continuation, in no actor's turn: without its name it would go out as
            // `$outside`, and a fault on the app's links would drop it and fail the election.
            { from: context.self.name },
          ),
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
export function electPreferred(
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

export function preferredElected(
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
export function fence(log: PartitionLogHandle, config: TopicConfig): void {
  // Its writer is dead, so taking the log over to change its state races with no one.
  new PartitionLog({ capacity: config.logCapacityBytes }, log).fence()
}

export function leaderElected(
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
