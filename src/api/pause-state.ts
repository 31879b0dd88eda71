import type { TopicPartitions } from './consumer-config.js'

/** Paused topics and partitions. A whole topic stays paused for partitions found later too. */
export class PauseState {
  readonly #topics = new Map<string, { all: boolean; listed: Set<number> }>()

  isPaused(topic: string, partition: number): boolean {
    const state = this.#topics.get(topic)
    if (state === undefined) return false
    // With `all`, `listed` holds the partitions resumed since.
    return state.all !== state.listed.has(partition)
  }

  pause(topic: string, partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.#topics.set(topic, { all: true, listed: new Set() })
      return
    }
    const state = this.#state(topic)
    for (const partition of partitions) {
      if (state.all) state.listed.delete(partition)
      else state.listed.add(partition)
    }
  }

  resume(topic: string, partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.#topics.delete(topic)
      return
    }
    const state = this.#state(topic)
    for (const partition of partitions) {
      if (state.all) state.listed.add(partition)
      else state.listed.delete(partition)
    }
  }

  paused(assignment: ReadonlyMap<string, readonly number[]>): TopicPartitions[] {
    const result: TopicPartitions[] = []
    for (const [topic, partitions] of assignment) {
      const paused = partitions.filter((partition) => this.isPaused(topic, partition))
      if (paused.length > 0) result.push({ topic, partitions: paused })
    }
    return result
  }

  clear(): void {
    this.#topics.clear()
  }

  #state(topic: string): { all: boolean; listed: Set<number> } {
    let state = this.#topics.get(topic)
    if (state === undefined) {
      state = { all: false, listed: new Set() }
      this.#topics.set(topic, state)
    }
    return state
  }
}
