import { describe, expect, it } from 'vitest'
import {
  createProtocolError,
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSCreateTopicError,
  KafkaJSError,
  KafkaJSMetadataNotLoaded,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSTimeout,
  KafkaJSTopicMetadataNotLoaded,
  toKafkaJSError,
} from '../../../src/api/errors.js'
import {
  ActorTerminatedError,
  AskTimeoutError,
  SystemStoppedError,
} from '../../../src/runtime/errors/actor-errors.js'
import {
  InvalidArgumentError,
  KafkaProtocolError,
} from '../../../src/runtime/errors/samsa-error.js'

/** How users tell Kafka errors apart whatever path they took (see KAFKAJS-NOTES.md). */
const kafkaTypeOf = (error: unknown): string | undefined => {
  const typed = error as { type?: string; cause?: { type?: string } }
  return typed.type ?? typed.cause?.type
}

describe('KafkaJS error classes', () => {
  it('KafkaJSError defaults to retriable, as KafkaJS does, and keeps message and cause', () => {
    const cause = new Error('socket closed')
    const error = new KafkaJSError('The producer is disconnected', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('KafkaJSError')
    expect(error.message).toBe('The producer is disconnected')
    expect(error.retriable).toBe(true)
    expect(error.cause).toBe(cause)
    expect(new KafkaJSError('x', { retriable: false }).retriable).toBe(false)
  })

  it('KafkaJSError takes the message and helpUrl of an error-like source', () => {
    const error = new KafkaJSError({ message: 'boom', helpUrl: 'https://example.test/help' })
    expect(error.message).toBe('boom')
    expect(error.helpUrl).toBe('https://example.test/help')
    expect(error.cause).toBeUndefined()
  })

  it('KafkaJSNonRetriableError is a KafkaJSError that is never retriable', () => {
    const error = new KafkaJSNonRetriableError('Invalid topic')
    expect(error).toBeInstanceOf(KafkaJSError)
    expect(error.name).toBe('KafkaJSNonRetriableError')
    expect(error.retriable).toBe(false)
  })

  it('KafkaJSProtocolError carries type, code and the table retriable flag', () => {
    const retriable = createProtocolError('NOT_LEADER_OR_FOLLOWER', 'partition moved')
    expect(retriable).toBeInstanceOf(KafkaJSError)
    expect(retriable.name).toBe('KafkaJSProtocolError')
    expect(retriable.type).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(retriable.code).toBe(6)
    expect(retriable.retriable).toBe(true)
    expect(retriable.message).toContain('partition moved')

    const fatal = createProtocolError('MESSAGE_TOO_LARGE', 'record of 2 MiB')
    expect(fatal.code).toBe(10)
    expect(fatal.retriable).toBe(false)
    expect(fatal).not.toBeInstanceOf(KafkaJSNonRetriableError)
  })

  it('KafkaJSProtocolError accepts KafkaJS-shaped sources and a retriable override', () => {
    const source = { message: 'x', type: 'REQUEST_TIMED_OUT', code: 7, retriable: true }
    expect(new KafkaJSProtocolError(source, { retriable: false }).retriable).toBe(false)
  })

  it('KafkaJSOffsetOutOfRange and KafkaJSCreateTopicError are protocol errors with a place', () => {
    const source = new KafkaProtocolError('OFFSET_OUT_OF_RANGE', 'offset 99 past the end')
    const outOfRange = new KafkaJSOffsetOutOfRange(source, { topic: 'orders', partition: 2 })
    expect(outOfRange).toBeInstanceOf(KafkaJSProtocolError)
    expect(outOfRange.name).toBe('KafkaJSOffsetOutOfRange')
    expect([outOfRange.type, outOfRange.code, outOfRange.topic, outOfRange.partition]).toEqual([
      'OFFSET_OUT_OF_RANGE',
      1,
      'orders',
      2,
    ])

    const exists = new KafkaProtocolError('TOPIC_ALREADY_EXISTS', 'orders exists')
    const createError = new KafkaJSCreateTopicError(exists, 'orders')
    expect(createError).toBeInstanceOf(KafkaJSProtocolError)
    expect(createError.name).toBe('KafkaJSCreateTopicError')
    expect([createError.type, createError.code, createError.topic]).toEqual([
      'TOPIC_ALREADY_EXISTS',
      36,
      'orders',
    ])
  })

  it('KafkaJSNumberOfRetriesExceeded is non-retriable and exposes the last error as cause', () => {
    const last = createProtocolError('LEADER_NOT_AVAILABLE', 'electing')
    const error = new KafkaJSNumberOfRetriesExceeded(last, { retryCount: 5, retryTime: 3200 })
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect(error).toBeInstanceOf(KafkaJSError)
    expect(error).not.toBeInstanceOf(KafkaJSProtocolError)
    expect(error.name).toBe('KafkaJSNumberOfRetriesExceeded')
    expect(error.retriable).toBe(false)
    expect(error.message).toBe(last.message)
    expect(error.cause).toBe(last)
    expect([error.retryCount, error.retryTime]).toEqual([5, 3200])
    expect(error.stack).toContain('Caused by:')
    expect(kafkaTypeOf(error)).toBe('LEADER_NOT_AVAILABLE')
  })

  it('connection and request-timeout errors are retriable KafkaJSErrors', () => {
    const connection = new KafkaJSConnectionError('Connection error', { broker: 'broker-1' })
    expect(connection).toBeInstanceOf(KafkaJSError)
    expect([connection.name, connection.retriable, connection.broker]).toEqual([
      'KafkaJSConnectionError',
      true,
      'broker-1',
    ])
    const timeout = new KafkaJSRequestTimeoutError('Request timed out')
    expect(timeout).toBeInstanceOf(KafkaJSError)
    expect(timeout).not.toBeInstanceOf(KafkaJSNonRetriableError)
    expect([timeout.name, timeout.retriable]).toEqual(['KafkaJSRequestTimeoutError', true])
  })

  it('KafkaJSTimeout is non-retriable, unlike a request timeout', () => {
    const error = new KafkaJSTimeout('Timed out while waiting for topic leaders')
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect([error.name, error.retriable]).toEqual(['KafkaJSTimeout', false])
  })

  it('KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded and names the topic', () => {
    const error = new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', {
      topic: 'orders',
    })
    expect(error).toBeInstanceOf(KafkaJSMetadataNotLoaded)
    expect(error).toBeInstanceOf(KafkaJSError)
    expect([error.name, error.topic, error.retriable]).toEqual([
      'KafkaJSTopicMetadataNotLoaded',
      'orders',
      true,
    ])
  })

  it('KafkaJSAggregateError holds errors[] and is not a KafkaJSError', () => {
    const errors = [
      new KafkaJSCreateTopicError(new KafkaProtocolError('INVALID_TOPIC_EXCEPTION', 'bad'), 'a b'),
    ]
    const aggregate = new KafkaJSAggregateError('Topic creation errors', errors)
    expect(aggregate).toBeInstanceOf(Error)
    expect(aggregate).not.toBeInstanceOf(KafkaJSError)
    expect(aggregate.name).toBe('KafkaJSAggregateError')
    expect(aggregate.message).toBe('Topic creation errors')
    expect(aggregate.errors).toBe(errors)
    expect(aggregate.errors.map(kafkaTypeOf)).toEqual(['INVALID_TOPIC_EXCEPTION'])
  })
})

