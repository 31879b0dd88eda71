import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { openChromium } from './headless-chromium.js'

/*
 * Renders a `samsa chaos --out` timeline page to a PNG (the README's picture):
 *   npx tsx scripts/timeline-screenshot.ts DIR/seed-N.html docs/chaos-timeline.png
 */

const [page, png] = process.argv.slice(2)
if (page === undefined || png === undefined) {
  console.error('usage: timeline-screenshot.ts PAGE.html OUT.png')
  process.exit(2)
}
const browser = await openChromium()
try {
  const tab = await browser.context.newPage()
  await tab.goto(pathToFileURL(resolve(page)).href)
  await tab.screenshot({ path: png, fullPage: true })
} finally {
  await browser.close()
}
