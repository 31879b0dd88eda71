import { describe, expect, it } from 'vitest'
import { measureLatencyBaselines } from '../../bench/baselines/latency-baselines.js'
import { apiLogCapacity, runApiEndToEnd } from '../../bench/e2e/api-end-to-end.js'
import { runE2eSweep, sweepReport, sweepTable } from '../../bench/e2e/e2e-sweep.js'
import {
  batchRecordsFor,
  engineLogCapacity,
  MAX_RECORDS_PER_PARTITION,
  runEndToEnd,
} from '../../bench/e2e/end-to-end.js'
import { SequenceCheck, sequencedMessages } from '../../bench/e2e/sequenced-messages.js'
import { runFailover } from '../../bench/failover/failover-run.js'
import { runApiLatency } from '../../bench/latency/latency-api.js'
import { runLatency } from '../../bench/latency/latency-run.js'
import { runMicro } from '../../bench/micro/micro-bench.js'
import { runRebalance } from '../../bench/rebalance/rebalance-run.js'
import { runScale } from '../../bench/scale/scale-run.js'
import { runStartup } from '../../bench/startup/startup-bench.js'
import { runWire } from '../../bench/wire/wire-bench.js'
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

  it('latency through the public API: one send per record on schedule, eachMessage times each', async () => {
    const before = liveResources()
    const report = await runApiLatency({
      brokers: 1,
      rate: 2000,
      seconds: 0.5,
      recordSize: 100,
      acks: 1,
      maxInFlight: 5,
      warmUpSeconds: 0.25,
    })
    expect(report.problems).toEqual([])
    expect(report).toMatchObject({ verified: true, records: 1500, warmUpRecords: 500 })
    expect(report.achievedRate).toBeGreaterThan(0)
    expect(report.maxOutstandingSends).toBeGreaterThanOrEqual(1)
    const { p50Us, p99Us, maxUs } = report.latency
    expect(0 < p50Us && p50Us <= p99Us && p99Us <= maxUs).toBe(true)
    expect(report.latency.distribution).toContainEqual({ percentile: 50, us: p50Us })
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

describe('bench wire', () => {
  it('KafkaJS and kcat read back every record through samsa serve and the librdkafka mock', async () => {
    const report = await runWire({ records: 300, recordBytes: 100, batch: 100, brokers: 3 })
    expect(report.problems).toEqual([])
    expect(report.verified).toBe(true)
    expect(report.partitions).toBeGreaterThan(0)
    for (const figures of [report.samsa, report.mock]) {
      for (const figure of Object.values(figures)) expect(figure).toBeGreaterThan(0)
    }
  })
})

describe('bench micro', () => {
  it('runs every microbenchmark and reports a rate for each', async () => {
    const { tasks } = await runMicro(20)
    expect(tasks.length).toBeGreaterThanOrEqual(10)
    for (const task of tasks) expect(task.opsPerSec, task.name).toBeGreaterThan(0)
  })
})

const FAKE_BASELINES = {
  'sab-ring': { recordsPerSec: 1_000_000, bytesPerSec: 100_000_000, records: 1_000_000 },
  'post-message': { recordsPerSec: 100_000, bytesPerSec: 10_000_000, records: 100_000 },
}

describe('bench e2e: the record check', () => {
  const take = (check: SequenceCheck, partition: number, offset: number, sequence: number) =>
    check.take(partition, String(offset), sequencedMessages(sequence, 1, 32)[0]?.value as Buffer)

  it('passes dense offsets and increasing sequences, once each, and notes the last', () => {
    const check = new SequenceCheck(4, 2, 32)
    take(check, 0, 0, 0)
    take(check, 1, 0, 1)
    take(check, 1, 1, 3)
    expect(check.completedAt).toBeUndefined()
    take(check, 0, 1, 2)
    expect(check.problems).toEqual([])
    expect(check.completedAt).toBeGreaterThan(0)
  })

  it('names a gap, a duplicate, a reordering and a value it did not write', () => {
    const gap = new SequenceCheck(4, 1, 32)
    take(gap, 0, 0, 0)
    take(gap, 0, 2, 1)
    expect(gap.problems).toEqual(['partition 0: offset 2 came where 1 was next'])

    const twice = new SequenceCheck(4, 2, 32)
    take(twice, 0, 0, 0)
    take(twice, 1, 0, 0)
    expect(twice.problems).toEqual(['partition 1, offset 0: sequence 0 came twice'])

    const reordered = new SequenceCheck(4, 1, 32)
    take(reordered, 0, 0, 1)
    take(reordered, 0, 1, 0)
    expect(reordered.problems).toEqual(['partition 0, offset 1: sequence 0 after 1'])

    const foreign = new SequenceCheck(4, 1, 32)
    foreign.take(0, '0', Buffer.alloc(32))
    foreign.take(0, '1', null)
    expect(foreign.problems).toHaveLength(2)
    expect(foreign.problems[0]).toContain('not a value the producer wrote')
  })

  it('lets offsets skip where a transactional topic has commit markers, but never go back', () => {
    const check = new SequenceCheck(3, 1, 32, false)
    take(check, 0, 0, 0)
    take(check, 0, 2, 1)
    expect(check.problems).toEqual([])
    take(check, 0, 2, 2)
    expect(check.problems).toEqual(['partition 0: offset 2 came where 3 was next'])
  })

  it('gives up on a run that stops short, saying how far it got', async () => {
    const check = new SequenceCheck(3, 1, 32)
    take(check, 0, 0, 0)
    await check.allConsumed(50)
    expect(check.problems).toEqual(['1 of 3 records consumed, then none for 50 ms'])
  })
})

describe('bench e2e', () => {
  it('through the public API: send, consume and both at once, every record checked', async () => {
    const before = liveResources()
    const report = await runApiEndToEnd({
      brokers: 2,
      partitions: 3,
      replication: 2,
      acks: 1,
      recordSize: 64,
      records: 3_000,
      messagesPerSend: 100,
      handler: 'eachBatch',
    })
    expect(report.problems).toEqual([])
    expect(report.verified).toBe(true)
    for (const phase of [report.send, report.consume, report.produceConsume]) {
      expect(phase).toEqual({
        records: 3_000,
        elapsedMs: aNumber,
        recordsPerSec: aNumber,
        bytesPerSec: aNumber,
        ...(phase === report.consume ? { firstRecordMs: aNumber } : {}),
      })
      expect(phase.recordsPerSec).toBeGreaterThan(0)
    }
    // Rings that hold the phase (smaller than a user's default here), and so for consuming.
    expect(report.logCapacityBytes).toBe(apiLogCapacity(report))
    expect(report.consumeLogCapacityBytes).toBe(apiLogCapacity(report))
    expect(report.samples.at(-1)).toMatchObject({ produced: 3_000, consumed: 3_000 })
    await expectNothingLeftSince(before)
  })

  it('through the public API with eachMessage and acks all (an idempotent producer)', async () => {
    const before = liveResources()
    const report = await runApiEndToEnd({
      brokers: 1,
      partitions: 2,
      replication: 1,
      acks: -1,
      recordSize: 32,
      records: 1_001,
      messagesPerSend: 50,
      handler: 'eachMessage',
    })
    expect(report).toMatchObject({ verified: true, problems: [] })
    expect(report.consume.records).toBe(1_001)
    expect(report.produceConsume.records).toBe(1_001)
    await expectNothingLeftSince(before)
  })

  it('with transactionSends: an idempotent and a transactional producer, read back read_committed', async () => {
    const before = liveResources()
    const report = await runApiEndToEnd({
      brokers: 2,
      partitions: 2,
      replication: 2,
      acks: 1,
      recordSize: 32,
      records: 1_050,
      messagesPerSend: 100,
      handler: 'eachBatch',
      transactionSends: 3,
    })
    expect(report).toMatchObject({ verified: true, problems: [] })
    expect(report.idempotentSend?.records).toBe(1_050)
    expect(report.transactionalSend?.records).toBe(1_050)
    await expectNothingLeftSince(before)
  })

  it('sizes rings to hold a phase, and small ones for a thousand partitions', () => {
    const ring = (partitions: number, records = 1_000_000) =>
      apiLogCapacity({ partitions, records, recordSize: 100, messagesPerSend: 1000 })
    for (const partitions of [1, 4, 64, 1000]) {
      const capacity = ring(partitions)
      // A power of two that holds every record of the partition (117 B each at least).
      expect(Math.log2(capacity) % 1).toBe(0)
      expect(capacity).toBeGreaterThan((1_000_000 / partitions) * 117)
    }
    expect(ring(1000)).toBeLessThanOrEqual(4 * 2 ** 20)
    expect(() => ring(1, 100_000_000)).toThrow('more than a 1 GiB ring')
    expect(engineLogCapacity(4, 3)).toBe(16 * 2 ** 20)
    expect(engineLogCapacity(1000, 3)).toBe(2 ** 20)
    // Batches sized in bytes: 1 KiB records fit, and never above an eighth of the ring.
    expect(batchRecordsFor(512 * 1024, 1024, 16 * 2 ** 20)).toBe(503)
    expect(batchRecordsFor(512 * 1024, 100, 2 ** 20)).toBe(1119)
  })

  it('a sweep of partition counts: the API and the engine path per entry, ratios and a table', async () => {
    const before = liveResources()
    const common = { brokers: 1, replication: 1, acks: 1, recordSize: 48 } as const
    const entries = await runE2eSweep({
      path: 'api',
      partitions: [1, 4],
      api: { ...common, records: 800, messagesPerSend: 100, handler: 'eachBatch' },
      engine: { ...common, records: 2_000 },
    })
    expect(entries.map((entry) => entry.partitions)).toEqual([1, 4])
    for (const entry of entries) {
      expect(entry.api).toMatchObject({ verified: true, problems: [], records: 800 })
      expect(entry.engine).toMatchObject({ verified: true, problems: [], records: 2_000 })
    }
    const report = sweepReport('api', entries, FAKE_BASELINES)
    expect(report.verified).toBe(true)
    expect(report.sweep).toHaveLength(2)
    expect(report.sweep[1]).toMatchObject({
      partitions: 4,
      sendRecordsPerSec: aNumber,
      consumeRecordsPerSec: aNumber,
      produceConsumeRecordsPerSec: aNumber,
      engineRecordsPerSec: aNumber,
    })
    const keys = Object.keys(report.ratios)
    for (const partitions of [1, 4]) {
      for (const figure of ['send', 'consume', 'produceConsume']) {
        for (const other of ['engine', 'sab-ring', 'post-message']) {
          expect(keys).toContain(`${figure}RecordsPerSec/${other}@${partitions}`)
        }
      }
      expect(keys).toContain(`engineRecordsPerSec/sab-ring@${partitions}`)
    }
    const { sendRecordsPerSec, engineRecordsPerSec } = report.sweep[0] ?? {}
    expect(report.ratios['sendRecordsPerSec/engine@1']).toBeCloseTo(
      (sendRecordsPerSec as number) / (engineRecordsPerSec as number),
      2,
    )
    expect(report.bars.map((group) => Object.keys(group.values))).toEqual(
      Array(2).fill([
        'api send',
        'api consume',
        'api produce+consume',
        'engine',
        'sab-ring',
        'post-message',
      ]),
    )
    const table = sweepTable(entries)
    expect(table).toHaveLength(3)
    expect(table[2]?.trim().startsWith('4 ')).toBe(true)
    expect(table[2]?.trim().endsWith('true')).toBe(true)
    await expectNothingLeftSince(before)
  })

  it('e2e engine path: 1 KiB records in batches sized in bytes (no batch records given)', async () => {
    const before = liveResources()
    const report = await runEndToEnd({
      brokers: 1,
      partitions: 2,
      recordSize: 1024,
      records: 4_000,
      acks: 1,
    })
    expect(report).toMatchObject({ verified: true, problems: [], records: 4_000 })
    expect(report.batchRecords).toBe(503)
    await expectNothingLeftSince(before)
  })

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
