import { defineActor } from '../../runtime/actor/actor-definition.js'
import { KafkaProtocolError, SamsaError } from '../../runtime/errors/samsa-error.js'
import { PartitionLog } from '../../runtime/log/partition-log.js'
import { checkRecordBatch } from '../../runtime/log/record-batch-codec.js'
import { fieldsOf, integerField } from '../protocol-fields.js'
import {
  type BrokerMessage,
  type ProduceResponse,
  parseBrokerMessage,
  type ReplicaCreated,
} from './broker-protocol.js'

export interface BrokerArgs {
  readonly brokerId: number
}

interface Replica {
  readonly log: PartitionLog
  readonly maxMessageBytes: number
}

interface BrokerState {
  readonly brokerId: number
  /** Replicas by `topic/partition`; this broker is the only writer of their logs. */
  readonly replicas: Map<string, Replica>
  retentionTimerSet: boolean
}

/** How often time-based retention (`retention.ms`) is applied. */
const RETENTION_CHECK_MS = 1_000

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
 * A broker: hosts partition replicas and appends what producers send to the ones it leads.
 * Consumers read the logs straight from shared memory, so fetches never come here.
 */
export const broker = defineActor<BrokerMessage, BrokerState, BrokerArgs>({
  parseMessage: parseBrokerMessage,
  parseArgs: (value) => ({ brokerId: integerField(fieldsOf(value, 'broker args'), 'brokerId', 0) }),
  init: ({ brokerId }) => ({ brokerId, replicas: new Map(), retentionTimerSet: false }),
  receive(state, message, context) {
    switch (message.type) {
      case 'create-replica': {
        const key = replicaKey(message.topic, message.partition)
        let replica = state.replicas.get(key)
        if (replica === undefined) {
          const { config } = message
          const log = new PartitionLog(
            {
              capacity: config.logCapacityBytes,
              retentionBytes: config.retentionBytes,
              retentionMs: config.retentionMs,
              leaderEpoch: message.leaderEpoch,
              now: () => context.clock.now(),
            },
            message.existing,
          )
          replica = { log, maxMessageBytes: config.maxMessageBytes }
          state.replicas.set(key, replica)
          if (config.retentionMs !== undefined && !state.retentionTimerSet) {
            state.retentionTimerSet = true
            context.scheduleSelf(RETENTION_CHECK_MS, { type: 'enforce-retention' })
          }
        }
        const created: ReplicaCreated = { log: replica.log.handle() }
        context.reply(created)
        return state
      }
      case 'delete-replica': {
        const key = replicaKey(message.topic, message.partition)
        state.replicas.get(key)?.log.close()
        state.replicas.delete(key)
        context.reply(true)
        return state
      }
      case 'produce': {
        try {
          const { log, maxMessageBytes } = replicaFor(state, message.topic, message.partition)
          if (message.batch.length > maxMessageBytes) {
            throw new KafkaProtocolError(
              'MESSAGE_TOO_LARGE',
              `a batch of ${message.batch.length} bytes is over max.message.bytes (${maxMessageBytes})`,
            )
          }
          // Ingress validation, as Kafka's broker does before its log append: the log itself
          // trusts its one writer (see PartitionLogOptions.verifyCrc).
          checkRecordBatch(message.batch, true)
          // One replica per partition so far: what the leader has is what is committed.
          const baseOffset = log.append(message.batch, { commit: true })
          const response: ProduceResponse = {
            baseOffset,
            logAppendTime: -1,
            logStartOffset: log.logStartOffset,
          }
          context.reply(response)
        } catch (error) {
          // Bad input is answered, never fatal: the broker keeps serving everyone else.
          if (!(error instanceof SamsaError)) throw error
          context.replyError(error)
        }
        return state
      }
      case 'enforce-retention': {
        for (const { log } of state.replicas.values()) log.enforceRetention()
        context.scheduleSelf(RETENTION_CHECK_MS, { type: 'enforce-retention' })
        return state
      }
    }
  },
  stopped(state) {
    for (const { log } of state.replicas.values()) log.close()
  },
})
