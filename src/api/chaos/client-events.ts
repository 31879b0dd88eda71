import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'
import type { ClientEvent, SendEvent, TopicPartition } from './history.js'

/*
 * The events a workload thread hands its driver cross a thread boundary: each is checked
 * here, field by field, before the checker trusts it.
 */

type Fields = Record<string, unknown>

function fieldsOf(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${what} is not an object`)
  }
  return value as Fields
}

function text(fields: Fields, name: string, what: string): string {
  const value = fields[name]
  if (typeof value !== 'string') throw new InvalidArgumentError(`${what}: ${name} is not a string`)
  return value
}

function count(fields: Fields, name: string, what: string): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`${what}: ${name} is not an integer`)
  }
  return value
}

function time(fields: Fields, name: string, what: string): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${what}: ${name} is not a time`)
  }
  return value
}

function topicPartition(fields: Fields, what: string): TopicPartition {
  return { topic: text(fields, 'topic', what), partition: count(fields, 'partition', what) }
}

const OUTCOMES: readonly SendEvent['outcome'][] = ['acknowledged', 'failed', 'unknown']

export function parseClientEvent(value: unknown): ClientEvent {
  const fields = fieldsOf(value, 'a client event')
  const what = `a ${String(fields.type)} event`
  switch (fields.type) {
    case 'send': {
      const outcome = OUTCOMES.find((candidate) => candidate === fields.outcome)
      if (outcome === undefined) throw new InvalidArgumentError(`${what}: unknown outcome`)
      return {
        type: 'send',
        ...topicPartition(fields, what),
        producer: text(fields, 'producer', what),
        value: text(fields, 'value', what),
        invokedAt: time(fields, 'invokedAt', what),
        completedAt: time(fields, 'completedAt', what),
        outcome,
        ...(fields.offset === undefined ? {} : { offset: count(fields, 'offset', what) }),
      }
    }
    case 'delivery':
      return {
        type: 'delivery',
        ...topicPartition(fields, what),
        time: time(fields, 'time', what),
        member: text(fields, 'member', what),
        generation: count(fields, 'generation', what),
        offset: count(fields, 'offset', what),
        value: text(fields, 'value', what),
      }
    case 'commit':
      return {
        type: 'commit',
        ...topicPartition(fields, what),
        time: time(fields, 'time', what),
        group: text(fields, 'group', what),
        member: text(fields, 'member', what),
        generation: count(fields, 'generation', what),
        offset: count(fields, 'offset', what),
      }
    case 'assignment': {
      if (!Array.isArray(fields.partitions)) {
        throw new InvalidArgumentError(`${what}: partitions is not a list`)
      }
      return {
        type: 'assignment',
        time: time(fields, 'time', what),
        member: text(fields, 'member', what),
        generation: count(fields, 'generation', what),
        partitions: fields.partitions.map((owned: unknown) =>
          topicPartition(fieldsOf(owned, `${what}'s partition`), what),
        ),
      }
    }
    default:
      throw new InvalidArgumentError(`${what} is not a client event`)
  }
}

export function parseClientEvents(value: unknown): ClientEvent[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError('client events are not a list')
  return value.map(parseClientEvent)
}
