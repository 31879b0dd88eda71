import { afterEach, describe, expect, it } from 'vitest'
import { ControlDeadlineError } from '../../src/api/chaos/control-deadline.js'
import { WorkloadThreads } from '../../src/api/chaos/workload-threads.js'
import { Cluster } from '../../src/api/cluster.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'

const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function clusterWithTopic(): Promise<Cluster> {
  const cluster = await Cluster.start({ brokers: 1, seed: 1 })
  cleanups.push(() => cluster.stop())
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'chaos', numPartitions: 2 }] })
  await admin.disconnect()
  return cluster
}

function openThreads(cluster: Cluster, counts: { producers: number; consumers: number }) {
  const threads = WorkloadThreads.open(cluster, {
    ...counts,
    topic: 'chaos',
    group: 'chaos-readers',
    partitions: 2,
    acks: -1,
    idempotent: true,
    startedAt: cluster.system.clock.now(),
  })
  cleanups.push(() => threads.close())
  return threads
}

describe('chaos client threads', () => {
  it('produce and consume on their own threads, and hand over their history', async () => {
    const cluster = await clusterWithTopic()
    const threads = openThreads(cluster, { producers: 1, consumers: 1 })
    await threads.start()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const sends = await threads.stopProducers()
    expect(sends).toBeGreaterThan(0)
    const { events, missed } = await threads.collect(5_000)
    expect(missed).toEqual([])
    const sent = events.filter((event) => event.type === 'send')
    expect(sent).toHaveLength(sends)
    expect(sent.every((send) => send.outcome === 'acknowledged')).toBe(true)
    expect(events.some((event) => event.type === 'assignment')).toBe(true)
    // Nothing is handed over twice.
    expect((await threads.collect(5_000)).events.filter((e) => e.type === 'send')).toEqual([])
  })

  it('a stalled thread misses its deadline with an error naming the call, then answers again', async () => {
    const cluster = await clusterWithTopic()
    const threads = openThreads(cluster, { producers: 1, consumers: 0 })
    await threads.start()
    await threads.pause('p0', 3_000)
    const stalled = await threads.collect(200)
    expect(stalled.missed).toHaveLength(1)
    const [miss] = stalled.missed
    expect(miss).toBeInstanceOf(ControlDeadlineError)
    expect((miss as ControlDeadlineError).call).toBe('snapshot of p0')
    const sends = await threads.stopProducers()
    const after = await threads.collect(5_000)
    expect(after.missed).toEqual([])
    expect(after.events.filter((event) => event.type === 'send')).toHaveLength(sends)
  })

  it('ends every thread on close, answered or stalled', async () => {
    const before = liveResources()
    const cluster = await clusterWithTopic()
    const threads = openThreads(cluster, { producers: 2, consumers: 1 })
    await threads.start()
    await threads.pause('c0', 10_000)
    await threads.close()
    await cluster.stop()
    await expectNothingLeftSince(before)
  })
})
