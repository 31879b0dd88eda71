import type { MetadataSnapshot } from '../../../actors/supervisor/supervisor-protocol.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type {
  ListOffsetsPartition,
  ListOffsetsPartitionResponse,
  ListOffsetsResponse,
} from '../../../runtime/kafka-protocol/generated/list-offsets.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import type { ReadLimit } from '../../../runtime/log/log-layout.js'
import type { PartitionLogReader } from '../../../runtime/log/partition-log-reader.js'
import { inflateRecordBatch } from '../../../runtime/log/record-batch-codec.js'
import { forEachRecord } from '../../../runtime/log/record-reader.js'
import { ledPartition } from '../cluster-view.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import { logReader, readLimitOf } from '../log-readers.js'
import type { RequestHandler } from '../request-handler.js'
import type { ListenerContext } from '../serve-context.js'

/** Kafka's ListOffsets timestamps that name an end of the log rather than a time. */
const LATEST = -1n
const EARLIEST = -2n

/**
 * ListOffsets (v1+): the earliest offset (-2), the latest (-1: what a consumer of the
 * request's isolation level can read up to, the high watermark read uncommitted, the last
 * stable offset read committed), or the first offset below that end whose record is at least
 * that timestamp, from the leader's log.
 */
export const listOffsets: RequestHandler<typeof ApiKeys.ListOffsets> = {
  apiKey: ApiKeys.ListOffsets,
  minVersion: 1,
  // Version 7 brings the max-timestamp query (-3), which is not answered.
  maxVersion: 6,
  async handle(request, version, { listener }): Promise<ListOffsetsResponse> {
    const snapshot = await listener.cluster.metadata.latest()
    const upTo = readLimitOf(request.isolationLevel)
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((asked) =>
          lookUp(snapshot, listener, topic.name, asked, version, upTo),
        ),
      })),
    }
  },
}

function lookUp(
  snapshot: MetadataSnapshot,
  listener: ListenerContext,
  topic: string,
  asked: ListOffsetsPartition,
  version: number,
  upTo: ReadLimit | undefined,
): ListOffsetsPartitionResponse {
  const answer = (errorCode: number, offset: bigint, timestamp: bigint, epoch: number) => ({
    partitionIndex: asked.partitionIndex,
    errorCode,
    oldStyleOffsets: [],
    timestamp,
    offset,
    // Leader epochs come with version 4.
    leaderEpoch: version >= 4 ? epoch : -1,
  })
  try {
    if (upTo === undefined) {
      throw new KafkaProtocolError('INVALID_REQUEST', 'an isolation level is neither 0 nor 1')
    }
    const partition = ledPartition(snapshot, listener, topic, asked.partitionIndex)
    const reader = logReader(partition.log)
    const epoch = partition.leaderEpoch
    if (asked.timestamp === LATEST) return answer(NONE, BigInt(reader.limitOf(upTo)), -1n, epoch)
    if (asked.timestamp === EARLIEST) {
      return answer(NONE, BigInt(reader.logStartOffset), -1n, epoch)
    }
    if (asked.timestamp < 0n) {
      throw new KafkaProtocolError('INVALID_REQUEST', `timestamp ${asked.timestamp}`)
    }
    const found = reader.offsetForTimestamp(Number(asked.timestamp), { upTo })
    if (found === null) return answer(NONE, -1n, -1n, -1)
    return answer(NONE, BigInt(found), BigInt(timestampAt(reader, found, upTo)), epoch)
  } catch (error) {
    return answer(errorCodeOf(error, 'NOT_LEADER_OR_FOLLOWER'), -1n, -1n, -1)
  }
}

/** The timestamp of the record at `offset` (which the log holds). */
function timestampAt(reader: PartitionLogReader, offset: number, upTo: ReadLimit): number {
  const [batch] = reader.read(offset, 1, { upTo }).batches
  let timestamp = -1
  if (batch === undefined) return timestamp
  forEachRecord(inflateRecordBatch(batch), (record) => {
    if (record.offset === offset) timestamp = record.timestamp
  })
  return timestamp
}
