// A producer's options and a send's timeout, checked before anything is built from them, so
// that a wrong one is refused by name rather than failing later inside the client.

import { KafkaJSNonRetriableError } from './errors.js'
import { describeValue, requireObject } from './validation.js'

function refuse(name: string, expected: string, value: unknown): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(
    `Invalid producer ${name}: expected ${expected}, got ${describeValue(value)}`,
  )
}

function optionalCount(
  options: Readonly<Record<string, unknown>>,
  name: string,
  min: number,
): void {
  const value = options[name]
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw refuse(name, `an integer ≥ ${min}`, value)
  }
}

function optionalMs(options: Readonly<Record<string, unknown>>, name: string, min: number): void {
  const value = options[name]
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw refuse(name, `milliseconds ≥ ${min}`, value)
  }
}

/** KafkaJS's ProducerConfig, with samsa's accumulator settings; unknown keys are ignored. */
export function validateProducerConfig(config: unknown): void {
  const options = requireObject(config, 'producer config')
  optionalCount(options, 'maxInFlightRequests', 1)
  optionalCount(options, 'batchSize', 1)
  optionalMs(options, 'lingerMs', 0)
  optionalMs(options, 'requestTimeout', 1)
  optionalMs(options, 'transactionTimeout', 1)
  for (const name of ['idempotent', 'allowAutoTopicCreation'] as const) {
    const value = options[name]
    if (value !== undefined && typeof value !== 'boolean') throw refuse(name, 'a boolean', value)
  }
  const { transactionalId, createPartitioner } = options
  if (transactionalId !== undefined && typeof transactionalId !== 'string') {
    throw refuse('transactionalId', 'a string', transactionalId)
  }
  if (createPartitioner !== undefined && typeof createPartitioner !== 'function') {
    throw refuse('createPartitioner', 'a function', createPartitioner)
  }
}

/** A send's `timeout` (KafkaJS's produce request timeout, in ms). */
export function validateSendTimeout(timeout: unknown): void {
  if (timeout === undefined) return
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0) {
    throw new KafkaJSNonRetriableError(
      `Invalid timeout: expected milliseconds ≥ 0, got ${describeValue(timeout)}`,
    )
  }
}
