import { describe, expect, it } from 'vitest'
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from '../../../src/api/errors.js'
import {
  checkHeaders,
  checkRecordBytes,
  validatePartitionCount,
  validateReplicationFactor,
  validateTopicName,
} from '../../../src/api/validation.js'

/** The error `run` throws, so a test can look at its fields. */
function thrownBy(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

function expectProtocolError(run: () => unknown, type: string, messagePart: RegExp): void {
  const error = thrownBy(run)
  expect(error).toBeInstanceOf(KafkaJSProtocolError)
  expect((error as KafkaJSProtocolError).type).toBe(type)
  expect((error as KafkaJSProtocolError).retriable).toBe(false)
  expect((error as Error).message).toMatch(messagePart)
}

describe('validateTopicName', () => {
  it.each(['orders', 'a', 'Orders.v2_eu-west', '...', '_internal', 'x'.repeat(249)])(
    'accepts %s',
    (name) => {
      expect(validateTopicName(name)).toBe(name)
    },
  )

  it.each([
    ['', /empty/],
    ['.', /cannot be "\."/],
    ['..', /cannot be "\.\."/],
    ['x'.repeat(250), /250 characters/],
    ['has space', /"has space" is illegal/],
    ['slash/topic', /illegal/],
    ['ünïcode', /illegal/],
    ['colon:topic', /illegal/],
  ])('answers INVALID_TOPIC_EXCEPTION for %j, as a broker does', (name, messagePart) => {
    expectProtocolError(() => validateTopicName(name), 'INVALID_TOPIC_EXCEPTION', messagePart)
  })

  it.each([undefined, null, 42, ['orders']])('refuses a non-string topic %j', (name) => {
    const error = thrownBy(() => validateTopicName(name))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toMatch(/Invalid topic/)
  })
})

describe('validatePartitionCount', () => {
  it.each([1, 3, 1000])('accepts %s', (count) => {
    expect(validatePartitionCount(count)).toBe(count)
  })

  it.each([
    0,
    -1,
    1.5,
    Number.NaN,
    '3',
    undefined,
    1_000_000,
    2 ** 40,
    10n,
    Symbol('count'),
    Object.create(null),
  ])('answers INVALID_PARTITIONS for %s', (count) => {
    expectProtocolError(
      () => validatePartitionCount(count),
      'INVALID_PARTITIONS',
      /an integer from 1 to 100000, got/,
    )
  })
})

describe('validateReplicationFactor', () => {
  it('accepts a factor up to the number of live brokers', () => {
    expect(validateReplicationFactor(1, 3)).toBe(1)
    expect(validateReplicationFactor(3, 3)).toBe(3)
  })

  it('answers INVALID_REPLICATION_FACTOR when there are too few brokers', () => {
    expectProtocolError(
      () => validateReplicationFactor(3, 2),
      'INVALID_REPLICATION_FACTOR',
      /replication factor: 3 larger than available brokers: 2/,
    )
  })

  it.each([0, -1, 2.5, '2'])('answers INVALID_REPLICATION_FACTOR for %s', (factor) => {
    expectProtocolError(
      () => validateReplicationFactor(factor, 3),
      'INVALID_REPLICATION_FACTOR',
      /at least 1/,
    )
  })
})

describe('message keys and values', () => {
  it.each([['héllo'], [Buffer.from('abc')], [new Uint8Array([1, 2])], [null], [undefined]])(
    'takes %j as it is',
    (value) => {
      expect(() => checkRecordBytes(value, 'value of', 0, 't')).not.toThrow()
    },
  )

  it.each([
    [42, 'number'],
    [{ text: 'x' }, 'object'],
    [['a'], 'array'],
    [true, 'boolean'],
    [new Date(0), 'Date'],
  ])('refuses %j, naming the field and the type it got', (value, typeName) => {
    const error = thrownBy(() => checkRecordBytes(value, 'value of', 3, 'orders'))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toContain('value of message 3 for topic "orders"')
    expect((error as Error).message).toContain(`got ${typeName}`)
  })
})

describe('headers', () => {
  it('takes strings, bytes, arrays of them and missing values', () => {
    expect(() =>
      checkHeaders({
        a: 'x',
        b: ['y', Buffer.from('z')],
        c: undefined,
        d: null,
        e: new Uint8Array(1),
      }),
    ).not.toThrow()
  })

  it('names the element that is wrong inside an array', () => {
    const error = thrownBy(() => checkHeaders({ tags: ['a', 5] }))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toMatch(/headers\.tags\[1\].*got number/)
  })

  it.each([
    ['text', 'string'],
    [['a'], 'array'],
    [Buffer.from('a'), 'Buffer'],
  ])('refuses headers given as %j', (headers, typeName) => {
    const error = thrownBy(() => checkHeaders(headers))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toContain(`got ${typeName}`)
  })

  it('names the header whose value is wrong', () => {
    expect(() => checkHeaders({ retries: 3 })).toThrow(/headers\.retries.*got number/)
  })
})
