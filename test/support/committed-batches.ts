import type { MetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import type { Cluster } from '../../src/api/cluster.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import type { DecodedRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../src/runtime/log/record-reader.js'

/**
 * Every committed batch of a partition, decoded, read from its leader's log as consumers read
 * it (up to the high watermark), with the producer fields a consumer does not show.
 */
export async function committedBatches(
  cluster: Cluster,
  topic: string,
  partition = 0,
): Promise<DecodedRecordBatch[]> {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [topic],
  })
  const entry = metadata.topics[0]?.partitions.find((each) => each.partition === partition)
  if (entry === undefined) throw new Error(`no partition ${topic}-${partition}`)
  const log = PartitionLogReader.open(entry.log)
  const batches: DecodedRecordBatch[] = []
  for (let offset = log.logStartOffset; offset < log.highWatermark; ) {
    const read = log.read(offset, 1 << 20)
    for (const batch of read.batches) batches.push(decodeRecordBatch(batch))
    offset = read.nextOffset
  }
  return batches
}

/** The values of a partition's committed records, as strings, in offset order. */
export async function committedValues(
  cluster: Cluster,
  topic: string,
  partition = 0,
): Promise<string[]> {
  const batches = await committedBatches(cluster, topic, partition)
  return batches.flatMap((batch) =>
    batch.records.map((record) => Buffer.from(record.value ?? []).toString()),
  )
}
