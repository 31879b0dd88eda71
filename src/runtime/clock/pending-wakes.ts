/*
 * Waits on shared memory (`Atomics.waitAsync`) wake a thread without a message, so message
 * counts cannot tell that such a wake is on its way. Each such wait on this thread registers
 * what ends it; virtual time is not quiet while one of them already holds (its thread is about
 * to resume it). Per thread: module state is per worker.
 */

const waits = new Set<() => boolean>()

/** Registers a wait that ends once `ends()` holds; call the returned function when it ended. */
export function registerWait(ends: () => boolean): () => void {
  waits.add(ends)
  return () => waits.delete(ends)
}

/** Whether a wait of this thread is over but has not resumed yet. */
export function aWaitIsEnding(): boolean {
  for (const ends of waits) if (ends()) return true
  return false
}
