import { InvalidArgumentError } from './errors/samsa-error.js'

declare const brand: unique symbol
/** A number that the type checker will not confuse with another kind of number. */
export type Branded<T, Name extends string> = T & { readonly [brand]: Name }

/**
 * A record's position in a partition (Kafka's int64). Held as a JS number: exact to 2^53,
 * far past anything a partition reaches, and free of BigInt churn on the record path.
 */
export type Offset = Branded<number, 'Offset'>
export type LeaderEpoch = Branded<number, 'LeaderEpoch'>
export type BrokerId = Branded<number, 'BrokerId'>
export type PartitionId = Branded<number, 'PartitionId'>

function nonNegativeInteger(value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(
      `${what} must be an integer from 0 to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
    )
  }
  return value
}

export const toOffset = (value: unknown, what = 'offset'): Offset =>
  nonNegativeInteger(value, what, Number.MAX_SAFE_INTEGER) as Offset
export const toLeaderEpoch = (value: unknown): LeaderEpoch =>
  nonNegativeInteger(value, 'leader epoch', 0x7fffffff) as LeaderEpoch
export const toBrokerId = (value: unknown): BrokerId =>
  nonNegativeInteger(value, 'broker id', 0x7fffffff) as BrokerId
export const toPartitionId = (value: unknown): PartitionId =>
  nonNegativeInteger(value, 'partition', 0x7fffffff) as PartitionId
