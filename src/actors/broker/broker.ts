import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import { defineActor } from '../../runtime/actor/actor-definition.js'
import { answeringRequestFailures } from '../../runtime/actor/request-failures.js'
import { KafkaProtocolError, SamsaError } from '../../runtime/errors/samsa-error.js'
import { readInt16, readInt32 } from '../../runtime/log/big-endian.js'
import { COMPRESSION_CODEC_MASK } from '../../runtime/log/compression.js'
import { encodeMarkerBatch } from '../../runtime/log/control-batch.js'
import { APPEND_SIGNAL_BYTES, appendSignalWord } from '../../runtime/log/log-layout.js'
import { PartitionLog } from '../../runtime/log/partition-log.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_LAST_OFFSET_DELTA,
  checkRecordBatch,
} from '../../runtime/log/record-batch-codec.js'
import { validateRecords } from '../../runtime/log/record-reader.js'
import { notifyChange } from '../../runtime/log/wait.js'
import { coordinator } from '../coordinator/coordinator.js'
import { OFFSETS_TOPIC, TRANSACTION_TOPIC } from '../internal-topics.js'
import { fieldsOf, integerField } from '../protocol-fields.js'
import type { TopicConfig } from '../topic-config.js'
import { transactionCoordinator } from '../transactions/transaction-coordinator.js'
import {
  type Acks,
  type BrokerMessage,
  type PartitionBatch,
  type PartitionProduced,
  type ProduceReply,
  parseBrokerMessage,
  partitionBatch,
  partitionProduced,
  partitionRefused,
  type ReplicaCreated,
} from './broker-protocol.js'
import { describeBrokerRequest } from './broker-requests.js'
import {
  type BrokerState,
  type FollowerReplica,
  type LeaderReplica,
  replicaFor,
  replicaKey,
} from './broker-state.js'
import { fetchFromLeader, followersOf } from './follower-fetch.js'
import { inSyncFollowers } from './in-sync-replicas.js'
import { advanceHighWatermark, leaderReplica } from './leader-replica.js'
import { appendMarker, appendProduced } from './producer-appends.js'
import { watchRetention } from './retention-watch.js'

export interface BrokerArgs {
  readonly brokerId: number
}

/**
 * A broker: hosts partition replicas, appends what producers send to the ones it leads, and
 * copies into its followers what their leaders have. Consumers read the leaders' logs
 * straight from shared memory, so fetches never come here.
 */
