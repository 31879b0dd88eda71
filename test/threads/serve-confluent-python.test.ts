import { afterAll, beforeAll, expect, it } from 'vitest'
import { Cluster } from '../../src/index.js'
import { clientScript, DEBIAN_PYTHON, KCAT, runClient } from '../support/client-processes.js'
import {
  expectIdempotentGzip,
  expectScenario,
  type ScenarioReport,
  storedBatches,
} from '../support/client-scenario-report.js'
import { kcatRecords } from '../support/kcat-output.js'

/*
 * Debian's python3-confluent-kafka (librdkafka 2.0.2), unchanged, with only its bootstrap
 * pointed at `cluster.listen()`, run by Debian's Python as a child.
 */

const CLIENT_TIMEOUT_MS = 60_000
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
  const { stdout } = await runClient(
    DEBIAN_PYTHON,
    [clientScript('confluent_kafka_scenario.py'), 'scenario', bootstrap, TOPIC, `${TOPIC}-group`],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  )
  const report = JSON.parse(stdout) as ScenarioReport
  expectScenario(report, bootstrap, TOPIC)
  expectIdempotentGzip(await storedBatches(cluster, TOPIC))

  // Another client reads what this one wrote, headers and all.
  const read = await runClient(
    KCAT,
    ['-b', bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-J', '-q'],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  )
  const written = [...report.produced, ...report.later]
  const byPosition = (a: { partition: number; offset: number }, b: typeof a) =>
    a.partition - b.partition || a.offset - b.offset
  expect(kcatRecords(read.stdout).sort(byPosition)).toEqual(written.sort(byPosition))
})
