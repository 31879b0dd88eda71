// One fetched partition handed to the user's handler: eachMessage record by record, eachBatch
// as KafkaJS's Batch, or samsa's raw batches; then the partition's position moves past what
// was handled.

import type { FetchSession } from '../actors/consumer/fetch-session.js'
import { decodeMessages } from '../actors/consumer/kafka-messages.js'
import type { FetchedPartition } from '../actors/consumer/partition-fetcher.js'
import type { Clock } from '../runtime/clock/clock.js'
import { ConsumedBatch } from './consumed-batch.js'
import { parseOffset } from './consumer-config.js'
import type { ConsumerGroup } from './consumer-group.js'
import {
  CONSUMER_EVENTS,
  type ConsumerEventName,
  type ConsumerRunConfig,
  type OffsetsByTopicPartition,
  type RawBatchRunConfig,
} from './consumer-types.js'
import type { PauseState } from './pause-state.js'

/** What a run hands its partitions' records to. */
export type Handler =
  | {
      readonly kind: 'message'
      readonly eachMessage: NonNullable<ConsumerRunConfig['eachMessage']>
    }
  | {
      readonly kind: 'batch'
      readonly eachBatch: NonNullable<ConsumerRunConfig['eachBatch']>
      readonly autoResolve: boolean
    }
  | { readonly kind: 'raw'; readonly eachRawBatch: RawBatchRunConfig['eachRawBatch'] }

/** The run a partition is handled in. */
export interface HandlingRun {
  readonly handler: Handler
  readonly active: boolean
  readonly session: FetchSession
  readonly group: ConsumerGroup
  readonly pauses: PauseState
  readonly clock: Clock
  readonly emit: (type: ConsumerEventName, payload?: unknown) => void
}

/** The group's uncommitted offsets as KafkaJS's `uncommittedOffsets()` gives them. */
export function uncommittedOffsets(group: ConsumerGroup): OffsetsByTopicPartition {
  const byTopic = new Map<string, { partition: string; offset: string }[]>()
  for (const { topic, partition, offset } of group.uncommitted()) {
    let partitions = byTopic.get(topic)
    if (partitions === undefined) {
      partitions = []
      byTopic.set(topic, partitions)
    }
    partitions.push({ partition: String(partition), offset: String(offset) })
  }
  return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
}

/**
 * Hands one fetched partition to the run's handler. What was handled is done; the rest comes
 * again (after a throw, a pause, a seek or a stop).
 */
export async function handleFetchedPartition(
  run: HandlingRun,
  fetched: FetchedPartition,
): Promise<void> {
  const { topic, partition, generation } = fetched
  const { session, group, handler, pauses, clock } = run
  const fetcher = session.fetcher(topic, partition)
  // Seeked since the read, or gone with its topic: what was read is not wanted any more.
  if (fetcher === undefined || fetcher.generation !== generation) return
  if (handler.kind === 'raw') {
    await handler.eachRawBatch({
      topic,
      partition,
      batches: fetched.batches,
      fetchOffset: String(fetched.fetchOffset),
      nextOffset: String(fetched.nextOffset),
      highWatermark: String(fetched.highWatermark),
      isIntact: fetched.isIntact,
    })
    fetcher.advance(generation, fetched.nextOffset)
    group.resolverFor(topic, partition)(fetched.nextOffset)
    return
  }
  const messages = await decodeMessages(fetched)
  // A seek while the batches were inflated makes them stale.
  if (fetcher.generation !== generation) return
  if (messages.length === 0) {
    fetcher.advance(generation, fetched.nextOffset)
    return
  }
  const batch = new ConsumedBatch(topic, partition, String(fetched.highWatermark), messages)
  const lastOffset = Number(batch.lastOffset())
  const startedAt = clock.now()
  const payload = {
    topic,
    partition,
    highWatermark: batch.highWatermark,
    offsetLag: batch.offsetLag(),
    offsetLagLow: batch.offsetLagLow(),
    batchSize: messages.length,
    firstOffset: batch.firstOffset(),
    lastOffset: batch.lastOffset(),
  }
  run.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload)
  let resolved = fetched.fetchOffset - 1
  const resolveNext = group.resolverFor(topic, partition)
  const resolve = (offset: number) => {
    resolved = offset
    resolveNext(offset + 1)
  }
  const pause = () => {
    pauses.pause(topic, [partition])
    return () => {
      pauses.resume(topic, [partition])
      session.interrupt()
    }
  }
  const heartbeat = async () => {}
  try {
    if (handler.kind === 'message') {
      for (const message of messages) {
        if (!run.active || fetcher.generation !== generation) break
        if (pauses.isPaused(topic, partition)) break
        await handler.eachMessage({ topic, partition, message, heartbeat, pause })
        resolve(Number(message.offset))
        const committing = group.commitIfDue(false)
        if (committing !== undefined) await committing
      }
    } else {
      await handler.eachBatch({
        batch,
        resolveOffset: (offset: string) => resolve(parseOffset(offset)),
        heartbeat,
        pause,
        commitOffsetsIfNecessary: async (offsets?: OffsetsByTopicPartition) => {
          if (offsets === undefined) {
            await group.commitIfDue(false)
            return
          }
          await group.commit(
            offsets.topics.flatMap((entry) =>
              entry.partitions.map((committed) => ({
                topic: entry.topic,
                partition: Number(committed.partition),
                offset: parseOffset(committed.offset),
                metadata: null,
              })),
            ),
          )
        },
        uncommittedOffsets: () => uncommittedOffsets(group),
        isRunning: () => run.active,
        isStale: () => !run.active || fetcher.generation !== generation,
      })
      if (handler.autoResolve) resolve(lastOffset)
    }
  } finally {
    fetcher.advance(generation, resolved === lastOffset ? fetched.nextOffset : resolved + 1)
  }
  run.emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...payload, duration: clock.now() - startedAt })
}
