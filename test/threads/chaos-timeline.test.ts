import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openChromium } from '../../scripts/headless-chromium.js'
import { writeSeedOutput } from '../../src/api/chaos/chaos-output.js'
import { checkHistory } from '../../src/api/chaos/checker.js'
import type { History } from '../../src/api/chaos/history.js'
import type { FaultStep } from '../../src/api/chaos/nemesis.js'
import type { ChaosSeedReport } from '../../src/api/chaos/run-chaos.js'
import { summarizeSeed } from '../../src/api/chaos/timeline-summary.js'

/** A made-up seed: two faults, an election, ISR changes, traffic, and one write lost. */
function handMadeReport(): ChaosSeedReport {
  const schedule: FaultStep[] = [
    { atMs: 500, healAtMs: 1_500, kind: 'kill', broker: 0 },
    { atMs: 2_000, healAtMs: 2_600, kind: 'stall', client: 'c0' },
  ]
  const sends = Array.from({ length: 40 }, (_, index) => ({
    type: 'send' as const,
    topic: 'chaos',
    partition: 0,
    producer: 'p0',
    value: `p0-${index}`,
    invokedAt: index * 75,
    completedAt: index * 75 + 5,
    outcome: 'acknowledged' as const,
    offset: index,
  }))
  const history: History = {
    events: [
      ...sends,
      ...sends.slice(0, 39).map((send) => ({
        type: 'delivery' as const,
        topic: 'chaos',
        partition: 0,
        time: send.completedAt + 20,
        member: 'c0',
        generation: 1,
        offset: send.offset,
        value: send.value,
      })),
      { type: 'fault', time: 600, description: 'kill broker 0' },
      { type: 'fault', time: 650, description: 'broker 0 down' },
      { type: 'election', time: 700, description: '{"partition":0,"leader":1}' },
      { type: 'isr', time: 0, topic: 'chaos', partition: 0, leader: 0, isr: [0, 1, 2] },
      { type: 'isr', time: 700, topic: 'chaos', partition: 0, leader: 1, isr: [1, 2] },
      { type: 'fault', time: 1_600, description: 'healed: kill broker 0' },
      { type: 'isr', time: 1_900, topic: 'chaos', partition: 0, leader: 1, isr: [1, 2, 0] },
      { type: 'fault', time: 2_100, description: 'stall client c0' },
      { type: 'client', time: 2_300, description: 'snapshot of c0 got no answer within 500 ms' },
      { type: 'fault', time: 2_700, description: 'healed: stall client c0' },
    ],
    // p0-39 was acknowledged and is not there.
    final: [
      {
        topic: 'chaos',
        partition: 0,
        logStartOffset: 0,
        records: sends.slice(0, 39).map((send) => ({ offset: send.offset, value: send.value })),
      },
    ],
  }
  const check = checkHistory(history)
  return {
    seed: 7,
    schedule,
    scheduleStartMs: 100,
    check,
    sends: sends.length,
    allowed: [],
    failures: [],
    verified: check.verified,
    history,
  }
}

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samsa-timeline-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the chaos timeline page', () => {
  it('renders in headless Chromium with every lane and the anomalies marked', {
    timeout: 60_000,
  }, async () => {
    const summary = summarizeSeed(handMadeReport(), 'npx samsa chaos --seeds 7')
    const written = await writeSeedOutput(dir, summary)
    expect(JSON.parse(await readFile(written.json, 'utf8'))).toMatchObject({
      seed: 7,
      verified: false,
      counts: { lost: 1 },
    })
    const browser = await openChromium()
    try {
      const page = await browser.context.newPage()
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(error.message))
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text())
      })
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) problems.push(`fetched ${request.url()}`)
      })
      await page.goto(pathToFileURL(written.html).href)
      expect(await page.locator('#verdict').textContent()).toBe('FAILED')
      expect(await page.locator('#faults rect.fault').count()).toBe(2)
      expect(await page.locator('#faults .note').count()).toBe(2)
      expect(await page.locator('#elections circle').count()).toBe(1)
      expect(await page.locator('#isr path.isr-line').count()).toBe(1)
      expect(await page.locator('#throughput path').count()).toBe(2)
      expect(await page.locator('#anomalies line.anomaly').count()).toBe(summary.anomalies.length)
      expect(await page.locator('#anomaly-list tr.anomaly-row').first().textContent()).toContain(
        "'p0-39' was acknowledged",
      )
      const box = await page.locator('#timeline').boundingBox()
      expect(box?.width).toBeGreaterThan(500)
      expect(box?.height).toBeGreaterThan(200)
      expect(problems).toEqual([])
    } finally {
      await browser.close()
    }
  })
})
