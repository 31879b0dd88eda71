import type { KafkaErrorType } from '../../runtime/errors/kafka-error-codes.js'
import type { RequestDescription } from '../../runtime/requests/request-rules.js'
import { topicsOf } from '../requests/request-topics.js'
import type { BrokerMessage, ProduceReply } from './broker-protocol.js'

/** A produce answer's error, as the request log gives one: its first partition's. */
function firstPartitionError(reply: unknown): KafkaErrorType | null {
  const partitions = (reply as ProduceReply | undefined)?.partitions ?? []
  return partitions.find((answer) => answer.error !== null)?.error ?? null
}

/**
 * The Kafka requests among a broker's messages: only Produce (consumers read the leaders' logs
 * themselves; FindCoordinator's last hop and replication are between actors).
 */
export function describeBrokerRequest(
  brokerId: number,
  message: BrokerMessage,
): RequestDescription | undefined {
  if (message.type !== 'produce') return undefined
  return {
    api: 'Produce',
    broker: brokerId,
    topics: topicsOf(message.partitions),
    errorInReply: firstPartitionError,
  }
}
