import { afterAll, beforeAll, expect, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import { ApiKeys } from '../../src/runtime/kafka-protocol/index.js'
import { WireTestClient } from '../support/wire-client.js'
import { within } from '../support/within.js'

/*
 * `cluster.faults` reach wire clients: a broker's listener acts out what is done to the
 * broker. Bounded waits only: what must not happen is checked after another connection's
 * round trip, never by waiting for a while.
 */

const WAIT_MS = 20_000

let cluster: Cluster
let addresses: string[]
const clients: WireTestClient[] = []

beforeAll(async () => {
  cluster = await Cluster.start({ brokers: 3 })
  const bootstrap = await cluster.listen()
  const seed = await connect(bootstrap)
  const metadata = await seed.request(ApiKeys.Metadata, 1, {
    topics: [],
    // Version 1 has no such flag: its default is what it means.
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  })
  addresses = metadata.brokers
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((broker) => `${broker.host}:${broker.port}`)
})

afterAll(async () => {
  for (const client of clients.splice(0)) client.close()
  await cluster.stop()
})

async function connect(address: string): Promise<WireTestClient> {
  const client = await WireTestClient.connect(address)
  clients.push(client)
  return client
}

function apiVersions(client: WireTestClient) {
  return client.request(ApiKeys.ApiVersions, 3, {
    clientSoftwareName: 'test',
    clientSoftwareVersion: '1',
  })
}

/** Sends a request whose answer must wait; says whether it has come yet. */
function pendingAnswer(client: WireTestClient): {
  answered: () => boolean
  answer: Promise<unknown>
} {
  let answered = false
  const answer = apiVersions(client).then((body) => {
    answered = true
    return body
  })
  return { answered: () => answered, answer }
}

it('holds an isolated broker’s requests unanswered until healed, while the others answer', async () => {
  const isolated = await connect(addresses[1] as string)
  const other = await connect(addresses[0] as string)
  await cluster.faults.isolateBroker(1)
  const held = pendingAnswer(isolated)
  expect((await apiVersions(other)).errorCode).toBe(0)
  expect((await apiVersions(await connect(addresses[2] as string))).errorCode).toBe(0)
  expect(held.answered()).toBe(false)
  await cluster.faults.heal()
  await within(WAIT_MS, 'the held answer after heal', held.answer)
})

it('stalls a paused broker’s answers until it resumes', async () => {
  const paused = await connect(addresses[2] as string)
  await cluster.faults.pauseBroker(2)
  const held = pendingAnswer(paused)
  expect((await apiVersions(await connect(addresses[0] as string))).errorCode).toBe(0)
  expect(held.answered()).toBe(false)
  cluster.faults.resumeBroker(2)
  await within(WAIT_MS, 'the stalled answer after resume', held.answer)
})

it('closes a killed broker’s connections, refuses new ones, and listens again on its port once restarted', async () => {
  const doomed = await connect(addresses[2] as string)
  await cluster.faults.killBroker(2)
  await within(WAIT_MS, 'the killed broker’s connection to close', doomed.closed)
  const refused = await connect(addresses[2] as string)
  await within(WAIT_MS, 'a new connection to the killed broker to close', refused.closed)
  await cluster.faults.restartBroker(2)
  const again = await connect(addresses[2] as string)
  expect((await within(WAIT_MS, 'ApiVersions after restart', apiVersions(again))).errorCode).toBe(0)
})

it('still answers a slowed broker’s requests, after its latency', async () => {
  const slowed = await connect(addresses[0] as string)
  await cluster.faults.slowBroker(0, 20)
  expect((await within(WAIT_MS, 'a slowed answer', apiVersions(slowed))).errorCode).toBe(0)
  await cluster.faults.heal()
})
