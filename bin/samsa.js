#!/usr/bin/env node
// In a checkout the CLI runs from the TypeScript sources (always current, no build step);
// a published package ships only dist/.
import { existsSync } from 'node:fs'

const source = new URL('../cli/main.ts', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href)
}
