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
  it('runs actor threads from plain .js files, with no TypeScript loader', async () => {
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
      const script = `
        const { ActorSystem } = await import(${JSON.stringify(`${outDir}src/runtime/index.js`)})
        const system = ActorSystem.start()
        const ref = await system.spawnOnThread({
          module: new URL(${JSON.stringify(`file://${outDir}test/fixtures/test-actors.js`)}),
          exportName: 'counter', name: 'counter', args: { start: 2 },
        })
        ref.tell({ type: 'add', n: 40 })
        console.log(await ref.ask({ type: 'get' }))
        await system.stop()
      `
      await writeFile(`${outDir}check.mjs`, script)
      const { stdout } = await run(process.execPath, [`${outDir}check.mjs`], { timeout: 30_000 })
      expect(stdout.trim()).toBe('42')
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
    expect(files).toContain('bin/samsa.js')
  })
})
