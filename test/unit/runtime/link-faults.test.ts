import { afterEach, describe, expect, it } from 'vitest'
import {
  ActorSystem,
  InvalidArgumentError,
  type LinkFaultRule,
  ManualClock,
} from '../../../src/runtime/index.js'
import { LinkFaults } from '../../../src/runtime/transport/link-faults.js'
import { emitter, recorder } from '../../fixtures/test-actors.js'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.stop()))
})

const settle = () => new Promise((resolve) => setImmediate(resolve))

/** Sends 200 numbered records on the link source → rec under `rules`; returns what arrived. */
async function deliveredUnder(seed: number, rules: LinkFaultRule[], advanceMs = 0) {
  const clock = new ManualClock()
  const system = ActorSystem.start({ clock, seed })
  systems.push(system)
  const rec = system.spawn(recorder, { name: 'rec', args: undefined })
  const source = system.spawn(emitter, { name: 'source', args: undefined })
  await system.setFaultRules(rules)
  await source.ask({ type: 'emit', to: rec, count: 200 })
  await settle()
  const beforeAdvance = await rec.ask<number[]>({ type: 'list' })
  clock.advance(advanceMs)
  await settle()
  return { beforeAdvance, delivered: await rec.ask<number[]>({ type: 'list' }) }
}

const on = (rule: Omit<LinkFaultRule, 'from' | 'to'>): LinkFaultRule[] => [
  { from: 'source', to: 'rec', ...rule },
]

describe('link fault hooks', () => {
  it('drops a seeded share of messages, the same ones for the same seed', async () => {
    const seed = 7
    const { delivered } = await deliveredUnder(seed, on({ drop: 0.3 }))
    const { delivered: replay } = await deliveredUnder(seed, on({ drop: 0.3 }))
    const { delivered: otherSeed } = await deliveredUnder(seed + 1, on({ drop: 0.3 }))
    expect(replay, `seed ${seed}`).toEqual(delivered)
    expect(otherSeed).not.toEqual(delivered)
    expect(delivered.length).toBeGreaterThan(100)
    expect(delivered.length).toBeLessThan(180)
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b))
  })

  it('duplicates a seeded share of messages, replayably', async () => {
    const seed = 11
    const { delivered } = await deliveredUnder(seed, on({ duplicate: 0.5 }))
    const { delivered: replay } = await deliveredUnder(seed, on({ duplicate: 0.5 }))
    expect(replay, `seed ${seed}`).toEqual(delivered)
    expect(delivered.length).toBeGreaterThan(230)
    expect(new Set(delivered).size).toBe(200)
  })

  it('delays messages on the clock, reordering them the same way for the same seed', async () => {
    const seed = 3
    const run = await deliveredUnder(seed, on({ delayMs: [1, 100] }), 100)
    const replay = await deliveredUnder(seed, on({ delayMs: [1, 100] }), 100)
    expect(run.beforeAdvance).toEqual([])
    expect([...run.delivered].sort((a, b) => a - b)).toEqual([...Array(200).keys()])
    expect(run.delivered).not.toEqual([...Array(200).keys()])
    expect(replay.delivered, `seed ${seed}`).toEqual(run.delivered)
  })

  it('cuts a link both ways until healed', async () => {
    const system = ActorSystem.start({ clock: new ManualClock(), seed: 1 })
    systems.push(system)
    const rec = system.spawn(recorder, { name: 'rec', args: undefined })
    const source = system.spawn(emitter, { name: 'source', args: undefined })
    await system.setFaultRules([{ from: 'rec', to: 'source', cut: true, bothWays: true }])
    await source.ask({ type: 'emit', to: rec, count: 5 })
    await settle()
    expect(await rec.ask({ type: 'list' })).toEqual([])
    await system.setFaultRules([])
    await source.ask({ type: 'emit', to: rec, count: 2 })
    await settle()
    expect(await rec.ask({ type: 'list' })).toEqual([0, 1])
  })

  it('refuses malformed rules with a typed error', async () => {
    const system = ActorSystem.start({ clock: new ManualClock() })
    systems.push(system)
    await expect(system.setFaultRules(on({ drop: 2 }))).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(system.setFaultRules(on({ delayMs: [5, 1] }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
  })
})

describe('LinkFaults.isCut', () => {
  it('answers for cut links only, both ways when asked, without drawing from the seed', () => {
    const faults = new LinkFaults(1)
    faults.setRules([
      { from: 'broker-0', to: 'broker-1', cut: true, bothWays: true },
      { from: 'broker-2', to: '*', drop: 1 },
    ])
    expect(faults.isCut('broker-0', 'broker-1')).toBe(true)
    expect(faults.isCut('broker-1', 'broker-0')).toBe(true)
    expect(faults.isCut('broker-0', 'broker-2')).toBe(false)
    expect(faults.isCut('broker-2', 'broker-0')).toBe(false)
  })
})
