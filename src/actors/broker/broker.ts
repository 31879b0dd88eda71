import type { ActorContext } from '../../runtime/actor/actor-definition.js'
import { defineActor } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { answeringRequestFailures } from '../../runtime/actor/request-failures.js'
import type { Timer } from '../../runtime/clock/clock.js'
import { KafkaProtocolError, SamsaError } from '../../runtime/errors/samsa-error.js'
import { readInt16, readInt32 } from '../../runtime/log/big-endian.js'
import { COMPRESSION_CODEC_MASK } from '../../runtime/log/compression.js'
import { LogState } from '../../runtime/log/log-header.js'
import {
  APPEND_SIGNAL_BYTES,
  appendSignalWord,
  PartitionLog,
  PartitionLogReader,
} from '../../runtime/log/partition-log.js'
import {
  BATCH_ATTRIBUTES,
  BATCH_LAST_OFFSET_DELTA,
  checkRecordBatch,
  validateRecords,
} from '../../runtime/log/record-batch-codec.js'
import { notifyChange, type WaitWord, waitUntil } from '../../runtime/log/wait.js'
import { coordinator } from '../coordinator/coordinator.js'
import type { CoordinatorControl } from '../coordinator/coordinator-protocol.js'
import { OFFSETS_TOPIC } from '../coordinator/offsets-topic.js'
import { fieldsOf, integerField } from '../protocol-fields.js'
import type { TopicConfig } from '../topic-config.js'
import {
  type Acks,
  type BrokerMessage,
  followerProgress,
  type IsrChanged,
  type PartitionBatch,
  type PartitionProduced,
  type ProduceReply,
  type ProduceRequest,
  parseBrokerMessage,
  partitionProduced,
  partitionRefused,
  type ReplicaCreated,
  type ReplicaRole,
} from './broker-protocol.js'
import { describeBrokerRequest } from './broker-requests.js'
import { type FollowerProgress, highWatermark, inSyncFollowers } from './in-sync-replicas.js'
import { batchIdentity, ProducerStateTable } from './producer-state.js'

export interface BrokerArgs {
  readonly brokerId: number
}

/**
 * One partition of an acks=all produce, waiting for the high watermark to pass its last
 * offset: `settle` answers it (with an error when it can no longer be committed here).
 */
interface PendingAck {
  readonly endOffset: number
  readonly settle: (error?: KafkaProtocolError) => void
}

interface LeaderReplica {
  readonly role: 'leader'
  readonly topic: string
  readonly partition: number
  readonly log: PartitionLog
  readonly config: TopicConfig
  readonly followers: Map<number, FollowerProgress>
  readonly pending: PendingAck[]
  readonly controller: ActorRef<IsrChanged>
  /** Idempotent producers' recent batches, to answer retries without appending twice. */
  readonly producers: ProducerStateTable
  /** The ISR last told to the controller, as sorted ids joined. */
  reportedIsr: string
}

interface FollowerReplica {
  readonly role: 'follower'
  readonly topic: string
  readonly partition: number
  readonly log: PartitionLog
  readonly config: TopicConfig
  readonly leader: Extract<ReplicaRole, { kind: 'follower' }>
  readonly leaderLog: PartitionLogReader
  /** When it last told its leader how far it is (a follower that stays silent leaves the ISR). */
  reportedAt: number
}

type Replica = LeaderReplica | FollowerReplica

interface BrokerState {
  readonly brokerId: number
  /** The group coordinator beside this broker: it serves the offsets partitions led here. */
  readonly coordinator: ActorRef<CoordinatorControl>
  /** Replicas by `topic/partition`; this broker is the only writer of their logs. */
  readonly replicas: Map<string, Replica>
  /** The next time-retention check, when one is set (see `watchRetention`). */
  retentionCheck: { readonly at: number; readonly timer: Timer } | undefined
  isrTimerSet: boolean
  /** Shared by every log this broker writes, bumped after each produce: followers wait on it. */
  readonly appendSignal: SharedArrayBuffer
  readonly appendSignalWord: WaitWord
  /** The append signals of leader brokers that a wait of this broker's is on now. */
  readonly leaderWaits: Set<SharedArrayBuffer>
}

