import type { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import { CONTROL_BYTES } from '../fixtures/log-record-content.js'

const CAPACITY = 64 * 1024
const LAPS = 100
const START_OFFSET = 2 ** 32 - 1000
const workers: Worker[] = []

function spawn(name: string, workerData: unknown): Worker {
  const worker = spawnThread(new URL(`../fixtures/${name}.ts`, import.meta.url), { workerData })
  workers.push(worker)
  return worker
}

/** The worker's next message; rejects if it fails or exits first. */
function nextMessage(worker: Worker): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`a worker exited with code ${code}`))
    worker.once('error', reject)
    worker.once('exit', onExit)
    worker.once('message', (message: unknown) => {
      worker.off('error', reject)
      worker.off('exit', onExit)
      if (typeof message === 'object' && message !== null)
        resolve(message as Record<string, unknown>)
      else reject(new Error(`a worker sent ${String(message)}`))
    })
  })
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()))
})

describe('partition log across threads', () => {
  it('one writer and three readers: every record arrives whole, evictions answer OFFSET_OUT_OF_RANGE', async () => {
    const seed = process.env.SAMSA_SEED
      ? Number(process.env.SAMSA_SEED)
      : (Math.random() * 2 ** 31) | 0
    try {
      const control = new SharedArrayBuffer(CONTROL_BYTES)
      const writer = spawn('log-writer-thread', {
        seed,
        capacity: CAPACITY,
        laps: LAPS,
        startOffset: START_OFFSET,
        maxAhead: 200,
        control,
      })
      const ready = await nextMessage(writer)
      expect(ready.type).toBe('ready')
      const readerSettings = [
        { strict: true, zeroCopy: false, maxBytes: 16 * 1024 },
        { strict: false, zeroCopy: true, maxBytes: 64 * 1024 },
        { strict: false, zeroCopy: false, maxBytes: 1 },
      ]
      const readers = readerSettings.map((settings) =>
        spawn('log-reader-thread', {
          ...settings,
          seed,
          handle: ready.handle,
          control,
          startOffset: START_OFFSET,
        }),
      )
      // Listen to every reader in the same tick as spawning it: a message without a listener is lost.
      const readerReady = await Promise.all(readers.map(nextMessage))
      for (const message of readerReady) expect(message.type).toBe('ready')
      const finished = Promise.all([writer, ...readers].map(nextMessage))
      for (const worker of [writer, ...readers]) worker.postMessage('go')
      const [written, ...read] = await finished
      expect(written?.laps).toBeGreaterThanOrEqual(LAPS)
      const records = written?.records as number
      expect(read[0]?.verified).toBe(records)
      for (const result of read) {
        expect(result.type).toBe('done')
        expect(result.next).toBe(START_OFFSET + records)
        expect(result.verified).toBeGreaterThan(0)
      }
    } catch (error) {
      process.stderr.write(
        `log thread test failed with seed ${seed} (rerun with SAMSA_SEED=${seed})\n`,
      )
      throw error
    }
  })
})
