import type { Clock } from '../clock/clock.js'
import { registerWait } from '../clock/local-activity.js'

/*
 * Waiting for a shared word to change without blocking the event loop.
 *
 * `Atomics.waitAsync` registers a waiter but holds no handle on the event loop, so a worker
 * whose only pending work is such a wait would exit. The deadline timer below (on the
 * caller's clock: a real one holds the handle, a virtual one ends the wait when time passes)
 * also wakes the waiter when it fires (a spurious wake for any other waiter on the word,
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
  clock: Clock,
  spinIterations = 0,
): Promise<boolean> {
  if (ready()) return true
  for (let spin = 0; spin < spinIterations; spin++) if (ready()) return true
  if (timeoutMs <= 0) return false
  const { words, notifyIndex, waitersIndex } = word
  let expired = false
  const timer = clock.schedule(Math.min(timeoutMs, KEEP_ALIVE_MS), () => {
    expired = true
    Atomics.notify(words, notifyIndex)
  })
  Atomics.add(words, waitersIndex, 1)
  const ended = registerWait(() => expired || ready())
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
    ended()
    Atomics.sub(words, waitersIndex, 1)
    clock.cancel(timer)
  }
}

/** The writer's side: publish a change, and wake waiters only if there are any. */
export function notifyChange(word: WaitWord): void {
  Atomics.add(word.words, word.notifyIndex, 1)
  if (Atomics.load(word.words, word.waitersIndex) > 0) Atomics.notify(word.words, word.notifyIndex)
}

/** The longest one `Atomics.waitAsync` of `waitForWordChange` lives before it is made again. */
const REWATCH_MS = 1_000

/**
 * Resolves once `words[index]` is no longer `seen`, or `timeoutMs` has passed on `clock`. For a
 * word whose writer notifies every change but keeps no count of waiters: the deadline ends the
 * wait without a notify (which would wake every other waiter on the word), and each native
 * waiter is remade every second of real time, so none outlives the wait for long.
 */
export function waitForWordChange(
  words: Int32Array,
  index: number,
  seen: number,
  timeoutMs: number,
  clock: Clock,
): Promise<void> {
  return new Promise((resolve) => {
    let done = false
    const changed = () => Atomics.load(words, index) !== seen
    const ended = registerWait(changed)
    const finish = () => {
      if (done) return
      done = true
      clock.cancel(timer)
      ended()
      resolve()
    }
    const timer = clock.schedule(timeoutMs, finish)
    const watch = () => {
      if (done) return
      if (changed()) return finish()
      const wait = Atomics.waitAsync(
        words,
        index,
        seen,
        Math.max(1, Math.min(timeoutMs, REWATCH_MS)),
      )
      // Not async: the word moved between the check and the call.
      if (wait.async) void wait.value.then(watch)
      else finish()
    }
    watch()
  })
}
