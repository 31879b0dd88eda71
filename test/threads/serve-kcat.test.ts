import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import {
  clientScript,
  DEBIAN_PYTHON,
  KCAT,
  RunningClient,
  runClient,
} from '../support/client-processes.js'
import {
  type ClientRecord,
  expectIdempotentGzip,
  storedBatches,
} from '../support/client-scenario-report.js'
import { kcatAssignment, kcatRecords } from '../support/kcat-output.js'
import { within } from '../support/within.js'

/*
 * kcat from Debian (librdkafka 2.0.2), unchanged, with only its bootstrap pointed at
 * `cluster.listen()`. kcat has no admin requests: topics are made in-process.
 */

const CLIENT_TIMEOUT_MS = 30_000
const KEYS = 6

let cluster: Cluster
let bootstrap: string
const running: RunningClient[] = []

beforeAll(async () => {
  cluster = await Cluster.start({ brokers: 3 })
  bootstrap = await cluster.listen()
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((client) => client.stop()))
})

afterAll(async () => {
  await cluster.stop()
})

async function createTopic(topic: string): Promise<void> {
  const admin = cluster.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 2 }] })
  } finally {
    await admin.disconnect()
  }
}

/** Record `index` as kcat gets it on stdin (`key:value`); gzip needs a value worth shrinking. */
const recordKey = (index: number) => `key-${index % KEYS}`
const recordValue = (index: number) => `value-${index}-${'padding'.repeat(20)}`
const indexOf = (record: ClientRecord) => Number(record.value.split('-')[1])

/** kcat -P: keyed records with the given headers, gzipped, from an idempotent producer. */
async function produce(topic: string, indexes: readonly number[], headers: string[]) {
  const input = indexes.map((index) => `${recordKey(index)}:${recordValue(index)}\n`).join('')
  await runClient(
    KCAT,
    [
      ...['-b', bootstrap, '-P', '-t', topic, '-K:', '-z', 'gzip'],
      ...['-X', 'enable.idempotence=true'],
      ...headers.flatMap((header) => ['-H', header]),
    ],
    { timeoutMs: CLIENT_TIMEOUT_MS, input },
  )
}

async function consume(topic: string, offset: string): Promise<ClientRecord[]> {
  const { stdout } = await runClient(
    KCAT,
    ['-b', bootstrap, '-C', '-t', topic, '-o', offset, '-e', '-J', '-q'],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  )
  return kcatRecords(stdout)
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)
const byPosition = (a: ClientRecord, b: ClientRecord) =>
  a.partition - b.partition || a.offset - b.offset

it('lists the brokers at their listeners (-L)', async () => {
  const { stdout } = await runClient(KCAT, ['-b', bootstrap, '-L', '-J'], {
    timeoutMs: CLIENT_TIMEOUT_MS,
  })
  const metadata = JSON.parse(stdout) as { brokers: { id: number; name: string }[] }
  const [host] = bootstrap.split(':')
  expect(metadata.brokers.map((broker) => broker.id).sort()).toEqual([0, 1, 2])
  expect(metadata.brokers.find((broker) => broker.id === 0)?.name).toBe(bootstrap)
  expect(metadata.brokers.every((broker) => broker.name.startsWith(`${host}:`))).toBe(true)
})

it('produces keyed records with headers, idempotent and gzipped (-P), reads them back in order (-C), by timestamp too, and Python reads them', async () => {
  const topic = 'kcat'
  await createTopic(topic)
  await produce(topic, range(0, 15), ['client=kcat', 'half=first'])
  // kcat stamps records with the time they are sent: a moment between the halves divides them.
  await sleep(20)
  const between = Date.now()
  await sleep(20)
  await produce(topic, range(15, 30), ['client=kcat', 'half=second'])

  const read = await consume(topic, 'beginning')
  expect(read.map(indexOf).sort((a, b) => a - b)).toEqual(range(0, 30))
  for (const record of read) {
    const index = indexOf(record)
    expect(record.key).toBe(recordKey(index))
    expect(record.value).toBe(recordValue(index))
    expect(record.headers).toEqual({ client: 'kcat', half: index < 15 ? 'first' : 'second' })
  }
  // Per partition, offsets run from 0 in the order the records were sent.
  for (const partition of new Set(read.map((record) => record.partition))) {
    const mine = read.filter((record) => record.partition === partition).sort(byPosition)
    expect(mine.map((record) => record.offset)).toEqual(range(0, mine.length))
    expect(mine.map(indexOf)).toEqual(mine.map(indexOf).sort((a, b) => a - b))
  }
  expectIdempotentGzip(await storedBatches(cluster, topic))

  const fromTime = await consume(topic, `s@${between}`)
  expect(fromTime.map(indexOf).sort((a, b) => a - b)).toEqual(range(15, 30))

  const { stdout } = await runClient(
    DEBIAN_PYTHON,
    [clientScript('confluent_kafka_scenario.py'), 'read', bootstrap, topic, '30'],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  )
  expect((JSON.parse(stdout) as ClientRecord[]).sort(byPosition)).toEqual(read.sort(byPosition))
})

it('splits partitions between two -G members, which commit; a member started later resumes from the commits', async () => {
  const topic = 'kcat-group'
  await createTopic(topic)
  // -u: unbuffered, so each member's records are seen as they come. (No -o: with -G it would
  // override the group's commits.)
  const member = () =>
    new RunningClient(KCAT, [
      ...['-b', bootstrap, '-G', `${topic}-members`, topic, '-J', '-u'],
      ...['-X', 'auto.offset.reset=earliest', '-X', 'heartbeat.interval.ms=500'],
    ])
  const members = [member(), member()]
  running.push(...members)
  const settled = await within(
    CLIENT_TIMEOUT_MS,
    'a group of two kcat members',
    (async () => {
      for (;;) {
        const [first = [], second = []] = members.map(
          (client) => kcatAssignment(client.stderr) ?? [],
        )
        if (first.length > 0 && second.length > 0 && first.length + second.length === 3) {
          return [...first, ...second]
        }
        await sleep(50)
      }
    })(),
  )
  expect(settled.sort()).toEqual([0, 1, 2])

  await produce(topic, range(0, 30), ['client=kcat'])
  const total = () => members.reduce((sum, client) => sum + kcatRecords(client.stdout).length, 0)
  await within(
    CLIENT_TIMEOUT_MS,
    'both members reading 30 records',
    (async () => {
      while (total() < 30) await sleep(50)
    })(),
  )
  const shares = members.map((client) => kcatRecords(client.stdout))
  expect(shares.every((share) => share.length > 0)).toBe(true)
  expect(
    shares
      .flat()
      .map(indexOf)
      .sort((a, b) => a - b),
  ).toEqual(range(0, 30))
  // kcat commits what it read as it closes, on SIGTERM.
  await Promise.all(members.map((client) => client.stop()))

  await produce(topic, range(30, 36), ['client=kcat'])
  const { stdout } = await runClient(
    KCAT,
    ['-b', bootstrap, '-G', `${topic}-members`, topic, '-e', '-J', '-q'],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  )
  expect(
    kcatRecords(stdout)
      .map(indexOf)
      .sort((a, b) => a - b),
  ).toEqual(range(30, 36))
})
