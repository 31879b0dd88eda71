import {
  type Acks,
  type PartitionBatch,
  type PartitionProduced,
  type ProduceReply,
  parseProduceReply,
  partitionBatch,
  produceRequest,
} from '../../../actors/broker/broker-protocol.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type {
  PartitionProduceResponse,
  ProduceResponse,
} from '../../../runtime/kafka-protocol/generated/produce.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { readInt32 } from '../../../runtime/log/big-endian.js'
import {
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  CURRENT_MAGIC,
} from '../../../runtime/log/record-batch-codec.js'
import { errorCodeOf, errorMessageOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** Room beyond the client's own timeout for the broker's answer to come back. */
const ANSWER_MARGIN_MS = 5_000

/** One partition of the request: its batches, or why it is refused before reaching the broker. */
interface PartitionEntry {
  readonly topic: string
  readonly partition: number
  readonly batches: readonly Uint8Array[]
  readonly refused?: KafkaProtocolError
}

/**
 * Produce (RecordBatch v2 only): every partition's batches go to this listener's broker in one
 * produce request, exactly as an in-process producer's do, so the broker checks leadership,
 * CRCs, sizes and idempotent producers' sequences alike for both. A transactional batch is
 * checked there too: its leader takes it only for a partition the transaction coordinator added
 * to the producer's transaction (Kafka 4's verification), so the request's transactional id is
 * not needed to judge it. acks 0 gets no response.
 *
 * Versions from 0 are advertised, as Kafka 3.x brokers do, because librdkafka up to 2.11 only
 * gzips, snappies or lz4s a batch for a broker that lists Produce v0. Versions 0 to 2 carry
 * the old message formats, whose partitions are refused with UNSUPPORTED_FOR_MESSAGE_FORMAT.
 */
export const produce: RequestHandler<typeof ApiKeys.Produce> = {
  apiKey: ApiKeys.Produce,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, _version, { listener }): Promise<ProduceResponse | undefined> {
    const acks = request.acks
    const entries: PartitionEntry[] = request.topicData.flatMap((topic) =>
      topic.partitionData.map((data) => partitionEntry(topic.name, data.index, data.records)),
    )
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      const invalid = new KafkaProtocolError('INVALID_REQUIRED_ACKS', `acks ${acks}`)
      return response(
        entries,
        entries.map((entry) => refusal(entry, invalid)),
      )
    }
    const sent: PartitionBatch[] = []
    for (const entry of entries) {
      if (entry.refused !== undefined) continue
      for (const batch of entry.batches)
        sent.push(partitionBatch(entry.topic, entry.partition, batch))
    }
    const message = produceRequest(acks as Acks, sent)
    if (acks === 0) {
      if (sent.length > 0) listener.broker.tell(message)
      return undefined
    }
    let answers: readonly PartitionProduced[] | unknown
    try {
      answers =
        sent.length === 0
          ? []
          : (
              await listener.broker.ask<ProduceReply>(message, {
                timeoutMs: request.timeoutMs + ANSWER_MARGIN_MS,
                parseReply: parseProduceReply,
              })
            ).partitions
    } catch (error) {
      answers = error
    }
    let next = 0
    return response(
      entries,
      entries.map((entry): PartitionProduceResponse => {
        if (entry.refused !== undefined) return refusal(entry, entry.refused)
        const mine = Array.isArray(answers)
          ? (answers.slice(next, next + entry.batches.length) as PartitionProduced[])
          : undefined
        next += entry.batches.length
        if (mine === undefined) return refusal(entry, answers)
        return answered(entry, mine)
      }),
    )
  },
}

/** The partition's batches, copied out of the request frame, or why they cannot be taken. */
function partitionEntry(
  topic: string,
  partition: number,
  records: Uint8Array | null,
): PartitionEntry {
  try {
    return { topic, partition, batches: splitBatches(records) }
  } catch (error) {
    if (!(error instanceof KafkaProtocolError)) throw error
    return { topic, partition, batches: [], refused: error }
  }
}

/** A partition's record set cut into its RecordBatch v2 batches (clients send one, mostly). */
function splitBatches(records: Uint8Array | null): Uint8Array[] {
  if (records === null || records.length === 0) {
    throw new KafkaProtocolError('CORRUPT_MESSAGE', 'a produce partition carries no records')
  }
  const batches: Uint8Array[] = []
  let position = 0
  while (position < records.length) {
    if (records.length - position < BATCH_HEADER_SIZE) {
      throw new KafkaProtocolError('CORRUPT_MESSAGE', 'a record batch is cut short')
    }
    if (records[position + BATCH_MAGIC] !== CURRENT_MAGIC) {
      throw new KafkaProtocolError(
        'UNSUPPORTED_FOR_MESSAGE_FORMAT',
        `record batches of magic ${records[position + BATCH_MAGIC]} are not taken, only ${CURRENT_MAGIC}`,
      )
    }
    const size = readInt32(records, position + BATCH_LENGTH) + BATCH_LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE || position + size > records.length) {
      throw new KafkaProtocolError('CORRUPT_MESSAGE', `a record batch declares ${size} bytes`)
    }
    // A copy: the request frame is not kept once the request is answered.
    batches.push(records.slice(position, position + size))
    position += size
  }
  return batches
}

/** A partition's answer from its batches' answers: the first batch's offset, the first error. */
function answered(
  entry: PartitionEntry,
  answers: readonly PartitionProduced[],
): PartitionProduceResponse {
  const failed = answers.find((answer) => answer.error !== null)
  if (failed?.error !== undefined && failed.error !== null) {
    return refusal(entry, new KafkaProtocolError(failed.error, failed.errorMessage))
  }
  const first = answers[0] as PartitionProduced
  return {
    index: entry.partition,
    errorCode: NONE,
    baseOffset: BigInt(first.baseOffset),
    logAppendTimeMs: BigInt(first.logAppendTime),
    logStartOffset: BigInt(first.logStartOffset),
    recordErrors: [],
    errorMessage: null,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  }
}

function refusal(entry: PartitionEntry, error: unknown): PartitionProduceResponse {
  return {
    index: entry.partition,
    // A broker that died or went silent meanwhile: the client asks metadata and tries again.
    errorCode: errorCodeOf(error, 'NOT_LEADER_OR_FOLLOWER'),
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: errorMessageOf(error),
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  }
}

/** The partitions' answers (one per entry) grouped by topic, in the order the request named them. */
function response(
  entries: readonly PartitionEntry[],
  answers: readonly PartitionProduceResponse[],
): ProduceResponse {
  const byTopic = new Map<string, PartitionProduceResponse[]>()
  entries.forEach((entry, index) => {
    const list = byTopic.get(entry.topic) ?? []
    list.push(answers[index] as PartitionProduceResponse)
    byTopic.set(entry.topic, list)
  })
  return {
    responses: [...byTopic].map(([name, partitionResponses]) => ({ name, partitionResponses })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  }
}
