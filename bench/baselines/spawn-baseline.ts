import { Worker } from 'node:worker_threads'
import { siblingEntry, spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import { isReady } from './baseline-protocol.js'
import { nextMessage } from './thread-messages.js'

/*
 * What starting threads costs before any of samsa runs on them, for the startup scenario:
 *   bare-workers         `threads` workers started the way samsa starts its brokers (from the
 *                        sources, the transpiled mirror), each loading a module that only
 *                        says it is up
 *   bare-workers-plain   the same from an inline script: no loader, no module to load
 * Each from the first spawn to every thread's first message (startMs), then terminate (stopMs).
 */

export interface SpawnFigures {
  readonly startMs: number
  readonly stopMs: number
}

const READY_ENTRY = siblingEntry(import.meta.url, 'ready-thread')
const PLAIN_SCRIPT = "require('node:worker_threads').parentPort.postMessage({ type: 'ready' })"

async function measure(threads: number, spawn: () => Worker): Promise<SpawnFigures> {
  const started = performance.now()
  const workers = Array.from({ length: threads }, spawn)
  try {
    const ready = await Promise.all(workers.map(nextMessage))
    if (!ready.every(isReady)) throw new Error('a spawn baseline thread did not start')
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()))
    throw error
  }
  const up = performance.now()
  await Promise.all(workers.map((worker) => worker.terminate()))
  const round2 = (value: number) => Math.round(value * 100) / 100
  return { startMs: round2(up - started), stopMs: round2(performance.now() - up) }
}

export async function measureSpawnBaselines(
  threads: number,
): Promise<{ 'bare-workers': SpawnFigures; 'bare-workers-plain': SpawnFigures }> {
  const loaded = await measure(threads, () => spawnThread(READY_ENTRY))
  const plain = await measure(threads, () => new Worker(PLAIN_SCRIPT, { eval: true }))
  return { 'bare-workers': loaded, 'bare-workers-plain': plain }
}
