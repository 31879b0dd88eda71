import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { timelinePage } from './timeline-page.js'
import type { TimelineSummary } from './timeline-summary.js'

/** `--out DIR`: one seed's history summary (`seed-N.json`) and timeline page (`seed-N.html`). */
export async function writeSeedOutput(
  dir: string,
  summary: TimelineSummary,
): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true })
  const json = join(dir, `seed-${summary.seed}.json`)
  const html = join(dir, `seed-${summary.seed}.html`)
  await writeFile(json, `${JSON.stringify(summary, null, 2)}\n`)
  await writeFile(html, timelinePage(summary))
  return { json, html }
}
