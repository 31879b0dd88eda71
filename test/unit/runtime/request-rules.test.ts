import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/runtime/clock/clock.js'
import { InvalidArgumentError } from '../../../src/runtime/errors/samsa-error.js'
import { RequestDispatch } from '../../../src/runtime/requests/request-dispatch.js'
import {
  type InstalledRule,
  parseInstalledRules,
  parseRuleAction,
  parseRuleMatch,
  RequestRuleSet,
  RuleWord,
  releaseRule,
  waitOut,
} from '../../../src/runtime/requests/request-rules.js'

let nextId = 1
function installed(rule: Record<string, unknown>): InstalledRule {
  return {
    ...parseRuleMatch(rule),
    id: nextId++,
    action: parseRuleAction(rule),
    shared: new SharedArrayBuffer(RuleWord.bytes),
  }
}

const produce = (broker: number, topic = 'orders', partitions = [0]) => ({
  api: 'Produce' as const,
  broker,
  topics: [{ topic, partitions }],
})

describe('RequestRuleSet', () => {
  it('matches on api, broker, topic, partition and client', () => {
    const rules = new RequestRuleSet()
    rules.set([
      installed({
        api: 'Produce',
        broker: 1,
        topic: 'orders',
        partition: 2,
        client: 'p',
        drop: true,
      }),
    ])
    expect(rules.decide(produce(1, 'orders', [2]), 'p')?.action).toEqual({ kind: 'drop' })
    expect(rules.decide(produce(0, 'orders', [2]), 'p')).toBeUndefined()
    expect(rules.decide(produce(1, 'audit', [2]), 'p')).toBeUndefined()
    expect(rules.decide(produce(1, 'orders', [1]), 'p')).toBeUndefined()
    expect(rules.decide(produce(1, 'orders', [2]), 'q')).toBeUndefined()
    expect(rules.decide({ api: 'Metadata' }, 'p')).toBeUndefined()
  })

  it('acts `times` times, then lets the next rule act', () => {
    const rules = new RequestRuleSet()
    rules.set([
      installed({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', times: 2 }),
      installed({ api: 'Produce', delayMs: 5 }),
    ])
    const kinds = Array.from({ length: 4 }, () => rules.decide(produce(0), 'p')?.action.kind)
    expect(kinds).toEqual(['error', 'error', 'delay', 'delay'])
  })

  it('shares its counts with every holder of the same rules (another thread)', () => {
    const rule = installed({ api: 'Produce', drop: true, times: 1 })
    const here = new RequestRuleSet()
    const there = new RequestRuleSet()
    here.set([rule])
    there.set(parseInstalledRules(structuredClone([rule])))
    expect(there.decide(produce(0), 'p')).toBeDefined()
    expect(here.decide(produce(0), 'p')).toBeUndefined()
  })

  it('holds until released, and a released hold holds nothing more', async () => {
    const rule = installed({ api: 'JoinGroup', hold: true })
    const rules = new RequestRuleSet()
    rules.set([rule])
    const verdict = rules.decide({ api: 'JoinGroup', broker: 0 }, 'c')
    if (verdict === undefined) throw new Error('expected a verdict')
    let released = false
    const waiting = waitOut(verdict, new ManualClock(), 0).then(() => {
      released = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(released).toBe(false)
    releaseRule(rule.shared)
    await waiting
    expect(rules.decide({ api: 'JoinGroup', broker: 0 }, 'c')).toBeUndefined()
  })

  it('waits out a delay on the clock', async () => {
    const clock = new ManualClock()
    const rules = new RequestRuleSet()
    rules.set([installed({ api: 'Fetch', delayMs: 50 })])
    const verdict = rules.decide({ api: 'Fetch' }, 'c')
    if (verdict === undefined) throw new Error('expected a verdict')
    let over = false
    const waiting = waitOut(verdict, clock, clock.now()).then(() => {
      over = true
    })
    clock.advance(49)
    await Promise.resolve()
    expect(over).toBe(false)
    clock.advance(1)
    await waiting
    expect(over).toBe(true)
  })

  it('refuses rules that do not say exactly one thing, or name nothing Kafka knows', () => {
    expect(() => parseRuleAction({ drop: true, hold: true })).toThrow(InvalidArgumentError)
    expect(() => parseRuleAction({})).toThrow('exactly one')
    expect(() => parseRuleAction({ error: 'OOPS' })).toThrow('Kafka error name')
    expect(() => parseRuleAction({ delayMs: -1 })).toThrow('delayMs')
    expect(() => parseRuleMatch({ api: 'Produce', times: 0 })).toThrow('times')
    expect(() => parseRuleMatch({ api: 'Gossip' })).toThrow('api')
    expect(() =>
      parseInstalledRules([{ api: 'Produce', id: 1, action: { kind: 'drop' } }]),
    ).toThrow('shared memory')
  })
})

describe('RequestDispatch', () => {
  it('costs nothing while no rule and no log is on, and records answers once on', () => {
    const clock = new ManualClock()
    const dispatch = new RequestDispatch(clock)
    expect(dispatch.active).toBe(false)
    expect(dispatch.arrive(produce(0), 'p')).toEqual({ verdict: undefined, record: undefined })
    dispatch.apply({ rules: [], record: true })
    const { record } = dispatch.arrive(produce(0), 'p')
    if (record === undefined) throw new Error('expected a record')
    const address = {}
    dispatch.keep(address, record)
    clock.advance(7)
    dispatch.replied(address, false, {
      name: 'KafkaProtocolError',
      message: '',
      retriable: true,
      kafkaType: 'NOT_LEADER_OR_FOLLOWER',
    })
    expect(dispatch.recorder?.answered()).toEqual([
      {
        time: 0,
        api: 'Produce',
        broker: 0,
        client: 'p',
        topics: [{ topic: 'orders', partitions: [0] }],
        error: 'NOT_LEADER_OR_FOLLOWER',
        durationMs: 7,
      },
    ])
  })
})
