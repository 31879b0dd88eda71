// How a coordinator keeps its state in an internal topic (the offsets topic, the transaction
// state topic): records appended through the broker it runs beside, acks all, and read back in
// order by the coordinator that takes over a partition.

import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import { PartitionLogReader } from '../../runtime/log/partition-log-reader.js'
import { encodeRecordBatch } from '../../runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../runtime/log/record-reader.js'
import {
  type BrokerMessage,
  type PartitionBatch,
  type ProduceReply,
  parseProduceReply,
  partitionBatch,
  producedOrThrow,
  produceRequest,
} from '../broker/broker-protocol.js'
import { offsetsPartitionFor } from './offsets-topic.js'

const RECORDS_PER_BATCH = 1_000
const WRITE_TIMEOUT_MS = 10_000

export interface KeyedRecord {
  readonly key: Uint8Array
  readonly value: Uint8Array | null
}

/**
 * Appends records to a partition this broker leads, acks all; resolves once they are
 * replicated, with the bytes written (what a coordinator counts towards its next rewrite).
 */
export async function appendRecords(
  broker: ActorRef<BrokerMessage>,
  topic: string,
  partition: number,
  records: readonly KeyedRecord[],
  now: number,
): Promise<void> {
  const batches: PartitionBatch[] = []
  for (let start = 0; start < records.length; start += RECORDS_PER_BATCH) {
    const batch = encodeRecordBatch({
      records: records.slice(start, start + RECORDS_PER_BATCH),
      timestamp: now,
    })
    batches.push(partitionBatch(topic, partition, batch))
  }
  const reply = await broker.ask<ProduceReply>(produceRequest(-1, batches), {
    timeoutMs: WRITE_TIMEOUT_MS,
    parseReply: parseProduceReply,
  })
  reply.partitions.forEach(producedOrThrow)
}

/** The bytes `appendRecords` writes for these records, near enough to pace rewrites. */
export function recordBytes(records: readonly KeyedRecord[]): number {
  let bytes = 0
  for (const { key, value } of records) bytes += key.length + (value?.length ?? 0) + 16
  return bytes
}

/** Visits every keyed record of a log, oldest first; returns the bytes read. */
export function readKeyedRecords(
  handle: Parameters<typeof PartitionLogReader.open>[0],
  visit: (key: Uint8Array, value: Uint8Array | null) => void,
): number {
  const log = PartitionLogReader.open(handle)
  let bytes = 0
  let offset: number = log.logStartOffset
  while (offset < log.logEndOffset) {
    const read = log.read(offset, 1 << 20, { upTo: 'log-end' })
    if (read.batches.length === 0) break
    for (const batch of read.batches) {
      bytes += batch.length
      for (const { key, value } of decodeRecordBatch(batch, { verifyCrc: false }).records) {
        if (key !== null) visit(key, value)
      }
    }
    offset = read.nextOffset
  }
  return bytes
}

/**
 * The loaded partition of an internal topic that keeps `key` (a group id or a transactional
 * id: Kafka places both alike); NOT_COORDINATOR when this broker does not lead it.
 */
export function coordinatedPartition<Loaded>(
  loaded: ReadonlyMap<number, Loaded>,
  where: { readonly brokerId: number; readonly topic: string; readonly partitions: number },
  key: string,
  what: string,
): Loaded {
  const partition = offsetsPartitionFor(key, where.partitions)
  const found = loaded.get(partition)
  if (found === undefined) {
    throw new KafkaProtocolError(
      'NOT_COORDINATOR',
      `broker ${where.brokerId} does not lead ${where.topic}-${partition}, where ${what} '${key}' is kept`,
    )
  }
  return found
}