/** How often time-based retention (`retention.ms`) is applied. */
const RETENTION_CHECK_MS = 1_000
/** The longest a follower waits on its leader's log before it reports (and so stays in sync). */
const FOLLOWER_WAIT_MS = 250
/** The longest a follower with nothing to copy stays silent (at replica.lag.time.max.ms 30 s). */
const FOLLOWER_IDLE_WAIT_MAX_MS = 5_000

/**
 * How often an idle follower reports that it is still caught up: well within
 * replica.lag.time.max.ms, and no oftener than FOLLOWER_WAIT_MS. New data wakes it at once, so
 * this costs no latency; at 10,000 partitions, waking every follower 4 times a second kept
 * every broker busy doing nothing.
 */
function idleReportEvery(config: TopicConfig): number {
  return Math.min(
    FOLLOWER_IDLE_WAIT_MAX_MS,
    Math.max(FOLLOWER_WAIT_MS, Math.floor(config.replicaLagTimeMaxMs / 4)),
  )
}

const replicaKey = (topic: string, partition: number) => `${topic}/${partition}`

function replicaFor(state: BrokerState, topic: string, partition: number): Replica {
  const replica = state.replicas.get(replicaKey(topic, partition))
  if (replica === undefined) {
    throw new KafkaProtocolError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `broker ${state.brokerId} hosts no replica of ${topic}-${partition}`,
    )
  }
  return replica
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
      case 'produce':
        produce(state, message, context)
        return state
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
    'produce',
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

/**
 * Sets the next time-retention check early enough for what `log` holds: when its oldest batch
 * expires, but no sooner than RETENTION_CHECK_MS from now. Checks come only when something can
 * expire (so virtual time skips the hours between), and a check sets the next one.
 */
