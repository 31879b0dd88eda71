import type { InterruptibleLogReader } from '../../../actors/consumer/partition-fetcher.js'
import type { MetadataSnapshot } from '../../../actors/supervisor/supervisor-protocol.js'
import { KafkaProtocolError } from '../../../runtime/errors/samsa-error.js'
import type {
  AbortedTransaction,
  FetchPartition,
  FetchRequest,
  FetchResponse,
  PartitionData,
} from '../../../runtime/kafka-protocol/generated/fetch.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import type { ReadLimit } from '../../../runtime/log/log-layout.js'
import { ledPartition } from '../cluster-view.js'
import { errorCodeOf, NONE } from '../error-codes.js'
import { logReader, readLimitOf } from '../log-readers.js'
import type { RequestHandler } from '../request-handler.js'
import type { ListenerContext } from '../serve-context.js'

/** A partition read: where the next read starts, to wait for data there. */
interface Waitable {
  readonly reader: InterruptibleLogReader
  readonly offset: number
  readonly upTo: ReadLimit
}

interface FetchRound {
  readonly topics: FetchResponse['responses']
  readonly bytes: number
  readonly failed: boolean
  readonly waitables: readonly Waitable[]
}

/**
 * Fetch (full fetches, no sessions: the answer's session id 0 tells the client none was made):
 * records straight from the leader's shared log, as the in-process consumer reads them: up to
 * each partition's high watermark read uncommitted, up to its last stable offset read
 * committed, with the aborted transactions of the range read so that the client leaves their
 * records out (Kafka's brokers hand them all over and let the client filter, as here). When
 * less than `min_bytes` is there, the request waits on the logs until data comes,
 * `max_wait_ms` passes, or the connection closes.
 */
export const fetch: RequestHandler<typeof ApiKeys.Fetch> = {
  apiKey: ApiKeys.Fetch,
  minVersion: 4,
  maxVersion: 12,
  async handle(request, _version, { listener, connectionClosed }): Promise<FetchResponse> {
    const { clock, metadata } = listener.cluster
    const deadline = clock.now() + Math.max(0, request.maxWaitMs)
    for (;;) {
      const round = readAll(request, await metadata.latest(), listener)
      const remaining = deadline - clock.now()
      if (
        round.bytes >= request.minBytes ||
        round.failed ||
        remaining <= 0 ||
        connectionClosed.aborted
      ) {
        return {
          throttleTimeMs: 0,
          errorCode: NONE,
          sessionId: 0,
          responses: round.topics,
          nodeEndpoints: [],
        }
      }
      await waitForAny(round.waitables, remaining, listener, connectionClosed)
    }
  },
}

function readAll(
  request: FetchRequest,
  snapshot: MetadataSnapshot,
  listener: ListenerContext,
): FetchRound {
  let budget = request.maxBytes
  let bytes = 0
  let failed = false
  const waitables: Waitable[] = []
  const upTo = readLimitOf(request.isolationLevel)
  const topics = request.topics.map((topic) => ({
    topic: topic.topic,
    topicId: topic.topicId,
    partitions: topic.partitions.map((asked): PartitionData => {
      try {
        if (upTo === undefined) {
          throw new KafkaProtocolError(
            'INVALID_REQUEST',
            `isolation level ${request.isolationLevel} is neither 0 nor 1`,
          )
        }
        const partition = ledPartition(snapshot, listener, topic.topic, asked.partition)
        checkLeaderEpoch(asked, partition.leaderEpoch)
        const reader = logReader(partition.log)
        const offset = fetchOffsetOf(asked)
        // Past the byte budget a partition gets nothing this time; the first one with data
        // gets at least one batch, however big (as Kafka does, so a client never stalls).
        const limit = Math.min(asked.partitionMaxBytes, budget)
        const read = bytes > 0 && limit <= 0 ? undefined : readRecords(reader, offset, limit, upTo)
        const nextOffset = read?.nextOffset ?? offset
        waitables.push({ reader, offset: nextOffset, upTo })
        const records = read?.records ?? new Uint8Array(0)
        bytes += records.length
        budget -= records.length
        const highWatermark = read?.highWatermark ?? reader.highWatermark
        return partitionData(asked.partition, NONE, {
          highWatermark: BigInt(highWatermark),
          // Read after the records: it only moves forward, so it is never below what was read.
          lastStableOffset: BigInt(Math.min(highWatermark, reader.lastStableOffset)),
          logStartOffset: BigInt(read?.logStartOffset ?? reader.logStartOffset),
          records,
          abortedTransactions:
            upTo === 'last-stable' && nextOffset > offset
              ? abortedIn(reader, offset, nextOffset)
              : null,
        })
      } catch (error) {
        failed = true
        return partitionData(asked.partition, errorCodeOf(error, 'NOT_LEADER_OR_FOLLOWER'))
      }
    }),
  }))
  return { topics, bytes, failed, waitables }
}

