// The internal transaction state topic (Kafka's `__transaction_state`): which partition keeps a
// transactional id, and the record a transaction coordinator writes there on every change of
// a transaction, keyed by its transactional id, so that the newest record of a key is its
// state and a coordinator that takes over rebuilds everything by reading them in order.

import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import { Packr } from '../../runtime/transport/msgpack.js'
import { parseTopicPartitions, type TopicPartition } from '../broker/broker-protocol.js'
import type { KeyedRecord } from '../coordinator/internal-topic.js'
import { fieldsOf, integerField, stringArrayField, stringField } from '../protocol-fields.js'

/** Kafka's `transaction.state.log.num.partitions` is 50; a few spread the load in one process. */
export const TRANSACTION_TOPIC_PARTITIONS = 5
/** Kafka's `transaction.state.log.replication.factor`, capped at the brokers there are. */
export const TRANSACTION_TOPIC_REPLICATION = 3
export const TRANSACTION_TOPIC_LOG_BYTES = 4 * 1024 * 1024

/** Kafka's transaction states (TransactionState), as the coordinator moves through them. */
export const TRANSACTION_PHASES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
] as const
export type TransactionPhase = (typeof TRANSACTION_PHASES)[number]

/** One transactional id's producer and its transaction, as the coordinator keeps them. */
export interface TransactionMetadata {
  readonly transactionalId: string
  readonly producerId: number
  readonly producerEpoch: number
  /** Kafka's `transaction.timeout.ms`, as the producer asked at InitProducerId. */
  readonly timeoutMs: number
  readonly phase: TransactionPhase
  readonly partitions: readonly TopicPartition[]
  /** The consumer groups whose offsets the transaction commits. */
  readonly groups: readonly string[]
  /** When the transaction began (its first AddPartitionsToTxn or AddOffsetsToTxn). */
  readonly startedAt: number
}

// Self-describing maps, so that a record written by one version of samsa reads in another.
const packr = new Packr({ useRecords: false })

export function encodeTransactionRecord(metadata: TransactionMetadata): KeyedRecord {
  return {
    key: packr.pack(['transaction', metadata.transactionalId]),
    value: packr.pack({ ...metadata, partitions: [...metadata.partitions] }),
  }
}

function phaseField(value: unknown): TransactionPhase {
  const phase = TRANSACTION_PHASES.find((known) => known === value)
  if (phase === undefined)
    throw new MalformedMessageError(`unknown transaction state ${String(value)}`)
  return phase
}

/** Reads back a record of the transaction state topic; one it cannot read is reported. */
export function decodeTransactionRecord(
  key: Uint8Array,
  value: Uint8Array | null,
): { readonly transactionalId: string; readonly metadata: TransactionMetadata | null } {
  const parts: unknown = packr.unpack(key)
  if (!Array.isArray(parts) || parts[0] !== 'transaction' || typeof parts[1] !== 'string') {
    throw new MalformedMessageError('a transaction state key is ["transaction", id]')
  }
  const transactionalId = parts[1]
  if (value === null) return { transactionalId, metadata: null }
  const fields = fieldsOf(packr.unpack(value), 'transaction metadata')
  return {
    transactionalId,
    metadata: {
      transactionalId: stringField(fields, 'transactionalId'),
      producerId: integerField(fields, 'producerId', 0),
      producerEpoch: integerField(fields, 'producerEpoch', 0),
      timeoutMs: integerField(fields, 'timeoutMs', 1),
      phase: phaseField(fields.phase),
      partitions: parseTopicPartitions(fields, 'partitions'),
      groups: stringArrayField(fields, 'groups'),
      startedAt: integerField(fields, 'startedAt'),
    },
  }
}
