import type { ClientRecord } from './client-scenario-report.js'

/** One line of `kcat -C -J`: headers come as a flat [name, value, name, value…] list. */
interface KcatJsonRecord {
  readonly partition: number
  readonly offset: number
  readonly ts: number
  readonly key: string | null
  readonly payload: string | null
  readonly headers?: readonly string[]
}

/** The records `kcat -C -J` printed, one JSON object a line (a line still coming is left out). */
export function kcatRecords(stdout: string): ClientRecord[] {
  return stdout
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const record = JSON.parse(line) as KcatJsonRecord
      const headers: Record<string, string> = {}
      const flat = record.headers ?? []
      for (let index = 0; index + 1 < flat.length; index += 2) {
        headers[flat[index] as string] = flat[index + 1] as string
      }
      return {
        partition: record.partition,
        offset: record.offset,
        key: record.key ?? '',
        value: record.payload ?? '',
        timestamp: record.ts,
        headers,
      }
    })
}

/**
 * A `kcat -G` member's partitions after its last rebalance, from the lines it logs on stderr
 * ("% Group G rebalanced (memberid M): assigned: T [0], T [2]"); undefined before the first.
 */
export function kcatAssignment(stderr: string): number[] | undefined {
  const rebalances = stderr.split('\n').filter((line) => line.includes('rebalanced'))
  const last = rebalances.at(-1)
  if (last === undefined) return undefined
  if (!last.includes('assigned:')) return []
  return [...last.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]))
}