function fetchOffsetOf(asked: FetchPartition): number {
  if (asked.fetchOffset < 0n || asked.fetchOffset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new KafkaProtocolError('OFFSET_OUT_OF_RANGE', `fetch offset ${asked.fetchOffset}`)
  }
  return Number(asked.fetchOffset)
}

/** A client that knows a newer or older leader than this one is told so (Kafka's fencing). */
function checkLeaderEpoch(asked: FetchPartition, leaderEpoch: number): void {
  if (asked.currentLeaderEpoch < 0 || asked.currentLeaderEpoch === leaderEpoch) return
  throw new KafkaProtocolError(
    asked.currentLeaderEpoch < leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH',
    `the client knows leader epoch ${asked.currentLeaderEpoch}, the leader is at ${leaderEpoch}`,
  )
}

/**
 * The aborted transactions with data in [fromOffset, toOffset), by first offset: clients walk
 * the records and this list together, in that order.
 */
function abortedIn(
  reader: InterruptibleLogReader,
  fromOffset: number,
  toOffset: number,
): AbortedTransaction[] {
  return reader
    .abortedTransactions(fromOffset, toOffset)
    .sort((one, other) => one.firstOffset - other.firstOffset)
    .map(({ producerId, firstOffset }) => ({
      producerId: BigInt(producerId),
      firstOffset: BigInt(firstOffset),
    }))
}

/** Whole batches from `offset`, in one buffer: read in place, then copied once. */
function readRecords(
  reader: InterruptibleLogReader,
  offset: number,
  maxBytes: number,
  upTo: ReadLimit,
): { records: Uint8Array; nextOffset: number; highWatermark: number; logStartOffset: number } {
  for (;;) {
    const result = reader.read(offset, Math.max(0, maxBytes), { zeroCopy: true, upTo })
    let size = 0
    for (const batch of result.batches) size += batch.length
    const records = new Uint8Array(size)
    let position = 0
    for (const batch of result.batches) {
      records.set(batch, position)
      position += batch.length
    }
    // The writer may have overwritten the region while it was copied: read again then.
    if (reader.isIntact(result)) {
      return {
        records,
        nextOffset: result.nextOffset,
        highWatermark: result.highWatermark,
        logStartOffset: result.logStartOffset,
      }
    }
  }
}

function partitionData(
  partitionIndex: number,
  errorCode: number,
  read: {
    highWatermark: bigint
    lastStableOffset: bigint
    logStartOffset: bigint
    records: Uint8Array
    abortedTransactions: AbortedTransaction[] | null
  } = {
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    records: new Uint8Array(0),
    abortedTransactions: null,
  },
): PartitionData {
  return {
    partitionIndex,
    errorCode,
    ...read,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    preferredReadReplica: -1,
  }
}

/** Waits until one of the logs has data past its offset, the time is up, or the client left. */
async function waitForAny(
  waitables: readonly Waitable[],
  timeoutMs: number,
  listener: ListenerContext,
  connectionClosed: AbortSignal,
): Promise<void> {
  let settled = false
  const interrupted = () => settled || connectionClosed.aborted
  let wake: () => void = () => {}
  const woken = new Promise<void>((resolve) => {
    wake = resolve
  })
  const { clock } = listener.cluster
  // With no log to wait on, the clock bounds the wait.
  const timer = waitables.length === 0 ? clock.schedule(timeoutMs, wake) : undefined
  connectionClosed.addEventListener('abort', wake, { once: true })
  const waits = waitables.map(({ reader, offset, upTo }) =>
    reader.waitForDataOr(offset, timeoutMs, interrupted, clock, upTo),
  )
  try {
    await Promise.race([woken, ...waits])
  } finally {
    settled = true
    connectionClosed.removeEventListener('abort', wake)
    if (timer !== undefined) clock.cancel(timer)
    for (const { reader } of waitables) reader.interrupt()
    // Each wait holds a timer until it returns: let them finish before answering.
    await Promise.all(waits)
  }
}
