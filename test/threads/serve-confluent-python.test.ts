import { afterAll, beforeAll, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import { clientScript, DEBIAN_PYTHON } from '../support/client-processes.js'
import { expectClientScenario } from '../support/client-scenario-run.js'

/*
 * Debian's python3-confluent-kafka (librdkafka 2.0.2), unchanged, with only its bootstrap
 * pointed at `cluster.listen()`, run by Debian's Python as a child.
 */

const TOPIC = 'confluent-python'

let cluster: Cluster
let bootstrap: string

beforeAll(async () => {
  cluster = await Cluster.start({ brokers: 3 })
  bootstrap = await cluster.listen()
})

afterAll(async () => {
  await cluster.stop()
})

it('serves confluent-kafka for Python: metadata, keyed records with headers, a group, idempotent gzip, offsets by time, topics made and deleted', async () => {
  await expectClientScenario(cluster, bootstrap, TOPIC, DEBIAN_PYTHON, [
    clientScript('confluent_kafka_scenario.py'),
    'scenario',
    bootstrap,
    TOPIC,
    `${TOPIC}-group`,
  ])
})
