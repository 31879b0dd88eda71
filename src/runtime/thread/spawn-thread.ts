import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { bundledUrl, isMirrored, mirroredUrl } from './source-mirror.js'
import { BUNDLED_THREAD_SOURCES } from './thread-bundles.js'

/** The tree this file is in: the project from the sources, `dist/` in a built package. */
const TREE_ROOT = new URL('../../../', import.meta.url)

/**
 * The one way samsa starts a worker thread.
 *
 * From a built package (`dist/`) the entry is plain `.js` and is started directly. From the
 * TypeScript sources (tests, `npx samsa` in a checkout) the worker runs the entry's transpiled
 * mirror (see source-mirror.ts). A `.ts` entry outside this project, which the mirror does not
 * cover, registers tsx's loader hooks in the worker first (slower to start).
 */
export function spawnThread(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options)
  if (isMirrored(entry)) return new Worker(mirroredUrl(entry), options)
  const bootstrap = `import(${JSON.stringify(tsxLoaderUrl())})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}

/** What a worker imports for `module`: its mirror when it is one of this project's sources. */
export function importableInThread(module: URL): string {
  return isMirrored(module) ? mirroredUrl(module).href : module.href
}

/**
 * What a worker runs for `entry`, and imports for `module` (an actor's, which the entry
 * imports by URL): both from the thread bundle when both are in it (see thread-bundles.ts),
 * otherwise module by module. Never one from each: a module the two share would be loaded
 * twice, as two modules.
 */
export function threadFiles(entry: URL, module: URL): { entry: URL; module: string } {
  const entryFile = bundledFile(entry)
  const moduleFile = bundledFile(module)
  if (entryFile !== undefined && moduleFile !== undefined) {
    return { entry: entryFile, module: moduleFile.href }
  }
  return { entry, module: importableInThread(module) }
}

/** What a worker that imports nothing by URL runs for `entry`: the bundle's file, if it has one. */
export function bundledEntry(entry: URL): URL {
  return bundledFile(entry) ?? entry
}

/** The bundle's file for `url` from the sources or from a built package that has the bundle. */
function bundledFile(url: URL): URL | undefined {
  if (url.pathname.endsWith('.ts')) return isMirrored(url) ? bundledUrl(url) : undefined
  if (url.protocol !== 'file:' || !url.href.startsWith(TREE_ROOT.href)) return undefined
  const built = relative(fileURLToPath(TREE_ROOT), fileURLToPath(url))
  if (!BUNDLED_THREAD_SOURCES.includes(built.replace(/\.js$/, '.ts'))) return undefined
  const file = new URL(`threads/${built}`, TREE_ROOT)
  return existsSync(file) ? file : undefined
}

/** Entry files sit next to the module that names them, with the same extension it has. */
export function siblingEntry(moduleUrl: string, baseName: string): URL {
  const extension = moduleUrl.endsWith('.ts') ? '.ts' : '.js'
  return new URL(`./${baseName}${extension}`, moduleUrl)
}

let cachedLoaderUrl: string | undefined
function tsxLoaderUrl(): string {
  cachedLoaderUrl ??= import.meta.resolve('tsx/esm/api')
  return cachedLoaderUrl
}
