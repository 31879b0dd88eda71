/*
 * What message counts cannot see of a thread's work, for virtual time to know it is quiet.
 *
 * Waits on shared memory (`Atomics.waitAsync`) wake a thread without a message: each such
 * wait registers what ends it, and the thread is not quiet while one of them already holds
 * (the thread is about to resume it). Work that runs turn after turn on its own (a consumer
 * reading a backlog from shared memory) notes each round of progress, so two looks at the
 * thread that see different counts tell it is still at work. Per thread: module state is
 * per worker.
 */

const waits = new Set<() => boolean>()
let progress = 0

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

/** A round of work that needed no message made progress. */
export function noteProgress(): void {
  progress++
}

/** Rounds of progress noted on this thread so far. */
export function progressNoted(): number {
  return progress
}
