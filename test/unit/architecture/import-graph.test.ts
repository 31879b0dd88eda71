import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/*
 * The library's import graph, read from its sources: every `from '…'` and `import('…')` of a
 * relative path, type-only imports included (they tie modules together just the same).
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourcesUnder(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Each source's relative imports, as project-relative .ts paths. */
function importGraph(folder: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourcesUnder(join(ROOT, folder))) {
    const imports = [...readFileSync(file, 'utf8').matchAll(SPECIFIER)]
      .map((match) => match[1] as string)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => relative(ROOT, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts'))
    graph.set(relative(ROOT, file), imports)
  }
  return graph
}

/** The import circles: strongly connected components of more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string) => {
    index.set(node, index.size)
    low.set(node, index.get(node) as number)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop() as string
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

describe('the import graph', () => {
  const graph = importGraph('src')

  it('keeps the library apart from its tools: src/ imports nothing from cli/, bench/ or test/', () => {
    const outside = [...graph].flatMap(([file, imports]) =>
      imports.filter((target) => !target.startsWith('src/')).map((target) => `${file} → ${target}`),
    )
    expect(outside).toEqual([])
  })

  it('finds a circle where there is one', () => {
    const graphWithCircle = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ])
    expect(circles(graphWithCircle)).toEqual([['a.ts', 'b.ts', 'c.ts']])
  })

  it('has no import circle in src/runtime and src/actors but the broker and supervisor protocols', () => {
    // Each of the two protocols names refs to the other actor. src/api, whose clients, cluster
    // and wire listener still import one another, is left to undo.
    const below = new Map([...graph].filter(([file]) => !file.startsWith('src/api/')))
    expect(circles(below)).toEqual([
      ['src/actors/broker/broker-protocol.ts', 'src/actors/supervisor/supervisor-protocol.ts'],
    ])
  })
})
