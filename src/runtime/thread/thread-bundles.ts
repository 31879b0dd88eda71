import { join } from 'node:path'

/*
 * The threads samsa starts on every cluster, each loaded from one bundle instead of one module
 * file at a time: a worker resolves, reads, compiles and links each ESM file on its own, which
 * for a broker's some 80 files was most of a cluster's start (bench/README.md has the figures,
 * under session 8). The entries are bundled together with code splitting, so
 * that a module they share is one module in a worker that loads two of them (an actor thread
 * and the actor it runs): classes keep one identity.
 *
 * From the sources the bundle is part of the thread mirror (source-mirror.ts); a built package
 * has it under dist/threads (scripts/bundle-threads.mjs, run by `npm run build`). A worker
 * whose entry or actor module is outside this list loads module by module, as before.
 */

/** Sources relative to the project's root. */
export const BUNDLED_THREAD_SOURCES: readonly string[] = [
  'src/runtime/thread/actor-thread.ts',
  'src/actors/broker/broker.ts',
  'src/api/chaos/workload-thread.ts',
]

/** esbuild's options for the bundle of the project at `root` into `outdir`. */
export function threadBundleOptions(root: string, outdir: string): Record<string, unknown> {
  return {
    entryPoints: BUNDLED_THREAD_SOURCES.map((source) => join(root, source)),
    outdir,
    outbase: root,
    tsconfig: join(root, 'tsconfig.json'),
    bundle: true,
    splitting: true,
    // Packages imported statically are plain JavaScript (msgpackr, comlink, pure-rand) and go
    // into the bundle: msgpackr's five ES modules alone were most of a bundle's import. The
    // native ones are loaded on first use through createRequire, which stays a runtime require.
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'error',
  }
}
