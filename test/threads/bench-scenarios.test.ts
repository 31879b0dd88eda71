import { describe, expect, it } from 'vitest'
import { measureLatencyBaselines } from '../../bench/baselines/latency-baselines.js'
import { MAX_RECORDS_PER_PARTITION, runEndToEnd } from '../../bench/e2e/end-to-end.js'
import { runFailover } from '../../bench/failover/failover-run.js'
import { runLatency } from '../../bench/latency/latency-run.js'
import { runMicro } from '../../bench/micro/micro-bench.js'
import { runRebalance } from '../../bench/rebalance/rebalance-run.js'
import { runScale } from '../../bench/scale/scale-run.js'
import { runStartup } from '../../bench/startup/startup-bench.js'
import { expectNothingLeftSince, liveResources } from '../support/live-resources.js'

// The scenarios' cores at tiny settings: they run, verify what they measured, report every
// field, and leave nothing running. Speed is never asserted here.

const aNumber = expect.any(Number)

describe('bench scenarios', () => {
  it('latency: every record arrives once, in order, intact, and is timed', async () => {
    const before = liveResources()
    const report = await runLatency({
      brokers: 1,
      rate: 2000,
      seconds: 0.5,
      recordSize: 100,
      acks: 1,
      spinIterations: 0,
      maxInFlight: 5,
      warmUpSeconds: 0.25,
    })
    expect(report.problems).toEqual([])
    expect(report.verified).toBe(true)
    expect(report.records).toBe(1500)
    expect(report.warmUpRecords).toBe(500)
    expect(report.achievedRate).toBeGreaterThan(0)
    const { p50Us, p90Us, p99Us, p999Us, maxUs } = report.latency
    expect(report.latency).toEqual({
      p50Us: aNumber,
      p90Us: aNumber,
      p99Us: aNumber,
      p999Us: aNumber,
      maxUs: aNumber,
      distribution: expect.arrayContaining([{ percentile: 50, us: p50Us }]),
    })
    expect(0 < p50Us && p50Us <= p90Us && p90Us <= p99Us && p99Us <= p999Us).toBe(true)
    expect(p999Us <= maxUs).toBe(true)
    await expectNothingLeftSince(before)
  })

  it('latency baselines: each line (ring, postMessage, relay) delivers every timed record in order', async () => {
    const before = liveResources()
    const baselines = await measureLatencyBaselines({
      rate: 2000,
      seconds: 0.25,
      recordSize: 100,
      warmUpSeconds: 0.1,
    })
    expect(Object.keys(baselines).sort()).toEqual(['post-message', 'relay', 'sab-ring'])
    for (const baseline of Object.values(baselines)) {
      expect(baseline.records).toBe(500)
      expect(0 < baseline.p50Us && baseline.p50Us <= baseline.p99Us).toBe(true)
    }
    await expectNothingLeftSince(before)
  })

  it('startup: a cluster starts, takes a produce and stops', async () => {
    const before = liveResources()
    const report = await runStartup({ brokers: 1, runs: 1 })
    expect(report.problems).toEqual([])
    expect(report.verified).toBe(true)
    expect(report.runDetails).toHaveLength(1)
    const [run] = report.runDetails
    for (const figure of [report.startMs, report.stopMs, ...Object.values(run ?? {})]) {
      expect(figure).toBeGreaterThan(0)
    }
    expect(report.startMs).toBe(run?.startMs)
    await expectNothingLeftSince(before)
  })
})

describe('bench micro', () => {
  it('runs every microbenchmark and reports a rate for each', async () => {
    const { tasks } = await runMicro(20)
    expect(tasks.length).toBeGreaterThanOrEqual(10)
    for (const task of tasks) expect(task.opsPerSec, task.name).toBeGreaterThan(0)
  })
})

