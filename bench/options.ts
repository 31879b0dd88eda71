import { availableParallelism, cpus } from 'node:os'

/*
 * Option checks and machine facts shared by the scenarios. Options come from
 * `util.parseArgs` as strings; each check names the flag it rejects.
 */

type OptionValues = Readonly<Record<string, unknown>>

const INTEGER = /^-?\d+$/
const DECIMAL = /^\d+(\.\d+)?$/

export function integerOption(values: OptionValues, name: string, min: number): number {
  const raw = values[name]
  if (typeof raw !== 'string' || !INTEGER.test(raw) || Number(raw) < min) {
    throw new Error(`--${name} must be an integer ≥ ${min}`)
  }
  return Number(raw)
}

function numberOption(values: OptionValues, name: string, allowZero: boolean): number {
  const raw = values[name]
  if (
    typeof raw !== 'string' ||
    !DECIMAL.test(raw) ||
    Number(raw) < (allowZero ? 0 : Number.MIN_VALUE)
  ) {
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`)
  }
  return Number(raw)
}

export function positiveNumberOption(values: OptionValues, name: string): number {
  return numberOption(values, name, false)
}

export function nonNegativeNumberOption(values: OptionValues, name: string): number {
  return numberOption(values, name, true)
}

/** An optional option: undefined when it was not given, else checked by `parse`. */
export function optional<T>(
  values: OptionValues,
  name: string,
  parse: (values: OptionValues, name: string) => T,
): T | undefined {
  return values[name] === undefined ? undefined : parse(values, name)
}

export function booleanOption(values: OptionValues, name: string): boolean {
  if (values[name] === 'true') return true
  if (values[name] === 'false') return false
  throw new Error(`--${name} must be true or false`)
}

/** Kafka's `acks`: 0, 1, or all (also written -1, which the shell needs as `--acks=-1`). */
export function acksOption(values: OptionValues): -1 | 0 | 1 {
  const acks = values.acks === 'all' ? -1 : Number(values.acks)
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new Error('--acks must be 0, 1 or all (-1)')
  return acks
}

/** What a reader needs to compare a figure with one measured elsewhere. */
export function machineFacts() {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
  }
}
