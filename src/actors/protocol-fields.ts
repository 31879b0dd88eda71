import { ActorRef } from '../runtime/actor/actor-ref.js'
import { MalformedMessageError } from '../runtime/errors/actor-errors.js'

/*
 * Field readers for validating messages that arrive from another thread. Each throws a
 * MalformedMessageError that names the field, so a bad message is rejected, never trusted.
 */

export type Fields = Readonly<Record<string, unknown>>

export function fieldsOf(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedMessageError(`${what} must be an object`)
  }
  return value as Fields
}

export function stringField(fields: Fields, name: string): string {
  const value = fields[name]
  if (typeof value !== 'string') throw new MalformedMessageError(`${name} must be a string`)
  return value
}

/** A string that may be absent (undefined or null: msgpack gives either). */
export function optionalStringField(fields: Fields, name: string): string | undefined {
  const value = fields[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new MalformedMessageError(`${name} must be a string`)
  return value
}

export function integerField(fields: Fields, name: string, min = Number.MIN_SAFE_INTEGER): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new MalformedMessageError(`${name} must be an integer ≥ ${min}`)
  }
  return value
}

/** A finite number (NaN and ±Infinity pass `typeof` but no check worth having). */
export function numberField(fields: Fields, name: string, min = -Number.MAX_VALUE): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MalformedMessageError(`${name} must be a number ≥ ${min}`)
  }
  return value
}

export function optionalIntegerField(fields: Fields, name: string, min = 0): number | undefined {
  return fields[name] === undefined || fields[name] === null
    ? undefined
    : integerField(fields, name, min)
}

export function booleanField(fields: Fields, name: string): boolean {
  const value = fields[name]
  if (typeof value !== 'boolean') throw new MalformedMessageError(`${name} must be a boolean`)
  return value
}

export function bytesField(fields: Fields, name: string): Uint8Array {
  const value = fields[name]
  if (!(value instanceof Uint8Array)) throw new MalformedMessageError(`${name} must be bytes`)
  return value
}

export function arrayField(fields: Fields, name: string): readonly unknown[] {
  const value = fields[name]
  if (!Array.isArray(value)) throw new MalformedMessageError(`${name} must be an array`)
  return value
}

export function stringArrayField(fields: Fields, name: string): string[] {
  return arrayField(fields, name).map((entry) => {
    if (typeof entry !== 'string') throw new MalformedMessageError(`${name} must be strings`)
    return entry
  })
}

export function integerArrayField(fields: Fields, name: string, min = 0): number[] {
  return arrayField(fields, name).map((entry) => {
    if (typeof entry !== 'number' || !Number.isInteger(entry) || entry < min) {
      throw new MalformedMessageError(`${name} must be integers ≥ ${min}`)
    }
    return entry
  })
}

export function refField<Msg>(fields: Fields, name: string): ActorRef<Msg> {
  const value = fields[name]
  if (!(value instanceof ActorRef)) throw new MalformedMessageError(`${name} must be an actor ref`)
  return value as ActorRef<Msg>
}
