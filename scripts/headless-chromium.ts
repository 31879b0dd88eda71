import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

/*
 * Debian's Chromium (installed by scripts/install-test-clients.sh), driven by playwright-core:
 * no browser is downloaded. Headless, offline and with a fresh profile each time, so that a
 * page is seen as it is and nothing is left behind.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A browser context on a fresh profile; `close` ends the browser and removes the profile. */
export async function openChromium(): Promise<{
  context: BrowserContext
  close(): Promise<void>
}> {
  const profile = await mkdtemp(join(tmpdir(), 'samsa-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: { width: 1160, height: 700 },
    })
    return {
      context,
      async close() {
        await context.close()
        await rm(profile, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await rm(profile, { recursive: true, force: true })
    throw error
  }
}
