import { expect } from 'vitest'
import { parseMetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import type { Cluster } from '../../src/index.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import {
  type RecordBatchHeader,
  readRecordBatchHeader,
} from '../../src/runtime/log/record-batch-codec.js'

/** One record as a client scenario saw it, produced or consumed. */
export interface ClientRecord {
  readonly partition: number
  readonly offset: number
  readonly key: string
  readonly value: string
  readonly timestamp: number
  readonly headers: Readonly<Record<string, string>>
}

/**
 * What `test/clients/*-scenario` scripts print: the same steps taken by each real client
 * against samsa's listener, each checked by `expectScenario`.
 */
export interface ScenarioReport {
  readonly brokers: readonly { id: number; host: string; port: number }[]
  /** Keyed records with headers, as the producer's acknowledgements placed them. */
  readonly produced: readonly ClientRecord[]
  /** What each of a group's two members read (and committed). */
  readonly members: readonly (readonly ClientRecord[])[]
  /** Each member's partitions once the group settled. */
  readonly assignments: readonly (readonly number[])[]
  /** Records produced after both members left. */
  readonly later: readonly ClientRecord[]
  /** What a member that joined the group afterwards read: from the commit on. */
  readonly resumed: readonly ClientRecord[]
  /** Each partition's offset for a timestamp (ListOffsets by time). */
  readonly offsetsForTime: { readonly timestamp: number; readonly offsets: readonly number[] }
  /** The topics left after the scenario's scratch topic was created and deleted. */
  readonly topicsAfterDelete: readonly string[]
}

export const SCENARIO_PARTITIONS = 3

const byPosition = (a: ClientRecord, b: ClientRecord) =>
  a.partition - b.partition || a.offset - b.offset

function sortedByPosition(records: readonly ClientRecord[]): ClientRecord[] {
  return [...records].sort(byPosition)
}

/** Offsets of each partition's records, in the order given. */
function offsetsPerPartition(records: readonly ClientRecord[]): Map<number, number[]> {
  const offsets = new Map<number, number[]>()
  for (const record of records) {
    const list = offsets.get(record.partition) ?? []
    list.push(record.offset)
    offsets.set(record.partition, list)
  }
  return offsets
}

function expectAscending(records: readonly ClientRecord[]): void {
  for (const offsets of offsetsPerPartition(records).values()) {
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
  }
}

/** Every step of a client scenario came out as Kafka would have it. */
export function expectScenario(report: ScenarioReport, bootstrap: string, topic: string): void {
  const [host, port] = bootstrap.split(':')
  expect(report.brokers.map((broker) => broker.id).sort()).toEqual([0, 1, 2])
  expect(report.brokers.every((broker) => broker.host === host)).toBe(true)
  expect(report.brokers.find((broker) => broker.id === 0)?.port).toBe(Number(port))
  expect(new Set(report.brokers.map((broker) => broker.port)).size).toBe(3)

  // Produced in order: a partition's offsets follow the order the records were sent in.
  expectAscending(report.produced)
  expect(new Set(report.produced.map((record) => record.partition)).size).toBeGreaterThan(1)

  // Read back intact, each member in per-partition order, between them everything once.
  for (const member of report.members) expectAscending(member)
  const read = new Map(
    report.members.flat().map((record) => [`${record.partition}:${record.offset}`, record]),
  )
  expect(sortedByPosition([...read.values()])).toEqual(sortedByPosition(report.produced))

  // The group split the partitions between its two members.
  const [first = [], second = []] = report.assignments
  expect(first.length).toBeGreaterThan(0)
  expect(second.length).toBeGreaterThan(0)
  expect([...first, ...second].sort()).toEqual([0, 1, 2])

  // A member that came back read from the group's commits: only what came after.
  expect(sortedByPosition(report.resumed)).toEqual(sortedByPosition(report.later))

  const everything = [...report.produced, ...report.later]
  const expectedOffsets = Array.from({ length: SCENARIO_PARTITIONS }, (_, partition) => {
    const atOrAfter = everything.filter(
      (record) =>
        record.partition === partition && record.timestamp >= report.offsetsForTime.timestamp,
    )
    return atOrAfter.length === 0 ? -1 : Math.min(...atOrAfter.map((record) => record.offset))
  })
  expect(report.offsetsForTime.offsets).toEqual(expectedOffsets)

  expect(report.topicsAfterDelete).toContain(topic)
  expect(report.topicsAfterDelete).not.toContain(`${topic}-scratch`)
}

/** The headers of every batch in a topic's logs, as the brokers keep them. */
export async function storedBatches(cluster: Cluster, topic: string): Promise<RecordBatchHeader[]> {
  const snapshot = await cluster.supervisor.ask(
    { type: 'metadata', topics: [topic] },
    { parseReply: parseMetadataSnapshot },
  )
  return (snapshot.topics[0]?.partitions ?? []).flatMap((partition) =>
    PartitionLogReader.open(partition.log)
      .read(0, 1 << 24)
      .batches.map((batch) => readRecordBatchHeader(batch)),
  )
}

const COMPRESSION_BITS = 0x07
const GZIP = 1

/** Every batch came from an idempotent producer (a producer id and sequence) and is gzipped. */
export function expectIdempotentGzip(batches: readonly RecordBatchHeader[]): void {
  expect(batches.length).toBeGreaterThan(0)
  for (const batch of batches) {
    expect(batch.producerId).toBeGreaterThanOrEqual(0)
    expect(batch.baseSequence).toBeGreaterThanOrEqual(0)
    expect(batch.attributes & COMPRESSION_BITS).toBe(GZIP)
  }
}
