/**
 * How many messages this thread's system posted to each other thread and took from each, data
 * and control frames alike. Virtual time is quiet only when, for every pair of threads, what
 * one sent the other has received: nothing is in flight. Counting costs one array write per
 * frame, so it is always on.
 */
export class ThreadTraffic {
  readonly #sentTo: number[] = []
  readonly #receivedFrom: number[] = []

  sent(node: number): void {
    this.#sentTo[node] = (this.#sentTo[node] ?? 0) + 1
  }

  received(node: number): void {
    this.#receivedFrom[node] = (this.#receivedFrom[node] ?? 0) + 1
  }

  /** The thread `node` died (or left): a new one under that number starts the count again. */
  forget(node: number): void {
    delete this.#sentTo[node]
    delete this.#receivedFrom[node]
  }

  snapshot(): TrafficCounts {
    return { sentTo: counted(this.#sentTo), receivedFrom: counted(this.#receivedFrom) }
  }
}

/** Counts by node, as `[node, count]` pairs (they cross threads). */
export interface TrafficCounts {
  readonly sentTo: readonly (readonly [number, number])[]
  readonly receivedFrom: readonly (readonly [number, number])[]
}

function counted(byNode: readonly number[]): [number, number][] {
  const pairs: [number, number][] = []
  byNode.forEach((count, node) => {
    pairs.push([node, count])
  })
  return pairs
}

function isCountList(value: unknown): value is [number, number][] {
  return (
    Array.isArray(value) &&
    value.every(
      (pair) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        Number.isInteger(pair[0]) &&
        Number.isInteger(pair[1]),
    )
  )
}

/** Validates counts that crossed a thread boundary; undefined when malformed. */
export function parseTrafficCounts(value: unknown): TrafficCounts | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { sentTo, receivedFrom } = value as Record<string, unknown>
  return isCountList(sentTo) && isCountList(receivedFrom) ? { sentTo, receivedFrom } : undefined
}
