import { describe, expect, it } from 'vitest'
import { describeValue } from '../../../src/runtime/errors/describe-value.js'

const cyclic: Record<string, unknown> = {}
cyclic.self = cyclic

describe('describeValue', () => {
  it.each([
    ['a string, quoted', 'orders', '"orders"'],
    ['a number', 42, '42'],
    ['NaN', Number.NaN, 'NaN'],
    ['a BigInt', 10n, '10n'],
    ['a Symbol with its description', Symbol('s'), 'Symbol("s")'],
    ['a Symbol without one', Symbol(), 'a Symbol'],
    ['a function', () => 1, 'a function'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array, by length', [1, 2], 'an array of 2'],
    ['a plain object', { a: 1 }, 'an object'],
    ['a cyclic object', cyclic, 'an object'],
    ['an object without a prototype', Object.create(null), 'an object without a prototype'],
    ['a class instance, by class', new Map(), 'a Map'],
  ])('names %s', (_, value, expected) => {
    expect(describeValue(value)).toBe(expected)
  })

  it('quotes only the start of a huge string, and says how long it is', () => {
    const described = describeValue('x'.repeat(5_000_000))
    expect(described.length).toBeLessThan(80)
    expect(described).toContain('5000000 characters')
  })

  it('runs none of the value’s own code', () => {
    const trap = {
      toString: () => {
        throw new Error('called toString')
      },
      get constructor() {
        throw new Error('read constructor')
      },
    }
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    expect(describeValue(trap)).toBe('an object')
    expect(describeValue(revoked.proxy)).toBe('an object')
  })
})