const brokerBehaviour = defineActor<BrokerMessage, BrokerState, BrokerArgs>({
  parseMessage: parseBrokerMessage,
  parseArgs: (value) => ({ brokerId: integerField(fieldsOf(value, 'broker args'), 'brokerId', 0) }),
  describeRequest: (state, message) => describeBrokerRequest(state.brokerId, message),
  init: ({ brokerId }, context) => {
    const appendSignal = new SharedArrayBuffer(APPEND_SIGNAL_BYTES)
    return {
      brokerId,
      coordinator: context.spawn(coordinator, {
        name: `coordinator-${brokerId}`,
        args: { brokerId, broker: context.self },
      }),
      transactionCoordinator: context.spawn(transactionCoordinator, {
        name: `transaction-coordinator-${brokerId}`,
        args: { brokerId, broker: context.self },
      }),
      replicas: new Map(),
      retentionCheck: undefined,
      isrTimerSet: false,
      appendSignal,
      appendSignalWord: appendSignalWord(appendSignal),
      leaderWaits: new Set(),
    }
  },
  receive(state, message, context) {
    switch (message.type) {
      case 'create-replica':
        createReplica(state, message, context)
        return state
      case 'delete-replica': {
        const key = replicaKey(message.topic, message.partition)
        state.replicas.get(key)?.log.close()
        state.replicas.delete(key)
        tellCoordinator(state, message.topic, message.partition, undefined)
        context.reply(true)
        return state
      }
      case 'group-coordinator':
        context.reply(state.coordinator)
        return state
      case 'transaction-coordinator':
        context.reply(state.transactionCoordinator)
        return state
      case 'produce':
        produce(state, message.partitions, message.acks, 'producer', context)
        return state
      case 'add-txn-partitions':
        for (const { topic, partition } of message.partitions) {
          ledReplica(state, topic, partition).transactions.add(
            message.producerId,
            message.producerEpoch,
          )
        }
        context.reply(true)
        return state
      case 'write-txn-markers': {
        const batch = encodeMarkerBatch(message, context.clock.now())
        const markers = message.partitions.map(({ topic, partition }) =>
          partitionBatch(topic, partition, batch),
        )
        produce(state, markers, -1, 'coordinator', context)
        return state
      }
      case 'become-leader': {
        const replica = replicaFor(state, message.topic, message.partition)
        replica.log.setLeaderEpoch(message.leaderEpoch)
        const leader = leaderReplica(
          { topic: message.topic, partition: message.partition },
          replica.log,
          replica.config,
          message.role,
          context.clock.now(),
        )
        state.replicas.set(replicaKey(message.topic, message.partition), leader)
        // Alone in its ISR, a new leader commits what it has at once, as Kafka's does; with
        // followers, the high watermark waits for their first reports.
        advanceHighWatermark(leader, context.clock.now())
        startIsrChecks(state, leader.config, context)
        tellCoordinator(state, message.topic, message.partition, leader)
        context.reply({ log: replica.log.handle() } satisfies ReplicaCreated)
        return state
      }
      case 'follow': {
        const replica = replicaFor(state, message.topic, message.partition)
        if (replica.role === 'leader') {
          // Stepping down: produces still waiting for acks=all will not be answered from here.
          for (const waiting of replica.pending.splice(0)) {
            waiting.settle(
              new KafkaProtocolError(
                'NOT_LEADER_OR_FOLLOWER',
                `broker ${state.brokerId} no longer leads ${message.topic}-${message.partition}`,
              ),
            )
          }
        }
        const leaderLog = PartitionLogReader.open(message.role.leaderLog)
        // Both logs are prefixes of what the old leader had: keep what they share.
        const shared = Math.min(replica.log.logEndOffset, leaderLog.logEndOffset)
        if (shared < replica.log.logEndOffset) replica.log.truncateTo(shared)
        replica.log.setLeaderEpoch(message.leaderEpoch)
        const follower: FollowerReplica = {
          role: 'follower',
          topic: message.topic,
          partition: message.partition,
          log: replica.log,
          config: replica.config,
          leader: message.role,
          leaderLog,
          reportedAt: Number.NEGATIVE_INFINITY,
        }
        state.replicas.set(replicaKey(message.topic, message.partition), follower)
        tellCoordinator(state, message.topic, message.partition, undefined)
        // Report at once: the new leader's high watermark waits on this follower's log end.
        fetchFromLeader(state, follower.leader.leader.name, [follower], context)
        context.reply(true)
        return state
      }
      case 'replica-fetch':
        fetchFromLeader(state, message.leader, followersOf(state, message.leader), context)
        return state
      case 'follower-progress': {
        const replica = state.replicas.get(replicaKey(message.topic, message.partition))
        if (replica?.role !== 'leader') return state
        const now = context.clock.now()
        const caughtUp = message.logEnd >= replica.log.logEndOffset
        const before = replica.followers.get(message.follower)
        replica.followers.set(message.follower, {
          logEnd: message.logEnd,
          caughtUpAt: caughtUp ? now : (before?.caughtUpAt ?? Number.NEGATIVE_INFINITY),
        })
        advanceHighWatermark(replica, now)
        return state
      }
      case 'follower-down': {
        const replica = state.replicas.get(replicaKey(message.topic, message.partition))
        if (replica?.role !== 'leader') return state
        // It comes back with its first progress report, as any follower does.
        replica.followers.delete(message.follower)
        advanceHighWatermark(replica, context.clock.now())
        return state
      }
      case 'check-isr': {
        const now = context.clock.now()
        for (const replica of state.replicas.values()) {
          if (replica.role === 'leader' && replica.followers.size > 0) {
            advanceHighWatermark(replica, now)
          }
        }
        context.scheduleSelf(isrCheckEvery(state), { type: 'check-isr' })
        return state
      }
      case 'enforce-retention': {
        state.retentionCheck = undefined
        for (const { log } of state.replicas.values()) {
          log.enforceRetention()
          watchRetention(state, log, context)
        }
        return state
      }
    }
  },
  stopped(state) {
    for (const { log } of state.replicas.values()) log.close()
  },
})

