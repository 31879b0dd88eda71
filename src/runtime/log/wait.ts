/*
 * Waiting for a shared word to change without blocking the event loop.
 *
 * `Atomics.waitAsync` registers a waiter but holds no handle on the event loop, so a worker
 * whose only pending work is such a wait would exit. The deadline timer below is that handle;
 * when it fires it also wakes the waiter (a spurious wake for any other waiter on the word,
 * which each re-checks and sleeps again).
 */

/** Timer period that stands in for "forever": Node caps timers near 2^31 ms. */
const KEEP_ALIVE_MS = 0x7fff_ffff

export interface WaitWord {
  readonly words: Int32Array
  /** Index of the word the writer bumps (and notifies) on each change. */
  readonly notifyIndex: number
  /** Index of the count of waiters, so the writer can skip Atomics.notify when it is zero. */
  readonly waitersIndex: number
}

/**
 * Resolves true as soon as `ready()` holds, false once `timeoutMs` passes first. Spins
 * `spinIterations` times before sleeping (worth it only while threads ≤ cores).
 */
export async function waitUntil(
  word: WaitWord,
  ready: () => boolean,
  timeoutMs: number,
  spinIterations = 0,
): Promise<boolean> {
  if (ready()) return true
  for (let spin = 0; spin < spinIterations; spin++) if (ready()) return true
  if (timeoutMs <= 0) return false
  const { words, notifyIndex, waitersIndex } = word
  let expired = false
  const timer = setTimeout(
    () => {
      expired = true
      Atomics.notify(words, notifyIndex)
    },
    Math.min(timeoutMs, KEEP_ALIVE_MS),
  )
  Atomics.add(words, waitersIndex, 1)
  try {
    for (;;) {
      // Read the word before checking: a change after the check makes waitAsync return at once.
      const seen = Atomics.load(words, notifyIndex)
      if (ready()) return true
      if (expired) return false
      const result = Atomics.waitAsync(words, notifyIndex, seen)
      if (result.async) await result.value
    }
  } finally {
    Atomics.sub(words, waitersIndex, 1)
    clearTimeout(timer)
  }
}

/** The writer's side: publish a change, and wake waiters only if there are any. */
export function notifyChange(word: WaitWord): void {
  Atomics.add(word.words, word.notifyIndex, 1)
  if (Atomics.load(word.words, word.waitersIndex) > 0) Atomics.notify(word.words, word.notifyIndex)
}
