import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import { ApiKeys, ZERO_UUID } from '../../src/runtime/kafka-protocol/index.js'
import { encodeRecordBatch } from '../../src/runtime/log/record-batch-codec.js'
import { decodeRecordBatch } from '../../src/runtime/log/record-reader.js'
import { fetchRequest, WireTestClient } from '../support/wire-client.js'
import { within } from '../support/within.js'

const clusters: Cluster[] = []
const clients: WireTestClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function serving(): Promise<{ cluster: Cluster; bootstrap: string; lines: string[] }> {
  const cluster = await Cluster.start({ brokers: 3 })
  clusters.push(cluster)
  const lines: string[] = []
  const bootstrap = await cluster.listen({ log: (line) => lines.push(line) })
  return { cluster, bootstrap, lines }
}

async function client(address: string): Promise<WireTestClient> {
  const connected = await WireTestClient.connect(address)
  clients.push(connected)
  return connected
}

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (value: Uint8Array | null) => (value === null ? null : new TextDecoder().decode(value))

describe('samsa serve, over a raw socket', () => {
  it('answers ApiVersions with exactly the versions it serves', async () => {
    const { bootstrap } = await serving()
    const connection = await client(bootstrap)
    const answer = await connection.request(ApiKeys.ApiVersions, 3, {
      clientSoftwareName: 'test',
      clientSoftwareVersion: '1',
    })
    expect(answer.errorCode).toBe(0)
    const byKey = new Map(answer.apiKeys.map((entry) => [entry.apiKey, entry]))
    // From v0, as librdkafka ≤ 2.11 requires of a broker before it compresses a batch.
    expect(byKey.get(ApiKeys.Produce)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 9 })
    expect(byKey.get(ApiKeys.Fetch)).toEqual({ apiKey: 1, minVersion: 4, maxVersion: 12 })
    expect(byKey.get(ApiKeys.Metadata)).toEqual({ apiKey: 3, minVersion: 0, maxVersion: 12 })
    // The clients' versions of the transaction APIs: later ones are brokers' own, or bump
    // the epoch on every transaction, which the coordinator does not.
    expect(byKey.get(ApiKeys.AddPartitionsToTxn)).toEqual({
      apiKey: 24,
      minVersion: 0,
      maxVersion: 3,
    })
    expect(byKey.get(ApiKeys.AddOffsetsToTxn)).toEqual({ apiKey: 25, minVersion: 0, maxVersion: 4 })
    expect(byKey.get(ApiKeys.EndTxn)).toEqual({ apiKey: 26, minVersion: 0, maxVersion: 4 })
    expect(byKey.get(ApiKeys.TxnOffsetCommit)).toEqual({ apiKey: 28, minVersion: 0, maxVersion: 4 })
    expect(byKey.size).toBe(25)
  })

  it('lists the brokers at their listeners, and a topic with its partitions', async () => {
    const { cluster, bootstrap } = await serving()
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [{ topic: 'wire', numPartitions: 3, replicationFactor: 2 }],
    })
    const connection = await client(bootstrap)
    const answer = await connection.request(ApiKeys.Metadata, 12, {
      topics: [
        { topicId: ZERO_UUID, name: 'wire' },
        { topicId: ZERO_UUID, name: 'absent' },
      ],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    })
    const [host, port] = bootstrap.split(':')
    expect(answer.brokers.map((broker) => broker.nodeId)).toEqual([0, 1, 2])
    expect(answer.brokers[0]).toMatchObject({ host, port: Number(port) })
    expect(new Set(answer.brokers.map((broker) => broker.port)).size).toBe(3)
    expect(answer.clusterId).toBe('samsa')
    const [wire, absent] = answer.topics
    expect(wire?.errorCode).toBe(0)
    expect(wire?.partitions.map((partition) => partition.partitionIndex)).toEqual([0, 1, 2])
    for (const partition of wire?.partitions ?? []) {
      expect(partition.replicaNodes).toHaveLength(2)
      expect(partition.isrNodes).toContain(partition.leaderId)
    }
    expect(absent?.errorCode).toBe(3)
  })

  it('takes a produced batch and fetches it back from the leader', async () => {
    const { cluster, bootstrap } = await serving()
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'round-trip', numPartitions: 1 }] })
    const [metadata] = (await admin.fetchTopicMetadata({ topics: ['round-trip'] })).topics
    const leader = metadata?.partitions[0]?.leader as number
    const seed = await client(bootstrap)
    const described = await seed.request(ApiKeys.Metadata, 1, {
      topics: [{ topicId: ZERO_UUID, name: 'round-trip' }],
      // Version 1 has no such flag: its default (true) is what it means.
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    })
    const leaderBroker = described.brokers.find((broker) => broker.nodeId === leader)
    const connection = await client(`${leaderBroker?.host}:${leaderBroker?.port}`)
    const batch = encodeRecordBatch({
      timestamp: Date.now(),
      records: [
        { key: bytes('k1'), value: bytes('one'), headers: [{ key: 'h', value: bytes('v') }] },
        { key: bytes('k2'), value: bytes('two') },
      ],
    })
    const produced = await connection.request(ApiKeys.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: 'round-trip', partitionData: [{ index: 0, records: batch }] }],
    })
    expect(produced.responses[0]?.partitionResponses[0]).toMatchObject({
      index: 0,
      errorCode: 0,
      baseOffset: 0n,
    })
    const fetched = await connection.request(ApiKeys.Fetch, 12, fetchRequest('round-trip', 0n))
    expect(fetched.sessionId).toBe(0)
    const partition = fetched.responses[0]?.partitions[0]
    expect(partition).toMatchObject({ errorCode: 0, highWatermark: 2n, logStartOffset: 0n })
    const records = decodeRecordBatch(partition?.records as Uint8Array).records
    expect(records.map((record) => [record.offset, text(record.key), text(record.value)])).toEqual([
      [0, 'k1', 'one'],
      [1, 'k2', 'two'],
    ])
    expect(records[0]?.headers.map((header) => [header.key, text(header.value)])).toEqual([
      ['h', 'v'],
    ])
  })

  it('refuses a Produce v2 message set of the old format per partition, and stays connected', async () => {
    const { cluster, bootstrap } = await serving()
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'old-format', numPartitions: 1 }] })
    const connection = await client(bootstrap)
    // One magic-1 message: offset, size, crc, magic, attributes, timestamp, null key, value.
    const value = bytes('v'.repeat(40))
    const message = new DataView(new ArrayBuffer(12 + 22 + value.length))
    message.setInt32(8, 22 + value.length)
    message.setInt8(16, 1)
    message.setBigInt64(18, BigInt(Date.now()))
    message.setInt32(26, -1)
    message.setInt32(30, value.length)
    const records = new Uint8Array(message.buffer)
    records.set(value, 34)
    const answer = await connection.request(ApiKeys.Produce, 2, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 10_000,
      topicData: [{ name: 'old-format', partitionData: [{ index: 0, records }] }],
    })
    const UNSUPPORTED_FOR_MESSAGE_FORMAT = 43
    expect(answer.responses[0]?.partitionResponses[0]?.errorCode).toBe(
      UNSUPPORTED_FOR_MESSAGE_FORMAT,
    )
    const metadata = await connection.request(ApiKeys.Metadata, 1, {
      topics: [{ topicId: ZERO_UUID, name: 'old-format' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    })
    expect(metadata.topics[0]?.errorCode).toBe(0)
  })

  it('answers in request order, even when a later request is done first', async () => {
    const { cluster, bootstrap } = await serving()
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'quiet', numPartitions: 1 }] })
    const [metadata] = (await admin.fetchTopicMetadata({ topics: ['quiet'] })).topics
    const leader = metadata?.partitions[0]?.leader as number
    const [host, port] = bootstrap.split(':')
    const connection = await client(`${host}:${Number(port) + leader}`)
    // A long poll on an empty partition, then a request answered at once: the client's
    // check of correlation ids fails if the second answer overtakes the first.
    const order: string[] = []
    const polled = connection
      .request(ApiKeys.Fetch, 11, {
        ...fetchRequest('quiet', 0n),
        maxWaitMs: 1500,
      })
      .then(() => order.push('fetch'))
    const versions = connection
      .request(ApiKeys.ApiVersions, 0, { clientSoftwareName: '', clientSoftwareVersion: '' })
      .then(() => order.push('api-versions'))
    await within(20_000, 'both answers', Promise.all([polled, versions]))
    expect(order).toEqual(['fetch', 'api-versions'])
  })

  it('answers an ApiVersions it does not know in v0, with UNSUPPORTED_VERSION', async () => {
    const { bootstrap } = await serving()
    const connection = await client(bootstrap)
    // ApiVersions v99, correlation id 7, no client id: only the fixed header can be read.
    const frame = new Uint8Array([0, 0, 0, 10, 0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff])
    connection.write(frame)
    const { correlationId, body } = await import('../../src/runtime/kafka-protocol/index.js').then(
      async ({ decodeResponseFrame }) =>
        decodeResponseFrame(ApiKeys.ApiVersions, 0, await connection.next()),
    )
    expect(correlationId).toBe(7)
    expect(body.errorCode).toBe(35)
    expect(body.apiKeys.length).toBeGreaterThan(0)
  })

  it('closes only the connection that sent a bad frame; the others keep working', async () => {
    const { bootstrap, lines } = await serving()
    const good = await client(bootstrap)
    const oversized = await client(bootstrap)
    const malformed = await client(bootstrap)
    const unsupported = await client(bootstrap)
    // A size over socket.request.max.bytes (100 MiB).
    oversized.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff]))
    // A Metadata v1 request whose topic array claims more entries than there are bytes.
    malformed.write(
      new Uint8Array([0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
    )
    // Produce v2: a version not served (RecordBatch v2 comes with Produce v3).
    unsupported.write(new Uint8Array([0, 0, 0, 10, 0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff]))
    await within(
      10_000,
      'the bad connections close',
      Promise.all([oversized.closed, malformed.closed, unsupported.closed]),
    )
    expect(lines).toHaveLength(3)
    expect(lines.join('\n')).toMatch(/exceeds the limit/)
    const answer = await good.request(ApiKeys.ApiVersions, 0, {
      clientSoftwareName: '',
      clientSoftwareVersion: '',
    })
    expect(answer.errorCode).toBe(0)
    const fresh = await client(bootstrap)
    expect(
      (
        await fresh.request(ApiKeys.Metadata, 4, {
          topics: null,
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        })
      ).brokers,
    ).toHaveLength(3)
  })
})
