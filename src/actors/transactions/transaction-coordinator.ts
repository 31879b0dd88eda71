import type { ActorContext, Replier } from '../../runtime/actor/actor-definition.js'
import { defineActor } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { answeringRequestFailures } from '../../runtime/actor/request-failures.js'
import type { Timer } from '../../runtime/clock/clock.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import {
  appendRecords,
  coordinatedPartition,
  readKeyedRecords,
  recordBytes,
} from '../coordinator/internal-topic.js'
import { TRANSACTION_TOPIC } from '../internal-topics.js'
import {
  type ProducerIdentity,
  parseProducerIdentity,
  type SupervisorRequest,
} from '../supervisor/supervisor-protocol.js'
import {
  decodeTransactionRecord,
  encodeTransactionRecord,
  TRANSACTION_TOPIC_LOG_BYTES,
  TRANSACTION_TOPIC_PARTITIONS,
  type TransactionMetadata,
} from './transaction-log.js'
import { addToPartitionLeaders, writeMarkersAndOffsets } from './transaction-markers.js'
import {
  parseTransactionCoordinatorMessage,
  type TransactionCoordinatorMessage,
  type TransactionRequest,
} from './transaction-protocol.js'
import {
  checkProducer,
  checkResumingProducer,
  checkTransactionTimeout,
  completed,
  endTransaction,
  fencingAbort,
  hasTimedOut,
  isCompleting,
  joinTransaction,
  nextIncarnation,
} from './transaction-transitions.js'

export interface TransactionCoordinatorArgs {
  readonly brokerId: number
  /** The broker this coordinator runs beside: its state partitions' leader. */
  readonly broker: ActorRef<BrokerMessage>
}

/** The transactional ids of one state partition this broker leads, rebuilt from its records. */
interface LoadedPartition {
  readonly partition: number
  /** The partition's leader epoch when loaded: Kafka's coordinator epoch, in every marker. */
  readonly coordinatorEpoch: number
  readonly controller: ActorRef<SupervisorRequest>
  readonly transactions: Map<string, TransactionMetadata>
  /** Ids with a change under way: other requests for them answer CONCURRENT_TRANSACTIONS. */
  readonly busy: Set<string>
  bytesSinceRewrite: number
}

interface TransactionCoordinatorState {
  readonly brokerId: number
  readonly broker: ActorRef<BrokerMessage>
  readonly partitions: Map<number, LoadedPartition>
  timer: Timer | undefined
  timerAt: number
}

// Every live id is written again once this much has been appended since the last time, so an
// id's newest record is never the one the ring evicts (Kafka compacts the topic instead).
const REWRITE_AFTER_BYTES = TRANSACTION_TOPIC_LOG_BYTES / 4

/**
 * A transaction coordinator (Kafka's TransactionCoordinator): runs beside each broker, as the
 * group coordinator does, and serves the transactional ids whose state partition that broker
 * leads. Every change of a transaction is written to the state topic (acks all) before it is
 * acted on, so a coordinator that takes over finishes what the last one prepared.
 */
const transactionCoordinatorBehaviour = defineActor<
  TransactionCoordinatorMessage,
  TransactionCoordinatorState,
  TransactionCoordinatorArgs
>({
  parseMessage: parseTransactionCoordinatorMessage,
  init: ({ brokerId, broker }) => ({
    brokerId,
    broker,
    partitions: new Map(),
    timer: undefined,
    timerAt: Number.POSITIVE_INFINITY,
  }),
  receive(state, message, context) {
    handle(state, message, context)
    armTimer(state, context)
    return state
  },
})

/** The coordinator: a request that cannot be served is answered, and it serves everyone else. */
export const transactionCoordinator = answeringRequestFailures(
  transactionCoordinatorBehaviour,
  new Set<TransactionCoordinatorMessage['type']>([
    'init-transactional-producer',
    'add-partitions-to-txn',
    'add-offsets-to-txn',
    'end-txn',
  ]),
)

function handle(
  state: TransactionCoordinatorState,
  message: TransactionCoordinatorMessage,
  context: ActorContext<TransactionCoordinatorMessage>,
): void {
  switch (message.type) {
    case 'partition-led': {
      const loaded = load(message.partition, message.log, message.controller)
      state.partitions.set(message.partition, loaded)
      // What the last coordinator prepared and did not finish is finished here.
      for (const metadata of loaded.transactions.values()) {
        if (isCompleting(metadata)) {
          settle(loaded, metadata.transactionalId, context, undefined, () =>
            completeTransaction(state, loaded, metadata, context),
          )
        }
      }
      return
    }
    case 'partition-lost':
      state.partitions.delete(message.partition)
      return
    case 'check-timeouts':
      state.timer = undefined
      state.timerAt = Number.POSITIVE_INFINITY
      abortTimedOut(state, context)
      return
    case 'transaction-settled': {
      const loaded = state.partitions.get(message.partition)
      loaded?.busy.delete(message.transactionalId)
      if (!message.outcome.ok) {
        message.replier?.reject(asCoordinatorError(message.outcome.error))
        return
      }
      const metadata = message.outcome.value
      if (loaded === undefined) {
        message.replier?.reject(moved(metadata.transactionalId))
        return
      }
      loaded.transactions.set(metadata.transactionalId, metadata)
      message.replier?.resolve(message.answer(metadata))
      return
    }
    default:
      request(state, message, context)
  }
}

