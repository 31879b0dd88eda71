import { Kafka, logLevel } from 'kafkajs'

/*
 * KafkaJS 2.2.4 as a load generator against any Kafka bootstrap: sends of `batch` records
 * awaited one after another (acks all), then a consumer group reading everything back with
 * eachBatch. Consuming is timed from the first batch to the last, so the group's join (a
 * KafkaJS pause of seconds, alike for every cluster) is left out.
 */

const CONSUME_TIMEOUT_MS = 300_000

export interface KafkaJSRun {
  readonly seconds: number
  readonly recordsPerSec: number
  readonly records: number
}

function client(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING })
}

/** Makes the topic (librdkafka's mock does so when Metadata names it) and says its partitions. */
export async function prepareTopic(
  bootstrap: string,
  topic: string,
  partitions: number | undefined,
): Promise<number> {
  const admin = client(bootstrap, 'samsa-bench-wire-admin').admin()
  await admin.connect()
  try {
    if (partitions !== undefined) {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }],
        waitForLeaders: true,
      })
    }
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    return metadata.topics[0]?.partitions.length ?? 0
  } finally {
    await admin.disconnect()
  }
}

export async function kafkajsProduce(
  bootstrap: string,
  topic: string,
  records: number,
  recordBytes: number,
  batch: number,
): Promise<KafkaJSRun> {
  const producer = client(bootstrap, 'samsa-bench-wire-producer').producer()
  await producer.connect()
  const value = Buffer.alloc(recordBytes, 'x')
  try {
    const started = performance.now()
    for (let sent = 0; sent < records; sent += batch) {
      const count = Math.min(batch, records - sent)
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: count }, () => ({ value })),
      })
    }
    const seconds = (performance.now() - started) / 1000
    return { seconds, recordsPerSec: Math.round(records / seconds), records }
  } finally {
    await producer.disconnect()
  }
}

export async function kafkajsConsume(
  bootstrap: string,
  topic: string,
  records: number,
): Promise<KafkaJSRun> {
  const consumer = client(bootstrap, 'samsa-bench-wire-consumer').consumer({
    groupId: `${topic}-readers`,
    maxBytes: 10 << 20,
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    let read = 0
    let first: number | undefined
    let last = 0
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`KafkaJS read ${read} of ${records} records`)),
        CONSUME_TIMEOUT_MS,
      )
      void consumer.run({
        eachBatch: async ({ batch }) => {
          first ??= performance.now()
          read += batch.messages.length
          last = performance.now()
          if (read >= records) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    await done
    const seconds = (last - (first ?? last)) / 1000
    return { seconds, recordsPerSec: seconds > 0 ? Math.round(read / seconds) : 0, records: read }
  } finally {
    await consumer.disconnect()
  }
}
