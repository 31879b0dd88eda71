import { readFileSync } from 'node:fs'

/*
 * Kafka's JSON message specs (clients/src/main/resources/common/message/*.json) as a model:
 * version ranges parsed, field types resolved into primitives, arrays and structs, and every
 * struct (inline or common) registered by name. The codec generator and the round-trip tests
 * both read the specs through this.
 */

/** Inclusive; `high` is Infinity for "N+"; empty when low > high ("none"). */
export interface VersionRange {
  readonly low: number
  readonly high: number
}

export const NO_VERSIONS: VersionRange = { low: 1, high: 0 }

export type PrimitiveName =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly name: string }
  | { readonly kind: 'array'; readonly element: FieldType }

export interface FieldSpec {
  readonly name: string
  readonly type: FieldType
  readonly versions: VersionRange
  readonly nullableVersions: VersionRange
  readonly taggedVersions: VersionRange
  readonly tag: number | undefined
  readonly ignorable: boolean
  /** The spec's default, as written; undefined when the spec gives none. */
  readonly defaultText: string | undefined
  /** A field's own flexibleVersions (RequestHeader's ClientId is never compact). */
  readonly flexibleVersions: VersionRange | undefined
  readonly about: string | undefined
}

export interface StructSpec {
  readonly name: string
  readonly fields: readonly FieldSpec[]
}

export interface MessageSpec {
  readonly name: string
  readonly kind: 'request' | 'response' | 'header'
  readonly apiKey: number | undefined
  readonly validVersions: VersionRange
  readonly flexibleVersions: VersionRange
  readonly latestVersionUnstable: boolean
  readonly fields: readonly FieldSpec[]
  /** Every struct the message defines, inline or in commonStructs, by name. */
  readonly structs: ReadonlyMap<string, StructSpec>
}

export function parseVersions(text: string): VersionRange {
  const trimmed = text.trim()
  if (trimmed === 'none') return NO_VERSIONS
  const plus = /^(\d+)\+$/.exec(trimmed)
  if (plus) return { low: Number(plus[1]), high: Number.POSITIVE_INFINITY }
  const span = /^(\d+)-(\d+)$/.exec(trimmed)
  if (span) return { low: Number(span[1]), high: Number(span[2]) }
  const single = /^(\d+)$/.exec(trimmed)
  if (single) return { low: Number(single[1]), high: Number(single[1]) }
  throw new Error(`unreadable version range "${text}"`)
}

export function isEmptyRange(range: VersionRange): boolean {
  return range.low > range.high
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const range = { low: Math.max(a.low, b.low), high: Math.min(a.high, b.high) }
  return isEmptyRange(range) ? NO_VERSIONS : range
}

export function contains(range: VersionRange, version: number): boolean {
  return version >= range.low && version <= range.high
}

/** Kafka's field names are PascalCase; TypeScript properties are camelCase. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

/** JSON with Kafka's `//` line comments, which may not start inside a string. */
export function stripLineComments(text: string): string {
  let result = ''
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (inString) {
      result += char
      if (char === '\\') result += text[++index] ?? ''
      else if (char === '"') inString = false
    } else if (char === '"') {
      inString = true
      result += char
    } else if (char === '/' && text[index + 1] === '/') {
      while (index < text.length && text[index] !== '\n') index++
      result += '\n'
    } else {
      result += char
    }
  }
  return result
}

export function readMessageSpec(path: string): MessageSpec {
  return parseMessageSpec(JSON.parse(stripLineComments(readFileSync(path, 'utf8'))))
}

type Json = Record<string, unknown>

export function parseMessageSpec(json: Json): MessageSpec {
  const name = requireString(json, 'name')
  const kind = requireString(json, 'type')
  if (kind !== 'request' && kind !== 'response' && kind !== 'header') {
    throw new Error(`${name}: unknown message type ${kind}`)
  }
  const structs = new Map<string, StructSpec>()
  const register = (struct: StructSpec): void => {
    if (structs.has(struct.name)) throw new Error(`${name}: struct ${struct.name} defined twice`)
    structs.set(struct.name, struct)
  }
  for (const common of asArray(json.commonStructs)) {
    register({
      name: requireString(common, 'name'),
      fields: asArray(common.fields).map((field) => parseField(name, field, register)),
    })
  }
  const fields = asArray(json.fields).map((field) => parseField(name, field, register))
  for (const struct of structs.values()) checkStructReferences(name, struct.fields, structs)
  checkStructReferences(name, fields, structs)
  return {
    name,
    kind,
    apiKey: typeof json.apiKey === 'number' ? json.apiKey : undefined,
    validVersions: parseVersions(requireString(json, 'validVersions')),
    flexibleVersions: parseVersions(requireString(json, 'flexibleVersions')),
    latestVersionUnstable: json.latestVersionUnstable === true,
    fields,
    structs,
  }
}

