import { describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/api/cluster.js'
import { KafkaJSNonRetriableError } from '../../../src/api/errors.js'

describe('Cluster.start options', () => {
  // Every one is refused before a thread is started, so this needs no cluster to stop.
  it.each([
    ['brokers', { brokers: Symbol('three') }],
    ['brokers', { brokers: 3n }],
    ['maxMemoryBytes', { maxMemoryBytes: 0 }],
    ['maxMemoryBytes', { maxMemoryBytes: Number.POSITIVE_INFINITY }],
    ['maxMemoryBytes', { maxMemoryBytes: Object.create(null) }],
    ['logCapacityBytes', { logCapacityBytes: 2 ** 31 }],
    ['logCapacityBytes', { logCapacityBytes: 1000 }],
    ['seed', { seed: 'seven' }],
    ['clock', { clock: { now: () => 0 } }],
    ['sessionTimeoutMs', { sessionTimeoutMs: -1 }],
  ])('refuses a bad %s with a KafkaJS error naming it', async (name, options) => {
    const refusal = Cluster.start(options as never)
    await expect(refusal).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
    await expect(refusal).rejects.toThrow(name)
  })

  it('refuses options that are not an object', async () => {
    await expect(Cluster.start(Symbol('options') as never)).rejects.toBeInstanceOf(
      KafkaJSNonRetriableError,
    )
  })
})