/** The broker actor: a request that fails is answered with its error, and the broker serves on. */
export const broker = answeringRequestFailures(
  brokerBehaviour,
  new Set<BrokerMessage['type']>([
    'create-replica',
    'delete-replica',
    'become-leader',
    'follow',
    'group-coordinator',
    'transaction-coordinator',
    'produce',
    'add-txn-partitions',
    'write-txn-markers',
  ]),
)

function createReplica(
  state: BrokerState,
  message: Extract<BrokerMessage, { type: 'create-replica' }>,
  context: ActorContext<BrokerMessage>,
): void {
  const key = replicaKey(message.topic, message.partition)
  let replica = state.replicas.get(key)
  if (replica === undefined) {
    const { config, role } = message
    const log = new PartitionLog(
      {
        capacity: config.logCapacityBytes,
        retentionBytes: config.retentionBytes,
        retentionMs: config.retentionMs,
        leaderEpoch: message.leaderEpoch,
        now: () => context.clock.now(),
        appendSignal: state.appendSignal,
      },
      message.existing,
    )
    if (role.kind === 'leader') {
      replica = leaderReplica(message, log, config, role, context.clock.now())
      startIsrChecks(state, config, context)
    } else {
      replica = {
        role: 'follower',
        topic: message.topic,
        partition: message.partition,
        log,
        config,
        leader: role,
        leaderLog: PartitionLogReader.open(role.leaderLog),
        reportedAt: Number.NEGATIVE_INFINITY,
      }
    }
    state.replicas.set(key, replica)
    if (replica.role === 'leader') tellCoordinator(state, message.topic, message.partition, replica)
    if (replica.role === 'follower') {
      fetchFromLeader(state, replica.leader.leader.name, [replica], context)
    }
    watchRetention(state, replica.log, context)
  }
  const created: ReplicaCreated = { log: replica.log.handle() }
  context.reply(created)
}

/** Tells the coordinator beside this broker that it leads, or no longer leads, its partition. */
function tellCoordinator(
  state: BrokerState,
  topic: string,
  partition: number,
  leader: LeaderReplica | undefined,
): void {
  if (topic === OFFSETS_TOPIC) {
    state.coordinator.tell(
      leader === undefined
        ? { type: 'partition-lost', partition }
        : { type: 'partition-led', partition, log: leader.log.handle() },
    )
  }
  if (topic === TRANSACTION_TOPIC) {
    state.transactionCoordinator.tell(
      leader === undefined
        ? { type: 'partition-lost', partition }
        : {
            type: 'partition-led',
            partition,
            log: leader.log.handle(),
            controller: leader.controller,
          },
    )
  }
}

/**
 * Appends each partition's batch (each answered on its own, as Kafka's ProduceResponse does)
 * and replies once all are done: at once with acks 0 or 1, once the high watermark covers
 * every appended batch with acks all.
 */