function parseField(
  messageName: string,
  json: Json,
  register: (struct: StructSpec) => void,
): FieldSpec {
  const name = requireString(json, 'name')
  const type = parseType(requireString(json, 'type'))
  const inlineFields = json.fields
  if (inlineFields !== undefined) {
    const structType = type.kind === 'array' ? type.element : type
    if (structType.kind !== 'struct') {
      throw new Error(`${messageName}.${name}: fields given for a non-struct type`)
    }
    register({
      name: structType.name,
      fields: asArray(inlineFields).map((field) => parseField(messageName, field, register)),
    })
  }
  const versions = parseVersions(requireString(json, 'versions'))
  const taggedVersions =
    typeof json.taggedVersions === 'string' ? parseVersions(json.taggedVersions) : NO_VERSIONS
  const tag = typeof json.tag === 'number' ? json.tag : undefined
  if (!isEmptyRange(taggedVersions) && tag === undefined) {
    throw new Error(`${messageName}.${name}: taggedVersions without a tag`)
  }
  return {
    name,
    type,
    versions,
    nullableVersions: intersect(
      versions,
      typeof json.nullableVersions === 'string'
        ? parseVersions(json.nullableVersions)
        : NO_VERSIONS,
    ),
    taggedVersions,
    tag,
    ignorable: json.ignorable === true,
    defaultText: json.default === undefined ? undefined : String(json.default),
    flexibleVersions:
      typeof json.flexibleVersions === 'string' ? parseVersions(json.flexibleVersions) : undefined,
    about: typeof json.about === 'string' ? json.about : undefined,
  }
}

const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveName>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
])

function parseType(text: string): FieldType {
  if (text.startsWith('[]')) return { kind: 'array', element: parseType(text.slice(2)) }
  if (PRIMITIVES.has(text)) return { kind: 'primitive', name: text as PrimitiveName }
  if (/^[A-Z]\w*$/.test(text)) return { kind: 'struct', name: text }
  throw new Error(`unknown field type ${text}`)
}

function checkStructReferences(
  messageName: string,
  fields: readonly FieldSpec[],
  structs: ReadonlyMap<string, StructSpec>,
): void {
  for (const field of fields) {
    const type = field.type.kind === 'array' ? field.type.element : field.type
    if (type.kind === 'struct' && !structs.has(type.name)) {
      throw new Error(`${messageName}.${field.name}: struct ${type.name} is not defined`)
    }
  }
}

function requireString(json: Json, key: string): string {
  const value = json[key]
  if (typeof value !== 'string') throw new Error(`spec field "${key}" missing or not a string`)
  return value
}

function asArray(value: unknown): Json[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new Error('expected an array in a spec')
  return value as Json[]
}

/** What a field holds when its version lacks it, or before a tagged field is read. */
export type DefaultValue =
  | { readonly kind: 'literal'; readonly value: number | bigint | string | boolean | null }
  | { readonly kind: 'zeroUuid' }
  | { readonly kind: 'emptyArray' }
  | { readonly kind: 'emptyBytes' }
  | { readonly kind: 'struct'; readonly name: string }

/** Kafka's rules: "null" only for a nullable field; otherwise zero, false, "", empty. */
export function fieldDefault(field: FieldSpec): DefaultValue {
  const text = field.defaultText
  const nullable = !isEmptyRange(field.nullableVersions)
  if (text === 'null') {
    if (!nullable) throw new Error(`${field.name}: default null on a non-nullable field`)
    return { kind: 'literal', value: null }
  }
  const type = field.type
  if (type.kind === 'array') return { kind: 'emptyArray' }
  if (type.kind === 'struct') return { kind: 'struct', name: type.name }
  switch (type.name) {
    case 'bool':
      return { kind: 'literal', value: text === 'true' }
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      return { kind: 'literal', value: text === undefined || text === '' ? 0 : Number(text) }
    case 'int64':
      return { kind: 'literal', value: text === undefined || text === '' ? 0n : BigInt(text) }
    case 'float64':
      return { kind: 'literal', value: text === undefined || text === '' ? 0 : Number(text) }
    case 'string':
      return { kind: 'literal', value: text ?? '' }
    case 'uuid':
      return { kind: 'zeroUuid' }
    case 'bytes':
      return { kind: 'emptyBytes' }
    case 'records':
      return nullable ? { kind: 'literal', value: null } : { kind: 'emptyBytes' }
  }
}
