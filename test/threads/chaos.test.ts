import { describe, expect, it } from 'vitest'
import { NEMESIS_KINDS } from '../../src/api/chaos/nemesis.js'
import { type ChaosOptions, chaosSchedule, runChaosSeed } from '../../src/api/chaos/run-chaos.js'

const safe: ChaosOptions = {
  seconds: 2,
  brokers: 3,
  partitions: 3,
  replication: 3,
  minInsync: 2,
  acks: -1,
  idempotent: true,
  unclean: false,
  producers: 2,
  consumers: 2,
  nemesis: NEMESIS_KINDS,
}

describe('samsa chaos', () => {
  it('keeps every guarantee with acks all, replication 3, min.insync 2 and idempotence, and a replayed seed gives the same schedule and result', {
    timeout: 120_000,
  }, async () => {
    const first = await runChaosSeed(11, safe)
    const replayed = await runChaosSeed(11, safe)
    for (const report of [first, replayed]) {
      expect(report.schedule.length).toBeGreaterThan(0)
      expect(report.check.acknowledged).toBeGreaterThan(0)
      expect(report.check.anomalies, JSON.stringify(report.schedule)).toEqual([])
      expect(report.failures).toEqual([])
      expect(report.verified).toBe(true)
    }
    expect(replayed.schedule).toEqual(first.schedule)
    expect(replayed.schedule).toEqual(chaosSchedule(11, safe))
    expect(replayed.check.counts).toEqual(first.check.counts)
  })

  it('reports duplicates, as allowed, from a producer without idempotence whose requests are duplicated', {
    timeout: 60_000,
  }, async () => {
    const report = await runChaosSeed(1, { ...safe, idempotent: false, nemesis: ['duplicate'] })
    expect(report.schedule.every((step) => step.kind === 'duplicate')).toBe(true)
    expect(report.check.counts.duplicate, 'seed 1').toBeGreaterThan(0)
    expect(report.allowed).toContain('duplicate')
    expect(report.verified).toBe(true)
  })

  it('refuses an idempotent producer with acks 1, as Kafka does', async () => {
    await expect(runChaosSeed(1, { ...safe, acks: 1 })).rejects.toThrow(/acks all/)
  })
})
