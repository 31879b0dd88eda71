import { describe, expect, it } from 'vitest'
import { NEMESIS_KINDS } from '../../src/api/chaos/nemesis.js'
import { type ChaosOptions, runChaosSeed } from '../../src/api/chaos/run-chaos.js'

const safe: ChaosOptions = {
  seconds: 4,
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
  it('keeps every guarantee with acks all, replication 3, min.insync 2 and idempotence', {
    timeout: 120_000,
  }, async () => {
    for (const seed of [11, 12]) {
      const report = await runChaosSeed(seed, safe)
      expect(report.schedule.length, `seed ${seed}`).toBeGreaterThan(0)
      expect(report.check.acknowledged, `seed ${seed}`).toBeGreaterThan(0)
      expect(report.check.anomalies, `seed ${seed}: ${JSON.stringify(report.schedule)}`).toEqual([])
      expect(report.check.verified).toBe(true)
    }
  })

  it('refuses an idempotent producer with acks 1, as Kafka does', async () => {
    await expect(runChaosSeed(1, { ...safe, acks: 1 })).rejects.toThrow(/acks all/)
  })
})
