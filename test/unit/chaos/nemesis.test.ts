import { describe, expect, it } from 'vitest'
import { NEMESIS_KINDS, nemesisSchedule } from '../../../src/api/chaos/nemesis.js'

const options = { seconds: 30, brokers: 3, kinds: NEMESIS_KINDS, clients: ['c0', 'p0', 'p1'] }

describe('nemesisSchedule', () => {
  it('gives the same plan for the same seed, and another for another seed', () => {
    expect(nemesisSchedule(7, options)).toEqual(nemesisSchedule(7, options))
    expect(nemesisSchedule(8, options)).not.toEqual(nemesisSchedule(7, options))
  })

  it('heals each fault before the next, within the run, on brokers that exist', () => {
    const plan = nemesisSchedule(3, options)
    expect(plan.length).toBeGreaterThan(5)
    let free = 0
    for (const step of plan) {
      expect(step.atMs).toBeGreaterThanOrEqual(free)
      expect(step.healAtMs).toBeGreaterThan(step.atMs)
      expect(step.healAtMs).toBeLessThanOrEqual(30_000)
      if (step.kind === 'stall') {
        expect(options.clients).toContain(step.client)
      } else {
        expect(step.broker).toBeGreaterThanOrEqual(0)
        expect(step.broker).toBeLessThan(3)
        if (step.kind === 'cutlink') expect(step.other).not.toBe(step.broker)
      }
      free = step.healAtMs
    }
  })

  it('draws only the kinds asked for, and nothing when none are', () => {
    const plan = nemesisSchedule(1, { ...options, kinds: ['kill', 'slow'] })
    expect(new Set(plan.map((step) => step.kind))).toEqual(new Set(['kill', 'slow']))
    expect(nemesisSchedule(1, { ...options, kinds: [] })).toEqual([])
    expect(nemesisSchedule(1, { ...options, kinds: ['stall'], clients: [] })).toEqual([])
  })
})
