import { expect } from 'vitest'
import type { Cluster } from '../../src/index.js'
import { KCAT, runClient } from './client-processes.js'
import {
  expectIdempotentGzip,
  expectScenario,
  type ScenarioReport,
  storedBatches,
} from './client-scenario-report.js'
import { kcatRecords } from './kcat-output.js'

const CLIENT_TIMEOUT_MS = 60_000

/**
 * Runs a real client's scenario script (`command args`, which prints a ScenarioReport) against
 * `bootstrap`, checks its report and the batches it stored, then has kcat read back what it
 * wrote, headers and all.
 */
export async function expectClientScenario(
  cluster: Cluster,
  bootstrap: string,
  topic: string,
  command: string,
  args: readonly string[],
): Promise<void> {
  const { stdout } = await runClient(command, [...args], { timeoutMs: CLIENT_TIMEOUT_MS })
  const report = JSON.parse(stdout) as ScenarioReport
  expectScenario(report, bootstrap, topic)
  expectIdempotentGzip(await storedBatches(cluster, topic))
  const read = await runClient(
    KCAT,
    ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
    { timeoutMs: CLIENT_TIMEOUT_MS },
  )
  const written = [...report.produced, ...report.later]
  const byPosition = (a: { partition: number; offset: number }, b: typeof a) =>
    a.partition - b.partition || a.offset - b.offset
  expect(kcatRecords(read.stdout).sort(byPosition)).toEqual(written.sort(byPosition))
}
