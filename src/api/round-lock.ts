/**
 * Runs async sections one at a time, in the order they asked. The consumer's fetch rounds and
 * its rebalance steps share one, so an assignment never changes under a batch being handled.
 */
export class RoundLock {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(section)
    this.#tail = result.catch(() => {})
    return result
  }
}
