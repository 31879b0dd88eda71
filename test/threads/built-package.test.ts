import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
// Inside node_modules so that the built files still resolve the project's dependencies.
const outDir = fileURLToPath(
  new URL('../../node_modules/.cache/samsa-build-check/', import.meta.url),
)

describe('the built package', () => {
  it('runs actor threads from plain .js files, with no TypeScript loader, brokers from the thread bundle', async () => {
    await rm(outDir, { recursive: true, force: true })
    try {
      await run(process.execPath, [
        `${root}node_modules/typescript/bin/tsc`,
        '-p',
        `${root}tsconfig.json`,
        '--outDir',
        outDir,
      ]).catch(() => {
        // Type errors are `npm test`'s to report; the files are emitted all the same.
      })
      await run(process.execPath, [`${root}scripts/bundle-threads.mjs`, outDir])
      const built = (path: string) => JSON.stringify(`file://${outDir}${path}`)
      // A test actor is not in the thread bundle: its thread loads module by module. A
      // cluster's brokers run from the bundle.
      const script = `
        const { ActorSystem } = await import(${built('src/runtime/index.js')})
        const system = ActorSystem.start()
        const ref = await system.spawnOnThread({
          module: new URL(${built('test/fixtures/test-actors.js')}),
          exportName: 'counter', name: 'counter', args: { start: 2 },
        })
        ref.tell({ type: 'add', n: 40 })
        console.log(await ref.ask({ type: 'get' }))
        await system.stop()
        const { threadFiles } = await import(${built('src/runtime/thread/spawn-thread.js')})
        const files = threadFiles(
          new URL(${built('src/runtime/thread/actor-thread.js')}),
          new URL(${built('src/actors/broker/broker.js')}),
        )
        console.log(files.entry.href.slice(${outDir.length + 7}), files.module.slice(${outDir.length + 7}))
        const { Cluster } = await import(${built('src/index.js')})
        const cluster = await Cluster.start({ brokers: 1 })
        const admin = cluster.admin()
        await admin.connect()
        await admin.createTopics({ topics: [{ topic: 't' }] })
        const producer = cluster.producer()
        await producer.connect()
        const [written] = await producer.send({ topic: 't', messages: [{ value: 'v' }] })
        console.log(written.baseOffset)
        await cluster.stop()
      `
      await writeFile(`${outDir}check.mjs`, script)
      const { stdout } = await run(process.execPath, [`${outDir}check.mjs`], { timeout: 30_000 })
      expect(stdout.trim().split('\n')).toEqual([
        '42',
        'threads/src/runtime/thread/actor-thread.js threads/src/actors/broker/broker.js',
        '0',
      ])
    } finally {
      await rm(outDir, { recursive: true, force: true })
    }
  })

  it('is packed with its build: npm pack builds dist first (prepack)', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], {
      cwd: root,
      timeout: 120_000,
      maxBuffer: 16 << 20,
    })
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[]
    const files = new Set(packed?.files.map((file) => file.path))
    expect(files).toContain('dist/src/index.js')
    expect(files).toContain('dist/src/index.d.ts')
    expect(files).toContain('dist/src/actors/broker/broker.js')
    expect(files).toContain('dist/threads/src/actors/broker/broker.js')
    expect(files).toContain('bin/samsa.js')
    expect(files).toContain('dist/cli/main.js')
  })
})