describe('toKafkaJSError', () => {
  it('turns a KafkaProtocolError into a KafkaJSProtocolError with its type and flag', () => {
    const original = new KafkaProtocolError('NOT_ENOUGH_REPLICAS', 'ISR of 1 below 2')
    const error = toKafkaJSError(original)
    expect(error).toBeInstanceOf(KafkaJSProtocolError)
    const protocol = error as KafkaJSProtocolError
    expect([protocol.type, protocol.code, protocol.retriable]).toEqual([
      'NOT_ENOUGH_REPLICAS',
      19,
      true,
    ])
    expect(protocol.cause).toBe(original)
    expect(kafkaTypeOf(error)).toBe('NOT_ENOUGH_REPLICAS')
  })

  it('turns an ask timeout into a retriable request timeout', () => {
    const original = AskTimeoutError.waitingOn('broker-1', 5000)
    const error = toKafkaJSError(original)
    expect(error).toBeInstanceOf(KafkaJSRequestTimeoutError)
    expect((error as KafkaJSError).retriable).toBe(true)
    expect(error.message).toBe(original.message)
    expect((error as KafkaJSError).cause).toBe(original)
  })

  it('turns a dead actor into a retriable connection error', () => {
    const error = toKafkaJSError(ActorTerminatedError.notRunning('broker-2', 'killed'))
    expect(error).toBeInstanceOf(KafkaJSConnectionError)
    expect((error as KafkaJSError).retriable).toBe(true)
  })

  it('turns an invalid argument into a non-retriable error', () => {
    const error = toKafkaJSError(new InvalidArgumentError('partition must be an integer'))
    expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect((error as KafkaJSError).retriable).toBe(false)
    expect(error.message).toBe('partition must be an integer')
  })

  it('wraps anything else in a KafkaJSError that keeps it as cause', () => {
    const bug = new TypeError('undefined is not a function')
    const error = toKafkaJSError(bug) as KafkaJSError
    expect(error.constructor).toBe(KafkaJSError)
    expect(error.cause).toBe(bug)
    expect(error.retriable).toBe(false)

    const stopped = toKafkaJSError(new SystemStoppedError()) as KafkaJSError
    expect(stopped.constructor).toBe(KafkaJSError)
    expect(stopped.retriable).toBe(false)

    const thrownString = toKafkaJSError('plain string') as KafkaJSError
    expect(thrownString.message).toBe('plain string')
    expect(thrownString.cause?.message).toBe('plain string')
  })

  it('passes KafkaJS errors through unchanged', () => {
    const original = new KafkaJSNonRetriableError('Invalid topic')
    expect(toKafkaJSError(original)).toBe(original)
    const aggregate = new KafkaJSAggregateError('x', [])
    expect(toKafkaJSError(aggregate)).toBe(aggregate)
  })
})
