import { decodeMessages, type KafkaMessage } from '../actors/consumer/kafka-messages.js'
import { parseMetadataSnapshot } from '../actors/supervisor/supervisor-protocol.js'
import type { Admin } from '../api/admin.js'
import { type Cluster, clusterClockOf } from '../api/cluster.js'
import { PartitionLogReader } from '../runtime/log/partition-log-reader.js'

/*
 * What tests against an embedded cluster keep writing: waits for a group to settle or catch
 * up, and a read of a whole topic. Each wait is bounded and says what never happened. A wait
 * follows its cluster's clock: on virtual time nothing that needs time to pass (a session
 * timeout, a retry's backoff) would ever happen while it polled on the system's time, so
 * there it moves the cluster's time itself, a step at a time.
 */

export interface WaitOptions {
  /**
   * How long to wait before failing, in the cluster's time (on `clock: 'virtual'`, virtual
   * milliseconds the wait advances through). Default 10 s.
   */
  readonly timeoutMs?: number
  /** How often to look again (on virtual time, the step it advances by). Default 20 ms. */
  readonly intervalMs?: number
}

/** A wait that ran out: `what` never happened within `timeoutMs`. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError'
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The time a wait counts in and lets pass: the system's, or its cluster's virtual time. */
function waitClock(client: Admin): { now(): number; pass(ms: number): Promise<void> } {
  const clock = clusterClockOf(client)
  if (clock?.virtual) return { now: () => clock.now(), pass: (ms) => clock.advance(ms) }
  return { now: () => performance.now(), pass: sleep }
}

/** Looks at `check` until it gives a value (not undefined), or fails saying what it last saw. */
async function waitUntil<T>(
  client: Admin,
  what: string,
  check: () => Promise<{ readonly done: T } | { readonly seen: string }>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const intervalMs = options.intervalMs ?? 20
  const clock = waitClock(client)
  const deadline = clock.now() + timeoutMs
  let seen = 'nothing yet'
  for (;;) {
    try {
      const outcome = await check()
      if ('done' in outcome) return outcome.done
      seen = outcome.seen
    } catch (error) {
      seen = `an error: ${error instanceof Error ? error.message : String(error)}`
    }
    if (clock.now() >= deadline) {
      throw new WaitTimeoutError(`${what}: not within ${timeoutMs} ms (last seen: ${seen})`)
    }
    await clock.pass(Math.min(intervalMs, deadline - clock.now()))
  }
}

/**
 * Resolves once the group is Stable (with `members` members, when given): every member joined
 * and has its assignment.
 */
export function waitForGroupStable(
  admin: Admin,
  groupId: string,
  options: WaitOptions & { readonly members?: number } = {},
): Promise<void> {
  return waitUntil(
    admin,
    `group ${groupId} stable${options.members === undefined ? '' : ` with ${options.members} members`}`,
    async () => {
      const { groups } = await admin.describeGroups([groupId])
      const group = groups[0]
      const stable =
        group?.state === 'Stable' &&
        (options.members === undefined || group.members.length === options.members)
      return stable
        ? { done: undefined }
        : { seen: `${group?.state ?? 'no group'}, ${group?.members.length ?? 0} members` }
    },
    options,
  )
}

/**
 * Resolves once the group has committed, on every partition of `topic`, the offset at its end
 * (the high watermark): its lag is 0.
 */
export function waitForZeroLag(
  admin: Admin,
  groupId: string,
  topic: string,
  options: WaitOptions = {},
): Promise<void> {
  return waitUntil(
    admin,
    `group ${groupId} caught up on ${topic}`,
    async () => {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ])
      const offsets = new Map(
        (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((entry) => [
          entry.partition,
          Number(entry.offset),
        ]),
      )
      const lagging = ends
        .map(({ partition, high }) => ({
          partition,
          lag: Number(high) - Math.max(0, offsets.get(partition) ?? 0),
        }))
        .filter(({ lag }) => lag > 0)
      return lagging.length === 0
        ? { done: undefined }
        : {
            seen: lagging
              .map(({ partition, lag }) => `partition ${partition} lag ${lag}`)
              .join(', '),
          }
    },
    options,
  )
}

/** A record of a topic, as KafkaJS's consumer gives it, with where it is. */
export interface TopicRecord extends KafkaMessage {
  readonly topic: string
  readonly partition: number
}

/**
 * Every committed record of `topic` (each partition from its log start to its high watermark
 * now), partition by partition, in offset order. Reads the leaders' logs; no group involved.
 */
export async function readTopic(
  cluster: Cluster,
  topic: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<TopicRecord[]> {
  const metadata = await cluster.supervisor.ask(
    { type: 'metadata', topics: [topic] },
    { parseReply: parseMetadataSnapshot, timeoutMs: options.timeoutMs, from: '$testing' },
  )
  const found = metadata.topics.find((entry) => entry.topic === topic)
  if (found === undefined) throw new Error(`readTopic: there is no topic '${topic}'`)
  const records: TopicRecord[] = []
  for (const { partition, log: handle } of found.partitions) {
    const log = PartitionLogReader.open(handle)
    const end = log.highWatermark
    let offset: number = log.logStartOffset
    while (offset < end) {
      const read = log.read(offset, 1 << 20)
      const messages = await decodeMessages({
        topic,
        partition,
        fetchOffset: offset,
        nextOffset: read.nextOffset,
        highWatermark: end,
        logStartOffset: log.logStartOffset,
        batches: read.batches,
        generation: 0,
        isIntact: () => true,
      })
      for (const message of messages) {
        if (Number(message.offset) < end) records.push({ ...message, topic, partition })
      }
      if (read.nextOffset <= offset) break
      offset = read.nextOffset
    }
  }
  return records
}