function request(
  state: TransactionCoordinatorState,
  message: TransactionRequest,
  context: ActorContext<TransactionCoordinatorMessage>,
): void {
  const { transactionalId } = message
  if (transactionalId.length === 0) {
    throw new KafkaProtocolError('INVALID_REQUEST', 'a transactional id must not be empty')
  }
  const loaded = partitionOf(state, transactionalId)
  if (loaded.busy.has(transactionalId)) {
    throw new KafkaProtocolError(
      'CONCURRENT_TRANSACTIONS',
      `transactional id '${transactionalId}' has a change under way`,
    )
  }
  const current = loaded.transactions.get(transactionalId)
  const now = context.clock.now()
  // Taken once the request is checked: a refusal before then is answered by `receive`.
  const answerLater = () => context.deferReply()
  switch (message.type) {
    case 'init-transactional-producer': {
      checkTransactionTimeout(message.transactionTimeoutMs)
      checkResumingProducer(current, message.producerId, message.producerEpoch)
      const timeoutMs = message.transactionTimeoutMs
      const init = async () => {
        let metadata = current
        if (metadata !== undefined && isCompleting(metadata)) {
          metadata = await complete(metadata)
        }
        if (metadata?.phase === 'Ongoing') {
          // A new incarnation fences the old one: its transaction is aborted under the next
          // epoch, which the partitions' leaders learn from the markers.
          metadata = await complete(await write(fencingAbort(metadata)))
        }
        const next = metadata === undefined ? undefined : nextIncarnation(metadata, timeoutMs)
        if (next !== undefined) return write(next)
        const identity = await newProducerId(loaded)
        return write({
          transactionalId,
          producerId: identity.producerId,
          producerEpoch: 0,
          timeoutMs,
          phase: 'Empty',
          partitions: [],
          groups: [],
          startedAt: now,
        })
      }
      settle(loaded, transactionalId, context, answerLater(), init, identityOf)
      return
    }
    case 'add-partitions-to-txn': {
      const checked = checkProducer(
        current,
        transactionalId,
        message.producerId,
        message.producerEpoch,
      )
      const joined = joinTransaction(checked, now, message.partitions, [])
      settle(loaded, transactionalId, context, answerLater(), async () => {
        const written = await write(joined)
        await addToPartitionLeaders(loaded.controller, written, message.partitions)
        return written
      })
      return
    }
    case 'add-offsets-to-txn': {
      const checked = checkProducer(
        current,
        transactionalId,
        message.producerId,
        message.producerEpoch,
      )
      const joined = joinTransaction(checked, now, [], [message.groupId])
      settle(loaded, transactionalId, context, answerLater(), () => write(joined))
      return
    }
    case 'end-txn': {
      const checked = checkProducer(
        current,
        transactionalId,
        message.producerId,
        message.producerEpoch,
      )
      const ended = endTransaction(checked, message.commit)
      if (ended === 'done') {
        context.reply(true)
        return
      }
      settle(loaded, transactionalId, context, answerLater(), async () =>
        complete(await write(ended)),
      )
    }
  }

  function write(metadata: TransactionMetadata): Promise<TransactionMetadata> {
    return persist(state, loaded, metadata, context.clock.now())
  }

  function complete(metadata: TransactionMetadata): Promise<TransactionMetadata> {
    return completeTransaction(state, loaded, metadata, context)
  }
}

const identityOf = (metadata: TransactionMetadata): ProducerIdentity => ({
  producerId: metadata.producerId,
  producerEpoch: metadata.producerEpoch,
})

/**
 * Runs a change of one transactional id, which holds it busy until done: `work` gives the
 * metadata it wrote last.
 */
function settle(
  loaded: LoadedPartition,
  transactionalId: string,
  context: ActorContext<TransactionCoordinatorMessage>,
  replier: Replier | undefined,
  work: () => Promise<TransactionMetadata>,
  answer: (metadata: TransactionMetadata) => unknown = () => true,
): void {
  loaded.busy.add(transactionalId)
  context.pipeToSelf(work(), (outcome) => ({
    type: 'transaction-settled',
    partition: loaded.partition,
    transactionalId,
    outcome,
    replier,
    answer,
  }))
}

