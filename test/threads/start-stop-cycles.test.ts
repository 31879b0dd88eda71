import { existsSync, readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { Cluster } from '../../src/api/cluster.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'

const CYCLES = 100
/** Clusters alive at once: the cycles run in this many lanes, one cluster after another each. */
const LANES = 4

/** The process's OS threads (Linux), which a worker left running would add to. */
function osThreads(): number | undefined {
  if (!existsSync('/proc/self/status')) return undefined
  const line = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return line === null ? undefined : Number(line[1])
}

/** A cluster's whole life: start, a topic, an acknowledged produce, stop. */
async function cycle(index: number): Promise<void> {
  const cluster = await Cluster.start({ brokers: 1 })
  try {
    const admin = cluster.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: `cycle-${index}` }] })
    const producer = cluster.producer()
    await producer.connect()
    const [written] = await producer.send({
      topic: `cycle-${index}`,
      acks: -1,
      messages: [{ value: 'x' }],
    })
    expect(written?.baseOffset).toBe('0')
  } finally {
    await cluster.stop()
  }
}

it(`leaves no thread, handle or timer behind after ${CYCLES} start/stop cycles`, {
  timeout: 60_000,
}, async () => {
  // One cycle first, so that what Node starts once and keeps (its thread pool) is there before.
  await cycle(-1)
  const resources = liveResources()
  const threads = osThreads()
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let index = lane; index < CYCLES; index += LANES) await cycle(index)
    }),
  )
  await expectNothingLeftSince(resources)
  if (threads !== undefined) expect(osThreads()).toBeLessThanOrEqual(threads)
})
