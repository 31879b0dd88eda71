import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * The one way samsa starts a worker thread.
 *
 * From the TypeScript sources (tests, `npx samsa` in a checkout) a worker's entry is a `.ts`
 * file, which Node 20 cannot load by itself: the worker first registers tsx's loader hooks,
 * then imports the entry. From a built package (`dist/`) the entry is plain `.js` and is
 * started directly, with no loader in the way.
 */
export function spawnThread(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options)
  const bootstrap = `import(${JSON.stringify(tsxLoaderUrl())})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
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