function produce(
  state: BrokerState,
  partitions: readonly PartitionBatch[],
  acks: Acks,
  from: 'producer' | 'coordinator',
  context: ActorContext<BrokerMessage>,
): void {
  const now = context.clock.now()
  const answers: PartitionProduced[] = []
  const waits: { readonly replica: LeaderReplica; readonly index: number; endOffset: number }[] = []
  for (const [index, entry] of partitions.entries()) {
    try {
      const appended = appendBatch(state, entry, acks, from, now)
      watchRetention(state, appended.replica.log, context)
      answers.push(partitionProduced(appended.baseOffset, appended.replica.log.logStartOffset))
      if (acks === -1 && appended.replica.followers.size > 0) {
        waits.push({ replica: appended.replica, index, endOffset: appended.endOffset })
      }
    } catch (error) {
      // Bad input is answered, never fatal: the broker keeps serving everyone else.
      if (!(error instanceof SamsaError)) throw error
      answers.push(partitionRefused(asKafkaError(error)))
    }
  }
  // One wake for each follower broker, whatever the number of partitions appended.
  notifyChange(state.appendSignalWord)
  if (waits.length === 0) {
    context.reply({ partitions: answers } satisfies ProduceReply)
    return
  }
  const replier = context.deferReply()
  let waiting = waits.length
  for (const { replica, index, endOffset } of waits) {
    replica.pending.push({
      endOffset,
      settle: (error) => {
        if (error !== undefined) answers[index] = partitionRefused(error)
        if (--waiting === 0) replier.resolve({ partitions: answers } satisfies ProduceReply)
      },
    })
  }
  for (const replica of new Set(waits.map((wait) => wait.replica))) {
    advanceHighWatermark(replica, now)
  }
}

function asKafkaError(error: SamsaError): KafkaProtocolError {
  return error instanceof KafkaProtocolError
    ? error
    : new KafkaProtocolError('INVALID_RECORD', error.message)
}

function ledReplica(state: BrokerState, topic: string, partition: number): LeaderReplica {
  const replica = replicaFor(state, topic, partition)
  if (replica.role !== 'leader') {
    throw new KafkaProtocolError(
      'NOT_LEADER_OR_FOLLOWER',
      `broker ${state.brokerId} follows ${topic}-${partition}, it does not lead it`,
    )
  }
  return replica
}

/** One partition's batch into the log this broker leads; where it landed and where it ends. */
function appendBatch(
  state: BrokerState,
  { topic, partition, batch }: PartitionBatch,
  acks: Acks,
  from: 'producer' | 'coordinator',
  now: number,
): { readonly replica: LeaderReplica; readonly baseOffset: number; readonly endOffset: number } {
  const replica = ledReplica(state, topic, partition)
  const { config } = replica
  if (batch.length > config.maxMessageBytes) {
    throw new KafkaProtocolError(
      'MESSAGE_TOO_LARGE',
      `a batch of ${batch.length} bytes is over max.message.bytes (${config.maxMessageBytes})`,
    )
  }
  const inSync = 1 + inSyncFollowers(replica.followers, now, config.replicaLagTimeMaxMs).length
  if (acks === -1 && inSync < config.minInsyncReplicas) {
    throw new KafkaProtocolError(
      'NOT_ENOUGH_REPLICAS',
      `${topic}-${partition} has ${inSync} in-sync replicas, min.insync.replicas is ${config.minInsyncReplicas}`,
    )
  }
  // Ingress validation, as Kafka's broker does before its log append: the log itself trusts
  // its one writer (see PartitionLogOptions.verifyCrc).
  checkRecordBatch(batch, true)
  // The CRC vouches for the compressed bytes only, not for what they inflate to.
  if ((readInt16(batch, BATCH_ATTRIBUTES) & COMPRESSION_CODEC_MASK) !== 0) validateRecords(batch)
  const baseOffset =
    from === 'coordinator' ? appendMarker(replica, batch) : appendProduced(replica, batch)
  const endOffset = baseOffset + readInt32(batch, BATCH_LAST_OFFSET_DELTA) + 1
  return { replica, baseOffset, endOffset }
}

function startIsrChecks(
  state: BrokerState,
  config: TopicConfig,
  context: ActorContext<BrokerMessage>,
): void {
  if (state.isrTimerSet) return
  state.isrTimerSet = true
  context.scheduleSelf(isrCheckEvery(state, config), { type: 'check-isr' })
}

function isrCheckEvery(state: BrokerState, config?: TopicConfig): number {
  let lagMax = config?.replicaLagTimeMaxMs ?? Number.POSITIVE_INFINITY
  for (const replica of state.replicas.values()) {
    lagMax = Math.min(lagMax, replica.config.replicaLagTimeMaxMs)
  }
  return Math.max(10, Math.min(1_000, Math.floor(lagMax / 2)))
}
