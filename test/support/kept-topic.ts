import { expect } from 'vitest'
import type { MetadataSnapshot } from '../../src/actors/supervisor/supervisor-protocol.js'
import type { Cluster } from '../../src/api/cluster.js'
import { PartitionLogReader } from '../../src/runtime/log/partition-log-reader.js'
import { decodeRecordBatch } from '../../src/runtime/log/record-reader.js'
import { within } from './within.js'

/*
 * A topic that exists before bad input arrives, and the check that it came through whole:
 * every value ever sent to it is still there, it takes a new send, and a consumer reads it all.
 */

/** Every value in the topic's partitions, read straight from the leaders' logs. */
export async function valuesIn(cluster: Cluster, topic: string): Promise<string[]> {
  const metadata = await cluster.supervisor.ask<MetadataSnapshot>({
    type: 'metadata',
    topics: [topic],
  })
  const values: string[] = []
  for (const partition of metadata.topics[0]?.partitions ?? []) {
    const log = PartitionLogReader.open(partition.log)
    let offset = log.logStartOffset as number
    while (offset < log.highWatermark) {
      const read = log.read(offset, 1 << 20)
      for (const batch of read.batches) {
        for (const record of decodeRecordBatch(batch).records) {
          values.push(Buffer.from(record.value ?? new Uint8Array()).toString())
        }
      }
      offset = read.nextOffset
    }
  }
  return values.sort()
}

/** Sends `values` to `topic` with a producer of its own, acks all. */
export async function sendValues(
  cluster: Cluster,
  topic: string,
  values: readonly string[],
): Promise<void> {
  const producer = cluster.producer()
  await producer.connect()
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) })
  } finally {
    await producer.disconnect()
  }
}

/** What a consumer of a new group reads of the topic from the beginning, once it has `count`. */
export async function consumeValues(
  cluster: Cluster,
  topic: string,
  groupId: string,
  count: number,
): Promise<string[]> {
  const consumer = cluster.consumer({ groupId })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const values: string[] = []
    await within(
      30_000,
      `a consumer reads ${count} values of ${topic}`,
      new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value?.toString() ?? '')
              if (values.length >= count) resolve()
            },
          })
          .catch(reject)
      }),
    )
    return values.sort()
  } finally {
    await consumer.disconnect()
  }
}

/**
 * The topic holds exactly `sent` (nothing lost, nothing added), takes one more send, and a
 * new consumer reads all of it.
 */
export async function expectTopicWhole(
  cluster: Cluster,
  topic: string,
  sent: string[],
  tag: string,
): Promise<void> {
  expect(await valuesIn(cluster, topic)).toEqual([...sent].sort())
  const more = [`${tag}-after`]
  await sendValues(cluster, topic, more)
  sent.push(...more)
  expect(await valuesIn(cluster, topic)).toEqual([...sent].sort())
  expect(await consumeValues(cluster, topic, `check-${tag}`, sent.length)).toEqual([...sent].sort())
}