describe('bench e2e', () => {
  it('verifies every record of a small run across partitions, brokers and load threads', async () => {
    const before = liveResources()
    const report = await runEndToEnd({
      brokers: 2,
      partitions: 4,
      recordSize: 64,
      records: 40_000,
      acks: 1,
      batchRecords: 1_000,
      producers: 2,
      consumers: 2,
    })
    expect(report).toMatchObject({ verified: true, problems: [], records: 40_000 })
    expect(report.recordsPerSec).toBeGreaterThan(0)
    // Each load thread ran its share: two partitions of 10,000 records each.
    expect(report.producerShares.map((share) => share.records)).toEqual([20_000, 20_000])
    expect(report.consumerShares.map((share) => share.records)).toEqual([20_000, 20_000])
    await expectNothingLeftSince(before)
  })

  it('e2e record by record: the accumulator batches by linger and batch.size, paced by rate, all verified', async () => {
    const before = liveResources()
    const report = await runEndToEnd({
      brokers: 1,
      partitions: 2,
      recordSize: 64,
      records: 4_000,
      acks: -1,
      batchRecords: 1_000,
      lingerMs: 2,
      batchSize: 2_048,
      rate: 8_000,
    })
    expect(report).toMatchObject({ verified: true, problems: [], records: 4_000 })
    // 4,000 records at 8,000 a second take half a second at least.
    expect(report.elapsedMs).toBeGreaterThanOrEqual(450)
    await expect(
      runEndToEnd({
        brokers: 1,
        partitions: 1,
        recordSize: 64,
        records: 10,
        acks: 1,
        batchRecords: 10,
        rate: 0,
      }),
    ).rejects.toThrow('rate must be a number > 0')
    await expectNothingLeftSince(before)
  })

  it('e2e timed: with seconds, records is a cap, and what was sent is what is counted and read', async () => {
    const before = liveResources()
    const report = await runEndToEnd({
      brokers: 1,
      partitions: 2,
      recordSize: 64,
      records: 2 * MAX_RECORDS_PER_PARTITION,
      acks: 1,
      batchRecords: 100,
      rate: 4_000,
      seconds: 0.5,
    })
    expect(report).toMatchObject({ verified: true, problems: [] })
    // Half a second at 2,000 a second per partition, and at most one batch more each.
    expect(report.records).toBeGreaterThan(0)
    expect(report.records).toBeLessThanOrEqual(2_200)
    const sent = report.producerShares.reduce((total, share) => total + share.records, 0)
    const read = report.consumerShares.reduce((total, share) => total + share.records, 0)
    expect([sent, read]).toEqual([report.records, report.records])
    await expectNothingLeftSince(before)
  })
})

describe('bench scale', () => {
  it('creates many partitions, counts their memory and verifies every one of them', async () => {
    const before = liveResources()
    const report = await runScale({
      brokers: 3,
      partitions: 60,
      replication: 3,
      logCapacityBytes: 16 * 1024,
      recordsPerPartition: 3,
      recordSize: 32,
      acks: -1,
      producers: 2,
      consumers: 2,
    })
    expect(report).toMatchObject({ verified: true, problems: [], partitions: 60 })
    expect(report.consumerShares.reduce((total, share) => total + share.records, 0)).toBe(180)
    // Every replica: a 16 KiB ring, its offset index and header, three per partition.
    expect(report.sharedBytesPerPartition).toBeGreaterThan(3 * 16 * 1024)
    for (const figure of [report.startMs, report.createTopicMs, report.stopMs]) {
      expect(figure).toBeGreaterThan(0)
    }
    await expectNothingLeftSince(before)
  })
})

describe('bench failover', () => {
  it('loses no acknowledged record through leader kills, in send order', async () => {
    const before = liveResources()
    const report = await runFailover({ kills: 3, intervalMs: 100, recordsPerSend: 50, seed: 7 })
    expect(report).toMatchObject({ verified: true, ackedLost: 0, kills: 3, problems: [] })
    expect(report.acked).toBeGreaterThan(0)
    await expect(
      runFailover({ kills: 1, intervalMs: 100, recordsPerSend: 50, seed: 7, rate: -1 }),
    ).rejects.toThrow('rate must be a number > 0')
    await expectNothingLeftSince(before)
  })
})

describe('bench rebalance', () => {
  it('times joins and leaves, with no partition owned twice and no record skipped', async () => {
    const before = liveResources()
    const report = await runRebalance({ members: 3, partitions: 6, cycles: 2, seed: 3 })
    expect(report).toMatchObject({
      verified: true,
      joins: 2,
      leaves: 2,
      ownedTwice: 0,
      deliveredToNonOwner: 0,
      skipped: 0,
    })
    expect(report.recordsProduced).toBeGreaterThan(0)
    for (const figure of [
      report.joinMsP50,
      report.joinMsP99,
      report.leaveMsP50,
      report.leaveMsP99,
    ]) {
      expect(figure).toBeGreaterThan(0)
    }
    await expectNothingLeftSince(before)
  })
})
