import type { Replier } from '../../runtime/actor/actor-definition.js'
import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { MalformedMessageError } from '../../runtime/errors/actor-errors.js'
import type { PartitionLogHandle } from '../../runtime/log/log-layout.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import { parseTopicPartitions, type TopicPartition } from '../broker/broker-protocol.js'
import {
  booleanField,
  fieldsOf,
  integerField,
  optionalIntegerField,
  refField,
  stringField,
} from '../protocol-fields.js'
import type { SupervisorRequest } from '../supervisor/supervisor-protocol.js'
import type { TransactionMetadata } from './transaction-log.js'

/** What transactional producers ask their transaction coordinator. Replies beside each. */
export type TransactionRequest =
  /** Kafka's InitProducerId with a transactional id → ProducerIdentity (the next epoch) */
  | {
      readonly type: 'init-transactional-producer'
      readonly transactionalId: string
      readonly transactionTimeoutMs: number
      /**
       * The producer that asks, when it already has the id (a wire client resuming after an
       * error, InitProducerId v3 on): an older incarnation is refused rather than let fence
       * the current one.
       */
      readonly producerId?: number
      readonly producerEpoch?: number
    }
  /** Kafka's AddPartitionsToTxn → true */
  | {
      readonly type: 'add-partitions-to-txn'
      readonly transactionalId: string
      readonly producerId: number
      readonly producerEpoch: number
      readonly partitions: readonly TopicPartition[]
    }
  /** Kafka's AddOffsetsToTxn → true */
  | {
      readonly type: 'add-offsets-to-txn'
      readonly transactionalId: string
      readonly producerId: number
      readonly producerEpoch: number
      readonly groupId: string
    }
  /** Kafka's EndTxn → true once every marker is written */
  | {
      readonly type: 'end-txn'
      readonly transactionalId: string
      readonly producerId: number
      readonly producerEpoch: number
      readonly commit: boolean
    }

/** From the broker the coordinator runs beside: it leads, or no longer leads, a state partition. */
export type TransactionCoordinatorControl =
  | {
      readonly type: 'partition-led'
      readonly partition: number
      readonly log: PartitionLogHandle
      /** The controller that elected it: partition leaders and producer ids come from there. */
      readonly controller: ActorRef<SupervisorRequest>
    }
  | { readonly type: 'partition-lost'; readonly partition: number }

/** The coordinator's own messages (local only: they carry repliers). */
export type TransactionCoordinatorInternal =
  | { readonly type: 'check-timeouts' }
  | {
      readonly type: 'transaction-settled'
      readonly partition: number
      readonly transactionalId: string
      /** The metadata now written, or the failure to answer with. */
      readonly outcome: { ok: true; value: TransactionMetadata } | { ok: false; error: unknown }
      readonly replier: Replier | undefined
      /** What to answer on success. */
      readonly answer: (metadata: TransactionMetadata) => unknown
    }

export type TransactionCoordinatorMessage =
  | TransactionRequest
  | TransactionCoordinatorControl
  | TransactionCoordinatorInternal

function producerFields(fields: Readonly<Record<string, unknown>>) {
  return {
    transactionalId: stringField(fields, 'transactionalId'),
    producerId: integerField(fields, 'producerId', 0),
    producerEpoch: integerField(fields, 'producerEpoch', 0),
  }
}

export function parseTransactionCoordinatorMessage(value: unknown): TransactionCoordinatorMessage {
  const fields = fieldsOf(value, 'transaction coordinator message')
  switch (fields.type) {
    case 'init-transactional-producer': {
      const producerId = optionalIntegerField(fields, 'producerId')
      const producerEpoch = optionalIntegerField(fields, 'producerEpoch')
      return {
        type: 'init-transactional-producer',
        transactionalId: stringField(fields, 'transactionalId'),
        transactionTimeoutMs: integerField(fields, 'transactionTimeoutMs'),
        ...(producerId === undefined || producerEpoch === undefined
          ? {}
          : { producerId, producerEpoch }),
      }
    }
    case 'add-partitions-to-txn':
      return {
        type: 'add-partitions-to-txn',
        ...producerFields(fields),
        partitions: parseTopicPartitions(fields, 'partitions'),
      }
    case 'add-offsets-to-txn':
      return {
        type: 'add-offsets-to-txn',
        ...producerFields(fields),
        groupId: stringField(fields, 'groupId'),
      }
    case 'end-txn':
      return { type: 'end-txn', ...producerFields(fields), commit: booleanField(fields, 'commit') }
    case 'partition-led':
      return {
        type: 'partition-led',
        partition: integerField(fields, 'partition', 0),
        log: PartitionLogReader.open(fields.log).handle(),
        controller: refField<SupervisorRequest>(fields, 'controller'),
      }
    case 'partition-lost':
      return { type: 'partition-lost', partition: integerField(fields, 'partition', 0) }
    default:
      throw new MalformedMessageError(
        `unknown transaction coordinator message ${String(fields.type)}`,
      )
  }
}
