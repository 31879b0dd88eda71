// The thread bundles of a built package (see src/runtime/thread/thread-bundles.ts), after tsc:
// `node scripts/bundle-threads.mjs [tree]` writes them to <tree>/threads (default: dist).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../', import.meta.url))
const tree = process.argv[2] ?? join(root, 'dist')
const { threadBundleOptions } = await import(
  new URL('src/runtime/thread/thread-bundles.js', `file://${tree}/`).href
)
// Chunk names change with their contents: a bundle from an earlier build would linger.
rmSync(join(tree, 'threads'), { recursive: true, force: true })
await build(threadBundleOptions(root, join(tree, 'threads')))
