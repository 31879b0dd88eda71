import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { siblingEntry, spawnThread } from '../../src/runtime/thread/spawn-thread.js'

describe('spawnThread', () => {
  it('starts a worker whose entry is a TypeScript file', async () => {
    const worker = spawnThread(new URL('../fixtures/echo-thread.ts', import.meta.url))
    try {
      worker.postMessage(7)
      const [reply] = await once(worker, 'message')
      expect(reply).toEqual({ echoed: 7 })
    } finally {
      await worker.terminate()
    }
  })

  it('names entries with the extension of the module that names them', () => {
    expect(siblingEntry('file:///a/b/host.ts', 'worker').href).toBe('file:///a/b/worker.ts')
    expect(siblingEntry('file:///a/b/host.js', 'worker').href).toBe('file:///a/b/worker.js')
  })
})
