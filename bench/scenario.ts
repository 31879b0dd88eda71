/** A benchmark reachable as `samsa bench <name>`. It parses its own options from `argv`. */
export interface BenchScenario {
  readonly name: string
  readonly summary: string
  /** Lines printed under the scenario in `samsa bench --help`. */
  readonly usage: readonly string[]
  run(argv: readonly string[]): Promise<void>
}
