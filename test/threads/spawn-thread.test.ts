import { once } from 'node:events'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import {
  importableInThread,
  siblingEntry,
  spawnThread,
  threadFiles,
} from '../../src/runtime/thread/spawn-thread.js'

const ECHO = new URL('../fixtures/echo-thread.ts', import.meta.url)

async function echoes(worker: Worker): Promise<unknown> {
  try {
    worker.postMessage(7)
    const [reply] = await once(worker, 'message')
    return reply
  } finally {
    await worker.terminate()
  }
}

describe('spawnThread', () => {
  it('starts a worker whose entry is one of the project’s TypeScript files, from its mirror', async () => {
    expect(await echoes(spawnThread(ECHO))).toEqual({ echoed: 7 })
    const runs = importableInThread(ECHO)
    expect(runs).toMatch(
      /node_modules\/\.cache\/samsa-threads\/[0-9a-f]+\/test\/fixtures\/echo-thread\.js$/,
    )
  })

  it('runs an actor thread from the thread bundle when its actor is in it, else module by module', () => {
    const actorThread = new URL('../../src/runtime/thread/actor-thread.ts', import.meta.url)
    const broker = new URL('../../src/actors/broker/broker.ts', import.meta.url)
    const testActors = new URL('../fixtures/test-actors.ts', import.meta.url)
    const bundled = threadFiles(actorThread, broker)
    expect(bundled.entry.href).toMatch(/\/bundled\/src\/runtime\/thread\/actor-thread\.js$/)
    expect(bundled.module).toMatch(/\/bundled\/src\/actors\/broker\/broker\.js$/)
    const apart = threadFiles(actorThread, testActors)
    expect(apart.entry).toBe(actorThread)
    expect(apart.module).toBe(importableInThread(testActors))
    expect(apart.module).not.toMatch(/\/bundled\//)
  })

  it('starts a TypeScript entry from outside the project through the tsx loader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-spawn-'))
    try {
      const outside = join(dir, 'echo-elsewhere.ts')
      copyFileSync(ECHO, outside)
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }')
      const entry = pathToFileURL(outside)
      expect(importableInThread(entry)).toBe(entry.href)
      expect(await echoes(spawnThread(entry))).toEqual({ echoed: 7 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('names entries with the extension of the module that names them', () => {
    expect(siblingEntry('file:///a/b/host.ts', 'worker').href).toBe('file:///a/b/worker.ts')
    expect(siblingEntry('file:///a/b/host.js', 'worker').href).toBe('file:///a/b/worker.js')
  })
})
