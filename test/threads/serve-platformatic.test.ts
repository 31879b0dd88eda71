import { afterAll, beforeAll, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import { clientScript, NODE_22 } from '../support/client-processes.js'
import { expectClientScenario } from '../support/client-scenario-run.js'

/*
 * @platformatic/kafka 2.x, unchanged, with only its bootstrap pointed at `cluster.listen()`.
 * It needs Node 22.22 or later, so it runs under the Node 22 binary from npm as a child.
 */

const TOPIC = 'platformatic'

let cluster: Cluster
let bootstrap: string

beforeAll(async () => {
  cluster = await Cluster.start({ brokers: 3 })
  bootstrap = await cluster.listen()
})

afterAll(async () => {
  await cluster.stop()
})

it('serves @platformatic/kafka: metadata, keyed records with headers, a group, idempotent gzip, offsets by time, topics made and deleted', async () => {
  await expectClientScenario(cluster, bootstrap, TOPIC, NODE_22, [
    clientScript('platformatic-scenario.mjs'),
    bootstrap,
    TOPIC,
    `${TOPIC}-group`,
  ])
})
