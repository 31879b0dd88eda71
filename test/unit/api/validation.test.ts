import { describe, expect, it } from 'vitest'
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from '../../../src/api/errors.js'
import {
  toBufferOrNull,
  toHeaders,
  toHeaderValue,
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

  it.each([0, -1, 1.5, Number.NaN, '3', undefined])(
    'answers INVALID_PARTITIONS for %s',
    (count) => {
      expectProtocolError(() => validatePartitionCount(count), 'INVALID_PARTITIONS', /at least 1/)
    },
  )
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

describe('toBufferOrNull', () => {
  it('encodes a string as UTF-8', () => {
    const buffer = toBufferOrNull('héllo', 'value')
    expect(Buffer.isBuffer(buffer)).toBe(true)
    expect(buffer).toEqual(Buffer.from([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]))
  })

  it('returns a Buffer as it is', () => {
    const buffer = Buffer.from('abc')
    expect(toBufferOrNull(buffer, 'value')).toBe(buffer)
  })

  it('wraps a Uint8Array view in a Buffer over the same memory, without copying', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5])
    const view = backing.subarray(1, 4)
    const buffer = toBufferOrNull(view, 'key')!
    expect(Buffer.isBuffer(buffer)).toBe(true)
    expect([...buffer]).toEqual([2, 3, 4])
    backing[2] = 99
    expect(buffer[1]).toBe(99)
  })

  it('turns null and undefined into null', () => {
    expect(toBufferOrNull(null, 'key')).toBeNull()
    expect(toBufferOrNull(undefined, 'key')).toBeNull()
  })

  it.each([
    [42, 'number'],
    [{ text: 'x' }, 'object'],
    [['a'], 'array'],
    [true, 'boolean'],
    [new Date(0), 'Date'],
  ])('refuses %j, naming the field and the type it got', (value, typeName) => {
    const error = thrownBy(() => toBufferOrNull(value, 'message value'))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toContain('message value')
    expect((error as Error).message).toContain(`got ${typeName}`)
  })
})

describe('header values', () => {
  it('converts strings and bytes to Buffers, and an array to an array of Buffers', () => {
    expect(toHeaderValue('trace-1', 'headers.trace')).toEqual(Buffer.from('trace-1'))
    expect(toHeaderValue(new Uint8Array([7]), 'headers.raw')).toEqual(Buffer.from([7]))
    expect(toHeaderValue(['a', Buffer.from('b')], 'headers.tags')).toEqual([
      Buffer.from('a'),
      Buffer.from('b'),
    ])
  })

  it('keeps a missing header value as null, as KafkaJS encodes it', () => {
    expect(toHeaderValue(undefined, 'headers.x')).toBeNull()
    expect(toHeaderValue(null, 'headers.x')).toBeNull()
  })

  it('names the element that is wrong inside an array', () => {
    const error = thrownBy(() => toHeaderValue(['a', 5], 'headers.tags'))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toMatch(/headers\.tags\[1\].*got number/)
  })

  it('converts a whole headers object, and missing headers to {}', () => {
    expect(toHeaders(undefined)).toEqual({})
    expect(toHeaders({ a: 'x', b: ['y', 'z'], c: undefined })).toEqual({
      a: Buffer.from('x'),
      b: [Buffer.from('y'), Buffer.from('z')],
      c: null,
    })
  })

  it('keeps a header named __proto__ as a header', () => {
    const headers = JSON.parse('{"__proto__":"p"}') as unknown
    const converted = toHeaders(headers)
    expect(Object.keys(converted)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(converted)).toBe(Object.prototype)
  })

  it.each([
    ['text', 'string'],
    [['a'], 'array'],
    [Buffer.from('a'), 'Buffer'],
  ])('refuses headers given as %j', (headers, typeName) => {
    const error = thrownBy(() => toHeaders(headers))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toContain(`got ${typeName}`)
  })

  it('names the header whose value is wrong', () => {
    expect(() => toHeaders({ retries: 3 })).toThrow(/headers\.retries.*got number/)
  })
})
