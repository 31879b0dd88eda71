import { createHash } from 'node:crypto'
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BUNDLED_THREAD_SOURCES, threadBundleOptions } from './thread-bundles.js'

/*
 * Worker threads from the TypeScript sources (tests, `npx samsa` in a checkout). Node 20 cannot
 * load a .ts file, and registering tsx's loader in each worker made every thread slow to start
 * (its hooks run on a thread of their own; bench/README.md has the figures).
 * Instead the project's sources are transpiled once, by esbuild (what tsx itself uses), into a
 * plain-JavaScript mirror of the tree under node_modules/.cache, so that relative imports and
 * packages resolve as from the sources, and workers run that. Any source file added, removed or
 * changed makes a new mirror. A built package never comes here: its entries are .js already.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SOURCE_FOLDERS = ['src', 'bench', 'test']
const CACHE = join(PROJECT_ROOT, 'node_modules', '.cache', 'samsa-threads')
const STALE_AFTER_MS = 24 * 60 * 60 * 1000
/** Where in a mirror the thread bundles are (see thread-bundles.ts). */
const BUNDLE_FOLDER = 'bundled'

interface BuildSync {
  buildSync(options: Record<string, unknown>): unknown
}

let current: string | undefined

function sourceFiles(): string[] {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path)
    }
  }
  for (const folder of SOURCE_FOLDERS) {
    const dir = join(PROJECT_ROOT, folder)
    if (existsSync(dir)) walk(dir)
  }
  return files.sort()
}

/** The mirror of the sources as they are now, built if it is not there yet. */
function mirror(): string {
  if (current !== undefined) return current
  const files = sourceFiles()
  const fingerprint = createHash('sha1')
  for (const file of files) {
    const { mtimeMs, size } = statSync(file)
    fingerprint.update(`${file}\0${mtimeMs}\0${size}\n`)
  }
  const dir = join(CACHE, fingerprint.digest('hex').slice(0, 16))
  if (!existsSync(dir)) {
    // Built aside and renamed into place, so that another process never sees half a mirror.
    const building = `${dir}.${process.pid}.${Date.now()}`
    const esbuild = createRequire(import.meta.url)('esbuild') as BuildSync
    esbuild.buildSync({
      entryPoints: files,
      outdir: building,
      outbase: PROJECT_ROOT,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Beside the files, not inline: read only with --enable-source-maps, never parsed otherwise.
      sourcemap: 'linked',
      tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
      logLevel: 'error',
    })
    esbuild.buildSync(threadBundleOptions(PROJECT_ROOT, join(building, BUNDLE_FOLDER)))
    try {
      renameSync(building, dir)
    } catch {
      rmSync(building, { recursive: true, force: true })
      if (!existsSync(dir)) throw new Error(`could not place the thread mirror at ${dir}`)
    }
    // Older mirrors go once nobody could still be running one (a day after they were made).
    for (const old of readdirSync(CACHE)) {
      const path = join(CACHE, old)
      if (path !== dir && Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) {
        rmSync(path, { recursive: true, force: true })
      }
    }
  }
  current = dir
  return dir
}

/** Whether `url` is one of this project's TypeScript sources, which the mirror covers. */
export function isMirrored(url: URL): boolean {
  if (url.protocol !== 'file:' || !url.pathname.endsWith('.ts')) return false
  const path = relative(PROJECT_ROOT, fileURLToPath(url))
  return SOURCE_FOLDERS.some((folder) => path.startsWith(`${folder}${sep}`))
}

/** The plain-JavaScript file a worker runs for a TypeScript source of this project. */
export function mirroredUrl(url: URL): URL {
  const path = relative(PROJECT_ROOT, fileURLToPath(url)).replace(/\.ts$/, '.js')
  return pathToFileURL(join(mirror(), path))
}

/** The bundled file a worker runs for a source in BUNDLED_THREAD_SOURCES; undefined for others. */
export function bundledUrl(url: URL): URL | undefined {
  if (url.protocol !== 'file:') return undefined
  const source = relative(PROJECT_ROOT, fileURLToPath(url))
  if (!BUNDLED_THREAD_SOURCES.includes(source)) return undefined
  return pathToFileURL(join(mirror(), BUNDLE_FOLDER, source.replace(/\.ts$/, '.js')))
}
