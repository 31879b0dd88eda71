import fc from 'fast-check'

/*
 * Arguments a mistaken caller might pass to a public call: anything JavaScript has (Symbols,
 * BigInts, functions, cyclic and prototype-less objects, huge strings and numbers), and, in a
 * field's place, values near what it takes, so that calls also get past their first check.
 */

const cyclic: Record<string, unknown> = { name: 'cyclic' }
cyclic.self = cyclic
const cyclicArray: unknown[] = ['cyclic']
cyclicArray.push(cyclicArray)

/** Made once: a property run passes the same huge values many times without building them. */
const HUGE_STRING = 'x'.repeat(4_000_000)
const HUGE_ARRAY = Array.from({ length: 100_000 }, (_, index) => index)

const oddities: readonly unknown[] = [
  Symbol('fuzz'),
  Symbol(),
  Symbol.iterator,
  10n ** 30n,
  -1n,
  () => 'not an option',
  async () => {},
  cyclic,
  cyclicArray,
  Object.create(null),
  HUGE_STRING,
  HUGE_ARRAY,
  new Map([['topic', 'fuzz-target']]),
  new Uint8Array(3),
  new Date(Number.NaN),
  /regex/,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  2 ** 40,
  1_000_000,
  Number.MAX_SAFE_INTEGER + 2,
  -1,
  -2,
  0.5,
  '',
  '   ',
  '-1',
  '1e3',
  'fuzz-target',
  null,
  undefined,
  true,
]

/** Any value at all. */
export const wild: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...oddities),
  fc.anything({
    maxDepth: 2,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withTypedArray: true,
    withSparseArray: true,
  }),
)

/**
 * A field's value: mostly something near what it takes, else anything, so that a call with
 * several fields still often gets past its checks to the work behind them.
 */
export function near(...plausible: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: wild, weight: 1 },
    ...plausible.map((arbitrary) => ({ arbitrary, weight: 4 })),
  )
}

/** Topic names that exist, do not, or cannot (never the topic whose health is checked). */
export const topicName = near(
  fc.constantFrom('fuzz-target', 'missing-topic', 'fuzz-made', 'bad/name', '', 'x'.repeat(300)),
)
export const partition = near(fc.integer({ min: -2, max: 6 }))
export const offset = near(
  fc.integer({ min: -3, max: 100 }),
  fc.integer({ min: -3, max: 100 }).map(String),
)
export const groupId = near(fc.constantFrom('fuzz-group', 'fuzz-idle', ''))

/** An object with some of `fields`, each from its arbitrary; or anything in its place. */
export function shaped(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return near(fc.record(fields, { requiredKeys: [] }))
}

export function listOf(item: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return near(fc.array(item, { maxLength: 4 }))
}
