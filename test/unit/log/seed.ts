/**
 * The seed for a property test: `SAMSA_SEED` when set (printed, so the log shows what ran),
 * otherwise a fresh one. fast-check prints the seed and the shrunk path of any failure.
 */
export function propertySeed(): number {
  const fromEnv = process.env.SAMSA_SEED
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv)
    if (!Number.isInteger(seed)) throw new Error(`SAMSA_SEED must be an integer, got ${fromEnv}`)
    process.stdout.write(`property tests use SAMSA_SEED=${seed}\n`)
    return seed
  }
  return (Math.random() * 0x7fffffff) | 0
}
