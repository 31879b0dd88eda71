import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator'

/** A reproducible stream of random numbers: the same seed gives the same sequence. */
export class SeededRandom {
  readonly #generator: JumpableRandomGenerator

  constructor(readonly seed: number) {
    this.#generator = xoroshiro128plus(seed)
  }

  /** A float in [0, 1). */
  next(): number {
    return uniformFloat64(this.#generator)
  }

  /** An independent stream for one named purpose, so streams do not depend on each other's use. */
  static derive(seed: number, ...names: readonly string[]): SeededRandom {
    return new SeededRandom(mixSeed(seed, names.join('\u0000')))
  }
}

/** FNV-1a over the name, folded with the seed: cheap and stable across runs and threads. */
function mixSeed(seed: number, name: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0
  for (let index = 0; index < name.length; index++) {
    hash ^= name.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash | 0
}
