import type {
  AssignmentEvent,
  CommitEvent,
  DeliveryEvent,
  FinalPartition,
  History,
  SendEvent,
  TopicPartition,
} from './history.js'

/** The guarantees a chaos run checks, by the names its JSON output uses. */
export const ANOMALY_KINDS = [
  'lost',
  'duplicate',
  'inconsistentOffset',
  'nonmonotonicSend',
  'nonmonotonicPoll',
  'pollSkip',
  'unseen',
  'doubleOwner',
  'commitRegression',
] as const

export type AnomalyKind = (typeof ANOMALY_KINDS)[number]

/** One broken guarantee, with the records, offsets and time it involves. */
export interface Anomaly {
  readonly kind: AnomalyKind
  /** When it shows: the later of the events involved. */
  readonly time: number
  readonly topic?: string
  readonly partition?: number
  readonly offsets?: readonly number[]
  readonly values?: readonly string[]
  readonly description: string
}

export interface CheckOptions {
  /**
   * Kinds the run's settings allow, as Kafka does: acks 1 with unclean elections may lose
   * acknowledged writes, a producer without idempotence may duplicate. They are still
   * counted and shown; they do not fail the run.
   */
  readonly allowed?: readonly AnomalyKind[]
}

export interface CheckReport {
  /** No anomaly beyond what the options allow. */
  readonly verified: boolean
  /** Sends acknowledged by the cluster. */
  readonly acknowledged: number
  readonly counts: Readonly<Record<AnomalyKind, number>>
  /** In time order. */
  readonly anomalies: readonly Anomaly[]
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`
const keyOf = ({ topic, partition }: TopicPartition) => partitionKey(topic, partition)

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const name = key(item)
    const group = groups.get(name)
    if (group === undefined) groups.set(name, [item])
    else group.push(item)
  }
  return groups
}

/** What the final read says about one partition. */
class FinalLog {
  readonly #byOffset = new Map<number, string>()
  readonly #offsetsOfValue = new Map<string, number[]>()
  readonly logStartOffset: number
  readonly endOffset: number

  constructor(final: FinalPartition | undefined) {
    this.logStartOffset = final?.logStartOffset ?? 0
    let end = this.logStartOffset
    for (const { offset, value } of final?.records ?? []) {
      this.#byOffset.set(offset, value)
      const offsets = this.#offsetsOfValue.get(value)
      if (offsets === undefined) this.#offsetsOfValue.set(value, [offset])
      else offsets.push(offset)
      end = Math.max(end, offset + 1)
    }
    this.endOffset = end
  }

  valueAt(offset: number): string | undefined {
    return this.#byOffset.get(offset)
  }

  holds(value: string): boolean {
    return this.#offsetsOfValue.has(value)
  }

  /** Whether the log still covers `offset` (retention may have removed what came before). */
  covers(offset: number): boolean {
    return offset >= this.logStartOffset && offset < this.endOffset
  }

  duplicates(): [string, number[]][] {
    return [...this.#offsetsOfValue].filter(([, offsets]) => offsets.length > 1)
  }
}

/**
 * Checks a history against Kafka's guarantees, Jepsen's Kafka checker's way: what was
 * acknowledged is in the log and read, once, at one offset; each producer's acknowledged
 * sends and each member's polls move forward within a partition; a member's polls within a
 * generation skip nothing; no partition has two owners in one generation; committed offsets
 * never go back.
 */
export function checkHistory(history: History, options: CheckOptions = {}): CheckReport {
  const sends: SendEvent[] = []
  const deliveries: DeliveryEvent[] = []
  const commits: CommitEvent[] = []
  const assignments: AssignmentEvent[] = []
  for (const event of history.events) {
    if (event.type === 'send') sends.push(event)
    else if (event.type === 'delivery') deliveries.push(event)
    else if (event.type === 'commit') commits.push(event)
    else if (event.type === 'assignment') assignments.push(event)
  }
  const finals = new Map(history.final.map((final) => [keyOf(final), final]))
  const logs = new Map<string, FinalLog>()
  const logOf = (where: TopicPartition): FinalLog => {
    const key = keyOf(where)
    let log = logs.get(key)
    if (log === undefined) {
      log = new FinalLog(finals.get(key))
      logs.set(key, log)
    }
    return log
  }
  const acknowledged = sends.filter((send) => send.outcome === 'acknowledged')
  const anomalies: Anomaly[] = [
    ...inconsistentOffsets(history.final, deliveries, acknowledged),
    ...lostWrites(acknowledged, logOf),
    ...duplicates(history.final, logOf),
    ...nonmonotonicSends(acknowledged),
    ...nonmonotonicPolls(deliveries),
    ...pollSkips(deliveries, logOf),
    ...unseenWrites(acknowledged, deliveries, logOf),
    ...doubleOwners(assignments),
    ...commitRegressions(commits),
  ].sort((a, b) => a.time - b.time)
  const counts = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<
    AnomalyKind,
    number
  >
  for (const anomaly of anomalies) counts[anomaly.kind]++
  const allowed = new Set(options.allowed ?? [])
  return {
    verified: anomalies.every((anomaly) => allowed.has(anomaly.kind)),
    acknowledged: acknowledged.length,
    counts,
    anomalies,
  }
}

/** One offset of a partition seen holding two values (in the log, a delivery, an ack). */
function inconsistentOffsets(
  final: readonly FinalPartition[],
  deliveries: readonly DeliveryEvent[],
  acknowledged: readonly SendEvent[],
): Anomaly[] {
  const seen = new Map<string, { value: string; time: number }>()
  const found = new Map<string, Anomaly>()
  const note = (topic: string, partition: number, offset: number, value: string, time: number) => {
    const key = `${partitionKey(topic, partition)}\u0000${offset}`
    const earlier = seen.get(key)
    if (earlier === undefined) {
      seen.set(key, { value, time })
      return
    }
    if (earlier.value === value || found.has(key)) return
    found.set(key, {
      kind: 'inconsistentOffset',
      time: Math.max(earlier.time, time),
      topic,
      partition,
      offsets: [offset],
      values: [earlier.value, value],
      description: `${topic}-${partition} offset ${offset} held '${earlier.value}' and '${value}'`,
    })
  }
  for (const send of acknowledged) {
    if (send.offset !== undefined) {
      note(send.topic, send.partition, send.offset, send.value, send.completedAt)
    }
  }
  for (const delivery of deliveries) {
    note(delivery.topic, delivery.partition, delivery.offset, delivery.value, delivery.time)
  }
  for (const { topic, partition, records } of final) {
    for (const { offset, value } of records) {
      // Last, and timeless: an offset that conflicts with the log shows when it was seen.
      note(topic, partition, offset, value, Number.NEGATIVE_INFINITY)
    }
  }
  return [...found.values()]
}

/** Acknowledged, and not in the log at the end (unless retention has removed its offset). */
function lostWrites(
  acknowledged: readonly SendEvent[],
  logOf: (where: TopicPartition) => FinalLog,
): Anomaly[] {
  return acknowledged.flatMap((send): Anomaly[] => {
    const log = logOf(send)
    if (log.holds(send.value)) return []
    if (send.offset !== undefined ? send.offset < log.logStartOffset : log.logStartOffset > 0) {
      return []
    }
    return [
      {
        kind: 'lost',
        time: send.completedAt,
        topic: send.topic,
        partition: send.partition,
        offsets: send.offset === undefined ? [] : [send.offset],
        values: [send.value],
        description: `'${send.value}' was acknowledged${send.offset === undefined ? '' : ` at offset ${send.offset}`} of ${send.topic}-${send.partition} and is not in the log`,
      },
    ]
  })
}

/** One value at more than one offset of a partition's log. */
function duplicates(
  final: readonly FinalPartition[],
  logOf: (where: TopicPartition) => FinalLog,
): Anomaly[] {
  return final.flatMap((partition) =>
    logOf(partition)
      .duplicates()
      .map(
        ([value, offsets]): Anomaly => ({
          kind: 'duplicate',
          time: 0,
          topic: partition.topic,
          partition: partition.partition,
          offsets,
          values: [value],
          description: `'${value}' is at offsets ${offsets.join(', ')} of ${partition.topic}-${partition.partition}`,
        }),
      ),
  )
}

/** A producer's acknowledged sends to a partition, in the order it made them, go forward. */
function nonmonotonicSends(acknowledged: readonly SendEvent[]): Anomaly[] {
  const withOffsets = acknowledged.filter((send) => send.offset !== undefined)
  const streams = groupBy(withOffsets, (send) => `${send.producer}\u0000${keyOf(send)}`)
  const anomalies: Anomaly[] = []
  for (const stream of streams.values()) {
    stream.sort((a, b) => a.invokedAt - b.invokedAt)
    for (let index = 1; index < stream.length; index++) {
      const before = stream[index - 1] as SendEvent
      const after = stream[index] as SendEvent
      if ((after.offset as number) > (before.offset as number)) continue
      anomalies.push({
        kind: 'nonmonotonicSend',
        time: Math.max(before.completedAt, after.completedAt),
        topic: after.topic,
        partition: after.partition,
        offsets: [before.offset as number, after.offset as number],
        values: [before.value, after.value],
        description: `${after.producer} sent '${before.value}' then '${after.value}' to ${after.topic}-${after.partition}, acknowledged at offsets ${before.offset} then ${after.offset}`,
      })
    }
  }
  return anomalies
}

/** A member's deliveries of one partition in one generation, in time order. */
function pollStreams(deliveries: readonly DeliveryEvent[]): DeliveryEvent[][] {
  const streams = groupBy(
    deliveries,
    (delivery) => `${delivery.member}\u0000${delivery.generation}\u0000${keyOf(delivery)}`,
  )
  return [...streams.values()].map((stream) => stream.sort((a, b) => a.time - b.time))
}

function nonmonotonicPolls(deliveries: readonly DeliveryEvent[]): Anomaly[] {
  const anomalies: Anomaly[] = []
  for (const stream of pollStreams(deliveries)) {
    for (let index = 1; index < stream.length; index++) {
      const before = stream[index - 1] as DeliveryEvent
      const after = stream[index] as DeliveryEvent
      if (after.offset > before.offset) continue
      anomalies.push({
        kind: 'nonmonotonicPoll',
        time: after.time,
        topic: after.topic,
        partition: after.partition,
        offsets: [before.offset, after.offset],
        values: [before.value, after.value],
        description: `${after.member} (generation ${after.generation}) read ${after.topic}-${after.partition} offset ${before.offset} then ${after.offset}`,
      })
    }
  }
  return anomalies
}

/** Within one generation, a member's next poll of a partition comes right after its last. */
function pollSkips(
  deliveries: readonly DeliveryEvent[],
  logOf: (where: TopicPartition) => FinalLog,
): Anomaly[] {
  const anomalies: Anomaly[] = []
  for (const stream of pollStreams(deliveries)) {
    for (let index = 1; index < stream.length; index++) {
      const before = stream[index - 1] as DeliveryEvent
      const after = stream[index] as DeliveryEvent
      const log = logOf(after)
      const skipped: number[] = []
      for (let offset = before.offset + 1; offset < after.offset; offset++) {
        if (log.covers(offset) && log.valueAt(offset) !== undefined) skipped.push(offset)
      }
      if (skipped.length === 0) continue
      anomalies.push({
        kind: 'pollSkip',
        time: after.time,
        topic: after.topic,
        partition: after.partition,
        offsets: skipped,
        values: skipped.map((offset) => log.valueAt(offset) as string),
        description: `${after.member} (generation ${after.generation}) read ${after.topic}-${after.partition} offset ${before.offset} then ${after.offset}, skipping ${skipped.length}`,
      })
    }
  }
  return anomalies
}

/** Acknowledged and in the log, but no member ever read it. */
function unseenWrites(
  acknowledged: readonly SendEvent[],
  deliveries: readonly DeliveryEvent[],
  logOf: (where: TopicPartition) => FinalLog,
): Anomaly[] {
  const read = new Set(deliveries.map((delivery) => `${keyOf(delivery)}\u0000${delivery.value}`))
  return acknowledged
    .filter(
      (send) => logOf(send).holds(send.value) && !read.has(`${keyOf(send)}\u0000${send.value}`),
    )
    .map(
      (send): Anomaly => ({
        kind: 'unseen',
        time: send.completedAt,
        topic: send.topic,
        partition: send.partition,
        offsets: send.offset === undefined ? [] : [send.offset],
        values: [send.value],
        description: `'${send.value}' is in ${send.topic}-${send.partition} and no member read it`,
      }),
    )
}

/** Two members of one generation given the same partition. */
function doubleOwners(assignments: readonly AssignmentEvent[]): Anomaly[] {
  const anomalies: Anomaly[] = []
  for (const generation of groupBy(assignments, (event) => String(event.generation)).values()) {
    const owners = new Map<string, AssignmentEvent>()
    for (const assignment of generation.sort((a, b) => a.time - b.time)) {
      for (const owned of assignment.partitions) {
        const key = keyOf(owned)
        const other = owners.get(key)
        if (other === undefined || other.member === assignment.member) {
          owners.set(key, assignment)
          continue
        }
        anomalies.push({
          kind: 'doubleOwner',
          time: assignment.time,
          topic: owned.topic,
          partition: owned.partition,
          description: `${other.member} and ${assignment.member} both own ${owned.topic}-${owned.partition} in generation ${assignment.generation}`,
        })
      }
    }
  }
  return anomalies
}

/** A group's committed offset for a partition never moves back. */
function commitRegressions(commits: readonly CommitEvent[]): Anomaly[] {
  const anomalies: Anomaly[] = []
  for (const stream of groupBy(
    commits,
    (commit) => `${commit.group}\u0000${keyOf(commit)}`,
  ).values()) {
    stream.sort((a, b) => a.time - b.time)
    for (let index = 1; index < stream.length; index++) {
      const before = stream[index - 1] as CommitEvent
      const after = stream[index] as CommitEvent
      if (after.offset >= before.offset) continue
      anomalies.push({
        kind: 'commitRegression',
        time: after.time,
        topic: after.topic,
        partition: after.partition,
        offsets: [before.offset, after.offset],
        description: `group ${after.group} committed ${after.topic}-${after.partition} at ${before.offset}, then ${after.offset} (${after.member}, generation ${after.generation})`,
      })
    }
  }
  return anomalies
}
