import { Worker, type WorkerOptions } from 'node:worker_threads'
import { isMirrored, mirroredUrl } from './source-mirror.js'

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
