import { describe, expect, it } from 'vitest'
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from '../../../src/api/errors.js'
import { partitionCountsOf, topicSpecOf } from '../../../src/api/topic-specs.js'

function thrownBy(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

const ring = (value: unknown) => [{ name: 'samsa.log.capacity.bytes', value }]

describe('topicSpecOf', () => {
  it('fills in the broker defaults and reads the configs samsa honours', () => {
    expect(topicSpecOf({ topic: 't', numPartitions: -1, configEntries: ring('65536') })).toEqual({
      topic: 't',
      numPartitions: 1,
      replicationFactor: 1,
      logCapacityBytes: 65536,
    })
  })

  it.each([2 ** 40, '1000', '2147483648'])(
    'answers INVALID_CONFIG for a ring size no log can have: %s',
    (value) => {
      const error = thrownBy(() => topicSpecOf({ topic: 't', configEntries: ring(value) }))
      expect(error).toBeInstanceOf(KafkaJSProtocolError)
      expect((error as KafkaJSProtocolError).type).toBe('INVALID_CONFIG')
    },
  )

  it.each([
    ['a config name of the object prototype', [{ name: 'constructor', value: '1' }]],
    ['a Symbol value', ring(Symbol('v'))],
    ['a negative value', ring('-5')],
  ])('answers INVALID_CONFIG for %s', (_, configEntries) => {
    const error = thrownBy(() => topicSpecOf({ topic: 't', configEntries }))
    expect((error as KafkaJSProtocolError).type).toBe('INVALID_CONFIG')
  })

  it.each([
    ['an entry that is not an object', Symbol('entry'), /topics entry/],
    ['configEntries that are not an array', { topic: 't', configEntries: 5 }, /configEntries/],
    ['a replicaAssignment of null', { topic: 't', replicaAssignment: null }, /replicaAssignment/],
    ['a BigInt partition count', { topic: 't', numPartitions: 3n }, /numPartitions.*3n/],
  ])('refuses %s, naming it', (_, input, message) => {
    const error = thrownBy(() => topicSpecOf(input))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as Error).message).toMatch(message)
  })
})

describe('partitionCountsOf', () => {
  it.each([1_000_000, 2 ** 40, 1.5, Number.NaN])('answers INVALID_PARTITIONS for %s', (count) => {
    const error = thrownBy(() => partitionCountsOf([{ topic: 't', count }]))
    expect((error as KafkaJSProtocolError).type).toBe('INVALID_PARTITIONS')
  })

  it('refuses a hole in the list rather than skipping it', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    expect(() => partitionCountsOf([, { topic: 't', count: 2 }])).toThrow(KafkaJSNonRetriableError)
  })
})
