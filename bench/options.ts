import { parseArgs } from 'node:util'

/*
 * A scenario's command-line options, each declared once in a table: what `--help` says of it,
 * its default, and what its value must be. `parseOptions` reads the arguments against the
 * table and checks every value, naming the flag it rejects; `usageOf` writes the `--help`
 * lines from the same table, so a default is never written in two places.
 */

export type Acks = -1 | 0 | 1

interface Described {
  readonly help: string
  /** What `--help` says happens when the option is not given and has no default. */
  readonly otherwise?: string
}

export interface IntegerOption extends Described {
  readonly kind: 'integer'
  readonly min: number
  readonly max?: number
  readonly default?: number
}

export interface DecimalOption extends Described {
  readonly kind: 'decimal'
  /** Whether 0 is allowed; a decimal is positive otherwise. */
  readonly zero?: boolean
  readonly default?: number
}

/** `--name true` or `--name false`. */
export interface BooleanOption extends Described {
  readonly kind: 'boolean'
  readonly default?: boolean
}

/** A switch: `--name` alone, false when absent. */
export interface FlagOption extends Described {
  readonly kind: 'flag'
}

/** Kafka's acks: 0, 1, or all (also written -1, which the shell needs as `--acks=-1`). */
export interface AcksOption extends Described {
  readonly kind: 'acks'
  readonly default: Acks
}

export interface DirectoryOption extends Described {
  readonly kind: 'directory'
}

/** One of a few words: `--path engine`. */
export interface ChoiceOption extends Described {
  readonly kind: 'choice'
  readonly values: readonly string[]
  readonly default?: string
}

/** A comma-separated list of integers, each checked as IntegerOption checks one: `1,4,64`. */
export interface IntegersOption extends Described {
  readonly kind: 'integers'
  readonly min: number
  readonly max?: number
  readonly default?: readonly number[]
}

export type OptionSpec =
  | IntegerOption
  | DecimalOption
  | BooleanOption
  | FlagOption
  | AcksOption
  | DirectoryOption
  | ChoiceOption
  | IntegersOption

export type OptionTable = Readonly<Record<string, OptionSpec>>

type ValueOf<Spec extends OptionSpec> = Spec extends IntegerOption | DecimalOption
  ? number
  : Spec extends BooleanOption | FlagOption
    ? boolean
    : Spec extends AcksOption
      ? Acks
      : Spec extends { readonly kind: 'choice'; readonly values: readonly (infer Value)[] }
        ? Value
        : Spec extends IntegersOption
          ? readonly number[]
          : string

/** The parsed values: an option with a default (or a flag) always has one. */
export type Options<Table extends OptionTable> = {
  readonly [Name in keyof Table]: Table[Name] extends FlagOption | { readonly default: unknown }
    ? ValueOf<Table[Name]>
    : ValueOf<Table[Name]> | undefined
}

const INTEGER = /^-?\d+$/
const DECIMAL = /^\d+(\.\d+)?$/
/** Where the help text starts on a `--help` line, and how long a line may be. */
const HELP_COLUMN = 19
const LINE_WIDTH = 100

const VALUE_NAMES: Readonly<Record<OptionSpec['kind'], string>> = {
  integer: ' N',
  decimal: ' N',
  boolean: ' B',
  flag: '',
  acks: ' N',
  directory: ' DIR',
  choice: ' WORD',
  integers: ' N[,N…]',
}

export function parseOptions<Table extends OptionTable>(
  argv: readonly string[],
  table: Table,
): Options<Table> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: Object.fromEntries(
      Object.entries(table).map(([name, spec]) => [
        name,
        { type: spec.kind === 'flag' ? ('boolean' as const) : ('string' as const) },
      ]),
    ),
  })
  const parsed: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(table)) {
    const given = values[name]
    if (spec.kind === 'flag') parsed[name] = given === true
    else if (typeof given === 'string') parsed[name] = checkedValue(name, spec, given)
    else parsed[name] = 'default' in spec ? spec.default : undefined
  }
  return parsed as Options<Table>
}

function checkedValue(name: string, spec: Exclude<OptionSpec, FlagOption>, given: string): unknown {
  switch (spec.kind) {
    case 'integer':
      return checkedInteger(name, spec, given)
    case 'integers': {
      const values = given.split(',').map((entry) => checkedInteger(name, spec, entry.trim()))
      if (new Set(values).size !== values.length) {
        throw new Error(`--${name} must not name a value twice`)
      }
      return values
    }
    case 'choice':
      if (spec.values.includes(given)) return given
      throw new Error(`--${name} must be one of ${spec.values.join(', ')}`)
    case 'decimal': {
      const value = Number(given)
      if (!DECIMAL.test(given) || value < (spec.zero ? 0 : Number.MIN_VALUE)) {
        throw new Error(`--${name} must be a ${spec.zero ? 'non-negative' : 'positive'} number`)
      }
      return value
    }
    case 'boolean':
      if (given === 'true' || given === 'false') return given === 'true'
      throw new Error(`--${name} must be true or false`)
    case 'acks': {
      const acks = given === 'all' ? -1 : Number(given)
      if (acks === -1 || acks === 0 || acks === 1) return acks
      throw new Error(`--${name} must be 0, 1 or all (-1)`)
    }
    case 'directory':
      return given
  }
}

function checkedInteger(name: string, spec: IntegerOption | IntegersOption, given: string): number {
  const { min, max = Number.MAX_SAFE_INTEGER } = spec
  const value = Number(given)
  if (!INTEGER.test(given) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`
    const what = spec.kind === 'integers' ? 'a list of integers, each' : 'an integer'
    throw new Error(`--${name} must be ${what} ${range}`)
  }
  return value
}

/** The `--help` lines of a table: the flag, what it does, its default; long ones wrapped. */
export function usageOf(table: OptionTable): string[] {
  return Object.entries(table).flatMap(([name, spec]) => {
    const value = spec.kind === 'choice' ? ` ${spec.values.join('|')}` : VALUE_NAMES[spec.kind]
    const flag = `--${name}${value}`
    const fallback =
      'default' in spec && spec.default !== undefined
        ? ` (default ${String(spec.default)})`
        : spec.otherwise === undefined
          ? ''
          : ` (default: ${spec.otherwise})`
    const indent = ' '.repeat(HELP_COLUMN)
    const help = wrap(`${spec.help}${fallback}`)
    // A flag too long for its column has a line of its own, the help under it.
    if (flag.length >= HELP_COLUMN) return [flag, ...help.map((line) => `${indent}${line}`)]
    return help.map((line, index) =>
      index === 0 ? `${flag.padEnd(HELP_COLUMN)}${line}` : `${indent}${line}`,
    )
  })
}

function wrap(text: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && HELP_COLUMN + line.length + 1 + word.length > LINE_WIDTH) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  return [...lines, line]
}