/** Writes the markers and the groups' offsets, then the completed state. */
async function completeTransaction(
  state: TransactionCoordinatorState,
  loaded: LoadedPartition,
  metadata: TransactionMetadata,
  context: ActorContext<TransactionCoordinatorMessage>,
): Promise<TransactionMetadata> {
  await writeMarkersAndOffsets(loaded.controller, context.clock, metadata, loaded.coordinatorEpoch)
  return persist(state, loaded, completed(metadata), context.clock.now())
}

/** Appends a transaction's new state to its partition of the state topic, acks all. */
async function persist(
  state: TransactionCoordinatorState,
  loaded: LoadedPartition,
  metadata: TransactionMetadata,
  now: number,
): Promise<TransactionMetadata> {
  const records = [encodeTransactionRecord(metadata)]
  if (loaded.bytesSinceRewrite > REWRITE_AFTER_BYTES) {
    loaded.bytesSinceRewrite = 0
    for (const live of loaded.transactions.values()) {
      if (live.transactionalId !== metadata.transactionalId) {
        records.push(encodeTransactionRecord(live))
      }
    }
  }
  loaded.bytesSinceRewrite += recordBytes(records)
  await appendRecords(state.broker, TRANSACTION_TOPIC, loaded.partition, records, now)
  return metadata
}

async function newProducerId(loaded: LoadedPartition): Promise<ProducerIdentity> {
  return loaded.controller.ask<ProducerIdentity>(
    { type: 'init-producer-id' },
    { parseReply: parseProducerIdentity },
  )
}

function abortTimedOut(
  state: TransactionCoordinatorState,
  context: ActorContext<TransactionCoordinatorMessage>,
): void {
  const now = context.clock.now()
  for (const loaded of state.partitions.values()) {
    for (const metadata of loaded.transactions.values()) {
      if (loaded.busy.has(metadata.transactionalId) || !hasTimedOut(metadata, now)) continue
      // As Kafka's coordinator: aborted under the next epoch, so the stalled producer is fenced.
      settle(loaded, metadata.transactionalId, context, undefined, async () => {
        const aborting = await persist(state, loaded, fencingAbort(metadata), context.clock.now())
        return completeTransaction(state, loaded, aborting, context)
      })
    }
  }
}

/** Keeps one timer, at the earliest transaction timeout. */
function armTimer(
  state: TransactionCoordinatorState,
  context: ActorContext<TransactionCoordinatorMessage>,
): void {
  let earliest = Number.POSITIVE_INFINITY
  for (const loaded of state.partitions.values()) {
    for (const metadata of loaded.transactions.values()) {
      if (metadata.phase === 'Ongoing' && !loaded.busy.has(metadata.transactionalId)) {
        earliest = Math.min(earliest, metadata.startedAt + metadata.timeoutMs)
      }
    }
  }
  if (earliest >= state.timerAt) return
  if (state.timer !== undefined) context.cancelTimer(state.timer)
  state.timerAt = earliest
  state.timer =
    earliest === Number.POSITIVE_INFINITY
      ? undefined
      : context.scheduleSelf(Math.max(0, earliest - context.clock.now()), {
          type: 'check-timeouts',
        })
}

function partitionOf(state: TransactionCoordinatorState, transactionalId: string): LoadedPartition {
  const where = {
    brokerId: state.brokerId,
    topic: TRANSACTION_TOPIC,
    partitions: TRANSACTION_TOPIC_PARTITIONS,
  }
  return coordinatedPartition(state.partitions, where, transactionalId, 'transactional id')
}

function moved(transactionalId: string): KafkaProtocolError {
  return new KafkaProtocolError(
    'NOT_COORDINATOR',
    `transactional id '${transactionalId}' moved to another coordinator`,
  )
}

function asCoordinatorError(error: unknown): unknown {
  if (error instanceof KafkaProtocolError) {
    // A write the state topic refused: the producer asks again, of whichever coordinator
    // the controller names then.
    return error.type === 'NOT_LEADER_OR_FOLLOWER' || error.type === 'NOT_ENOUGH_REPLICAS'
      ? new KafkaProtocolError('NOT_COORDINATOR', error.message, { cause: error })
      : error
  }
  return error
}

function load(
  partition: number,
  handle: Parameters<typeof PartitionLogReader.open>[0],
  controller: ActorRef<SupervisorRequest>,
): LoadedPartition {
  const transactions = new Map<string, TransactionMetadata>()
  const bytes = readKeyedRecords(handle, (key, value) => {
    const { transactionalId, metadata } = decodeTransactionRecord(key, value)
    if (metadata === null) transactions.delete(transactionalId)
    else transactions.set(transactionalId, metadata)
  })
  return {
    partition,
    coordinatorEpoch: PartitionLogReader.open(handle).leaderEpoch,
    controller,
    transactions,
    busy: new Set(),
    bytesSinceRewrite: bytes,
  }
}
