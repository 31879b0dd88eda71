import {
  type FetchedOffset,
  parseFetchedOffsets,
} from '../../../actors/coordinator/coordinator-protocol.js'
import type {
  OffsetFetchResponse,
  OffsetFetchResponsePartition,
  OffsetFetchResponseTopic,
} from '../../../runtime/kafka-protocol/generated/offset-fetch.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { askCoordinator } from '../coordinator-requests.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import type { ListenerContext } from '../serve-context.js'

interface AskedTopic {
  readonly name: string
  readonly partitionIndexes: readonly number[]
}

/** What one group's offsets came to: its topics, or the error for the whole group. */
interface GroupOffsets {
  readonly errorCode: number
  readonly topics: OffsetFetchResponseTopic[]
}

/**
 * OffsetFetch: a group's committed offsets, of the partitions asked for (-1 where none is
 * committed) or of every committed partition (topics null, v2 on). Version 8 on asks for
 * several groups at once.
 */
export const offsetFetch: RequestHandler<typeof ApiKeys.OffsetFetch> = {
  apiKey: ApiKeys.OffsetFetch,
  minVersion: 1,
  maxVersion: 8,
  async handle(request, version, { listener }): Promise<OffsetFetchResponse> {
    if (version >= 8) {
      const groups = await Promise.all(
        request.groups.map(async (group) => ({
          groupId: group.groupId,
          ...(await groupOffsets(listener, group.groupId, group.topics)),
        })),
      )
      return { throttleTimeMs: 0, topics: [], errorCode: NONE, groups }
    }
    const { errorCode, topics } = await groupOffsets(listener, request.groupId, request.topics)
    return { throttleTimeMs: 0, topics, errorCode, groups: [] }
  },
}

async function groupOffsets(
  listener: ListenerContext,
  groupId: string,
  asked: readonly AskedTopic[] | null,
): Promise<GroupOffsets> {
  let committed: FetchedOffset[]
  try {
    committed = await askCoordinator(
      listener,
      asked === null
        ? { type: 'offset-fetch', groupId }
        : { type: 'offset-fetch', groupId, topics: asked.map((topic) => topic.name) },
      parseFetchedOffsets,
    )
  } catch (error) {
    const errorCode = errorCodeOf(error, 'NOT_COORDINATOR')
    return {
      errorCode,
      topics: (asked ?? []).map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) =>
          offsetOf(partitionIndex, undefined, errorCode),
        ),
      })),
    }
  }
  const byTopic = new Map<string, Map<number, FetchedOffset>>()
  for (const entry of committed) {
    const partitions = byTopic.get(entry.topic) ?? new Map<number, FetchedOffset>()
    partitions.set(entry.partition, entry)
    byTopic.set(entry.topic, partitions)
  }
  const wanted =
    asked ??
    [...byTopic].map(([name, partitions]) => ({ name, partitionIndexes: [...partitions.keys()] }))
  return {
    errorCode: NONE,
    topics: wanted.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partitionIndex) =>
        offsetOf(partitionIndex, byTopic.get(topic.name)?.get(partitionIndex), NONE),
      ),
    })),
  }
}

function offsetOf(
  partitionIndex: number,
  committed: FetchedOffset | undefined,
  errorCode: number,
): OffsetFetchResponsePartition {
  return {
    partitionIndex,
    committedOffset: BigInt(committed?.offset ?? -1),
    committedLeaderEpoch: -1,
    metadata: committed?.metadata ?? '',
    errorCode,
  }
}
