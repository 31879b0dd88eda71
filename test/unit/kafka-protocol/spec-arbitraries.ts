import { join } from 'node:path'
import fc from 'fast-check'
import {
  camelCase,
  contains,
  type DefaultValue,
  type FieldSpec,
  type FieldType,
  fieldDefault,
  type MessageSpec,
  readMessageSpec,
} from '../../../scripts/kafka-protocol/message-spec.js'
import { uuidFromBytes, ZERO_UUID } from '../../../src/runtime/kafka-protocol/uuid.js'

/*
 * Values of any message at any version, built from the spec itself rather than from the
 * generated code: a field the version has takes an arbitrary value (null too where the
 * version allows it), a field it lacks takes its default, which is what decoding yields.
 */

const SPEC_DIR = join(import.meta.dirname, '../../../src/runtime/kafka-protocol/specs')

export function readSpec(name: string): MessageSpec {
  return readMessageSpec(join(SPEC_DIR, `${name}.json`))
}

export type Value = Record<string, unknown>

export function messageArbitrary(spec: MessageSpec, version: number): fc.Arbitrary<Value> {
  return structArbitrary(spec, spec.fields, version)
}

function structArbitrary(
  spec: MessageSpec,
  fields: readonly FieldSpec[],
  version: number,
): fc.Arbitrary<Value> {
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const field of fields) {
    model[camelCase(field.name)] = contains(field.versions, version)
      ? fieldArbitrary(spec, field, version)
      : fc.constant(defaultValue(spec, fieldDefault(field)))
  }
  return fc.record(model)
}

function fieldArbitrary(
  spec: MessageSpec,
  field: FieldSpec,
  version: number,
): fc.Arbitrary<unknown> {
  const value = typeArbitrary(spec, field.type, version)
  return contains(field.nullableVersions, version) ? fc.option(value, { nil: null }) : value
}

function typeArbitrary(spec: MessageSpec, type: FieldType, version: number): fc.Arbitrary<unknown> {
  if (type.kind === 'array') {
    return fc.array(typeArbitrary(spec, type.element, version), { maxLength: 3 })
  }
  if (type.kind === 'struct') return structArbitrary(spec, structFields(spec, type.name), version)
  switch (type.name) {
    case 'bool':
      return fc.boolean()
    case 'int8':
      return fc.integer({ min: -128, max: 127 })
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 })
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff })
    case 'int32':
      return fc.integer()
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffff_ffff })
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case 'float64':
      return fc.double()
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 })
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map(uuidFromBytes)
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 })
  }
}

function structFields(spec: MessageSpec, name: string): readonly FieldSpec[] {
  const struct = spec.structs.get(name)
  if (struct === undefined) throw new Error(`${spec.name} has no struct ${name}`)
  return struct.fields
}

function defaultValue(spec: MessageSpec, value: DefaultValue): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value
    case 'zeroUuid':
      return ZERO_UUID
    case 'emptyArray':
      return []
    case 'emptyBytes':
      return new Uint8Array(0)
    case 'struct': {
      const struct: Value = {}
      for (const field of structFields(spec, value.name)) {
        struct[camelCase(field.name)] = defaultValue(spec, fieldDefault(field))
      }
      return struct
    }
  }
}

/** Every version a message has. */
export function versionsOf(spec: MessageSpec): number[] {
  const versions: number[] = []
  for (let version = spec.validVersions.low; version <= spec.validVersions.high; version++) {
    versions.push(version)
  }
  return versions
}