function watchRetention(
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

/** The coordinator serves a group's offsets partition exactly while this broker leads it. */
function tellCoordinator(
  state: BrokerState,
  topic: string,
  partition: number,
  leader: LeaderReplica | undefined,
): void {
  if (topic !== OFFSETS_TOPIC) return
  state.coordinator.tell(
    leader === undefined
      ? { type: 'partition-lost', partition }
      : { type: 'partition-led', partition, log: leader.log.handle() },
  )
}

/**
 * Appends each partition's batch (each answered on its own, as Kafka's ProduceResponse does)
 * and replies once all are done: at once with acks 0 or 1, once the high watermark covers
 * every appended batch with acks all.
 */
function produce(
  state: BrokerState,
  message: ProduceRequest,
  context: ActorContext<BrokerMessage>,
): void {
  const now = context.clock.now()
  const answers: PartitionProduced[] = []
  const waits: { readonly replica: LeaderReplica; readonly index: number; endOffset: number }[] = []
  for (const [index, entry] of message.partitions.entries()) {
    try {
      const appended = appendBatch(state, entry, message.acks, now)
      watchRetention(state, appended.replica.log, context)
      answers.push(partitionProduced(appended.baseOffset, appended.replica.log.logStartOffset))
      if (message.acks === -1 && appended.replica.followers.size > 0) {
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

/** One partition's batch into the log this broker leads; where it landed and where it ends. */
function appendBatch(
  state: BrokerState,
  { topic, partition, batch }: PartitionBatch,
  acks: Acks,
  now: number,
): { readonly replica: LeaderReplica; readonly baseOffset: number; readonly endOffset: number } {
  const replica = replicaFor(state, topic, partition)
  if (replica.role !== 'leader') {
    throw new KafkaProtocolError(
      'NOT_LEADER_OR_FOLLOWER',
      `broker ${state.brokerId} follows ${topic}-${partition}, it does not lead it`,
    )
  }
  const { log, config } = replica
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
  const identity = batchIdentity(batch)
  const check = identity === undefined ? undefined : replica.producers.check(identity)
  const baseOffset =
    check?.kind === 'duplicate'
      ? check.baseOffset
      : log.append(batch, { commit: replica.followers.size === 0 })
  if (identity !== undefined && check?.kind === 'append') {
    replica.producers.recordAppended(identity, baseOffset)
  }
  const endOffset = baseOffset + readInt32(batch, BATCH_LAST_OFFSET_DELTA) + 1
  return { replica, baseOffset, endOffset }
}

function leaderReplica(
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
  }
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

function startIsrChecks(
  state: BrokerState,
  config: TopicConfig,
  context: ActorContext<BrokerMessage>,
): void {
  if (state.isrTimerSet) return
  state.isrTimerSet = true
  context.scheduleSelf(isrCheckEvery(state, config), { type: 'check-isr' })
}

/**
 * Moves the high watermark to what every in-sync replica has, answers the produces it covers,
 * and tells the controller when the ISR changed.
 */
function advanceHighWatermark(replica: LeaderReplica, now: number): void {
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
  const committed = log.highWatermark
  while (pending.length > 0 && (pending[0] as PendingAck).endOffset <= committed) {
    ;(pending.shift() as PendingAck).settle()
  }
  if (1 + inSync.length < config.minInsyncReplicas) {
    // The ISR shrank under what these produces were promised: Kafka's after-append refusal.
    for (const waiting of pending.splice(0)) {
      waiting.settle(
        new KafkaProtocolError(
          'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
          `the in-sync replicas fell to ${1 + inSync.length}, under min.insync.replicas ${config.minInsyncReplicas}`,
        ),
      )
    }
  }
}

/** Follower replicas here whose leader is the broker of that actor name. */
function followersOf(state: BrokerState, leaderName: string): FollowerReplica[] {
  const followers: FollowerReplica[] = []
  for (const replica of state.replicas.values()) {
    if (replica.role === 'follower' && replica.leader.leader.name === leaderName) {
      followers.push(replica)
    }
  }
  return followers
}

/**
 * One fetch from a leader broker, as Kafka's replica fetcher makes it: each of `followers`
 * (all this broker's replicas of that leader's partitions, or one that has just become a
 * follower) copies what the leader's log has past its own end and reports how far it is
 * (when it copied something, or has been silent for its idle report period); then one wait
 * on that broker's append signal until it moves. Reports of one round go in one message.
 */
function fetchFromLeader(
  state: BrokerState,
  leaderName: string,
  followers: readonly FollowerReplica[],
  context: ActorContext<BrokerMessage>,
): void {
  const leaderRef = followers[0]?.leader.leader
  if (leaderRef === undefined) return
  // A network partition between the two stops the copying too, not only the messages.
  if (context.isCutFrom(leaderRef as ActorRef<never>)) {
    context.scheduleSelf(FOLLOWER_WAIT_MS, { type: 'replica-fetch', leader: leaderName })
    return
  }
  // Read before copying, so that an append made while this round copies wakes the wait.
  const signals = signalsOf(followers)
  const now = context.clock.now()
  let behind = false
  for (const replica of followers) {
    if (copyFromLeader(state, replica, now)) behind = true
    watchRetention(state, replica.log, context)
  }
  // One round copies at most a read's worth: a follower still behind goes again at once
  // rather than waiting for an append that may never come (the producer may be done).
  if (behind) {
    context.self.tell({ type: 'replica-fetch', leader: leaderName })
    return
  }
  for (const [signal, { word, seen, idleMs }] of signals) {
    if (state.leaderWaits.has(signal)) continue
    state.leaderWaits.add(signal)
    const moved = () => Atomics.load(word.words, word.notifyIndex) !== seen
    const woken = waitUntil(word, moved, idleMs, context.clock)
      .catch(() => false)
      .finally(() => state.leaderWaits.delete(signal))
    context.pipeToSelf(woken, () => ({ type: 'replica-fetch', leader: leaderName }))
  }
}

/**
 * The append signals the followers' live leader logs carry (one, unless the leader restarted
 * and some followers still read its old logs), each with its value now and the shortest idle
 * report period of its followers.
 */
function signalsOf(
  followers: readonly FollowerReplica[],
): Map<SharedArrayBuffer, { readonly word: WaitWord; readonly seen: number; idleMs: number }> {
  const signals = new Map<
    SharedArrayBuffer,
    { readonly word: WaitWord; readonly seen: number; idleMs: number }
  >()
  for (const replica of followers) {
    if (replica.leaderLog.state !== LogState.Active) continue
    const word = replica.leaderLog.appendSignal
    const signal = word.words.buffer as SharedArrayBuffer
    const idleMs = idleReportEvery(replica.config)
    const known = signals.get(signal)
    if (known === undefined) {
      signals.set(signal, { word, seen: Atomics.load(word.words, word.notifyIndex), idleMs })
    } else known.idleMs = Math.min(known.idleMs, idleMs)
  }
  return signals
}

/**
 * Copies what the leader has past this follower's log end, and reports when it should. True
 * when it copied something and the leader still has more past the new log end.
 */
function copyFromLeader(state: BrokerState, replica: FollowerReplica, now: number): boolean {
  const { log, leaderLog, leader, topic, partition } = replica
  const before = log.logEndOffset
  const reportDue = now - replica.reportedAt >= idleReportEvery(replica.config)
  // A round visits every partition of the leader, and most have nothing new: one load says so.
  if (leaderLog.logEndOffset === before && !reportDue) return false
  // A fenced or closed leader log has no more to give: wait for the controller's `follow`.
  if (leaderLog.state !== LogState.Active) return false
  try {
    if (leaderLog.logStartOffset > log.logEndOffset) {
      // The leader no longer has what comes next here: start again where it starts.
      log.reset(leaderLog.logStartOffset)
    }
    if (leaderLog.logEndOffset > log.logEndOffset) {
      // Straight from the leader's ring into this one: a copy in between would be fresh
      // memory for every fetch, and touching fresh pages costs far more than the copy.
      const copiedFrom = log.logEndOffset
      const read = leaderLog.read(copiedFrom, 1 << 20, { upTo: 'log-end', zeroCopy: true })
      try {
        for (const batch of read.batches) log.appendReplica(batch)
      } finally {
        // The leader evicted or truncated what was copied meanwhile: undo it, look again.
        if (!leaderLog.isIntact(read)) log.truncateTo(copiedFrom)
      }
    }
    const highWatermark = Math.min(leaderLog.highWatermark, log.logEndOffset)
    if (highWatermark !== log.highWatermark) log.setHighWatermark(highWatermark)
  } catch (error) {
    if (!(error instanceof SamsaError)) throw error
    // A race with the leader's eviction or a fenced leader: the next round looks again.
  }
  if (log.logEndOffset !== before || reportDue) {
    replica.reportedAt = now
    leader.leader.tell(followerProgress(topic, partition, state.brokerId, log.logEndOffset))
  }
  // Only after progress: a round that copied nothing (a race undone) waits for the next append.
  return log.logEndOffset !== before && leaderLog.logEndOffset > log.logEndOffset
}

function isrCheckEvery(state: BrokerState, config?: TopicConfig): number {
  let lagMax = config?.replicaLagTimeMaxMs ?? Number.POSITIVE_INFINITY
  for (const replica of state.replicas.values()) {
    lagMax = Math.min(lagMax, replica.config.replicaLagTimeMaxMs)
  }
  return Math.max(10, Math.min(1_000, Math.floor(lagMax / 2)))
}
