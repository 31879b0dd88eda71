// A restarted broker gets its replicas back: its old logs taken over, or new ones.

import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { PartitionLogHandle } from '../../runtime/log/log-layout.js'
import type { BrokerMessage, ReplicaCreated } from '../broker/broker-protocol.js'
import type { SupervisorMessage, SupervisorState } from './supervisor-state.js'
import { controllerOf } from './supervisor-state.js'

export function restoreBroker(
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
        role: { kind: 'follower', leader: leader.ref, leaderLog: entry.log },
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

export function brokerRestored(
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
