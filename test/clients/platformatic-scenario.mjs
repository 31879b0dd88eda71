// @platformatic/kafka, unchanged, with only its bootstrap pointed at samsa's listener. Run by
// Node 22 (the client needs it) as a child of the test, which checks the JSON report printed.
// Usage: node platformatic-scenario.mjs BOOTSTRAP TOPIC GROUP (TOPIC-scratch is made and deleted)
import {
  Admin,
  Consumer,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'

const [bootstrap, topic, group] = process.argv.slice(2)
const RECORDS = 30
const LATER_RECORDS = 6
const KEYS = 6
/** Record i is stamped BASE_TIMESTAMP + i seconds, so a time names a record. */
const BASE_TIMESTAMP = Date.now() - 3_600_000
const scratch = `${topic}-scratch`
const base = { clientId: 'platformatic-scenario', bootstrapBrokers: [bootstrap] }

function record(index) {
  return {
    topic,
    key: `key-${index % KEYS}`,
    value: `value-${index}`,
    headers: { index: String(index), client: 'platformatic' },
    timestamp: BigInt(BASE_TIMESTAMP + index * 1000),
  }
}

function seen(message) {
  return {
    partition: message.partition,
    offset: Number(message.offset),
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: Object.fromEntries(message.headers),
  }
}

async function produce(producer, indexes) {
  const produced = []
  // One at a time, so each record's offset is known from its own answer.
  for (const index of indexes) {
    const message = record(index)
    const result = await producer.send({ messages: [message] })
    const at = result.offsets?.[0]
    produced.push({
      partition: at.partition,
      offset: Number(at.offset),
      key: message.key,
      value: message.value,
      timestamp: Number(message.timestamp),
      headers: message.headers,
    })
  }
  return produced
}

/** Reads from `stream` until `enough()` says so, committing each record as it comes. */
async function consumeUntil(stream, into, enough) {
  if (enough()) return
  for await (const message of stream) {
    into.push(seen(message))
    await message.commit()
    if (enough()) return
  }
}

const admin = new Admin(base)
const report = {}
try {
  await admin.createTopics({ topics: [topic, scratch], partitions: 3, replicas: 2 })
  const metadata = await admin.metadata({ topics: [topic] })
  report.brokers = [...metadata.brokers].map(([id, broker]) => ({
    id,
    host: broker.host,
    port: broker.port,
  }))
  const producer = new Producer({
    ...base,
    idempotent: true,
    compression: 'gzip',
    serializers: stringSerializers,
  })
  report.produced = await produce(
    producer,
    Array.from({ length: RECORDS }, (_, index) => index),
  )

  const consumer = (member) =>
    new Consumer({
      ...base,
      clientId: `platformatic-${member}`,
      groupId: group,
      deserializers: stringDeserializers,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTime: 200,
    })
  const members = [consumer('a'), consumer('b')]
  const streams = await Promise.all(
    members.map((member) =>
      member.consume({
        topics: [topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
      }),
    ),
  )
  report.members = [[], []]
  const total = () => report.members[0].length + report.members[1].length
  const reading = streams.map((stream, member) =>
    consumeUntil(stream, report.members[member], () => total() >= RECORDS),
  )
  await Promise.race(reading)
  report.assignments = members.map((member) =>
    [...(member.assignments ?? [])].flatMap((assignment) => assignment.partitions),
  )
  await Promise.all(streams.map((stream) => stream.close()))
  await Promise.allSettled(reading)
  await Promise.all(members.map((member) => member.close()))

  report.later = await produce(
    producer,
    Array.from({ length: LATER_RECORDS }, (_, index) => RECORDS + index),
  )
  const restarted = consumer('a-again')
  const resumedStream = await restarted.consume({
    topics: [topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  })
  report.resumed = []
  await consumeUntil(resumedStream, report.resumed, () => report.resumed.length >= LATER_RECORDS)
  await resumedStream.close()

  const target = BigInt(BASE_TIMESTAMP + (RECORDS / 2) * 1000)
  const byTime = await restarted.listOffsets({ topics: [topic], timestamp: target })
  report.offsetsForTime = {
    timestamp: Number(target),
    offsets: (byTime.get(topic) ?? []).map(Number),
  }
  await restarted.close()
  await producer.close()

  await admin.deleteTopics({ topics: [scratch] })
  report.topicsAfterDelete = await admin.listTopics()
} finally {
  await admin.close()
}
process.stdout.write(`${JSON.stringify(report)}\n`)
