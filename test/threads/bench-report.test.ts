import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { JSDOM, VirtualConsole } from 'jsdom'
import { describe, expect, it } from 'vitest'
import { renderHtmlReport } from '../../bench/report/html-report.js'

// `samsa bench … --json --out DIR` end to end: the JSON line, the files, and the HTML report
// with its scripts run in a DOM (jsdom, from npm: no browser to install), which must draw the
// charts.

const run = promisify(execFile)
const samsa = fileURLToPath(new URL('../../bin/samsa.js', import.meta.url))

/** The page as it is once its scripts ran; a script that throws fails the test. */
async function renderedDom(file: string): Promise<string> {
  const failures: unknown[] = []
  const virtualConsole = new VirtualConsole()
  virtualConsole.on('jsdomError', (error) => failures.push(error))
  const page = new JSDOM(await readFile(file, 'utf8'), {
    runScripts: 'dangerously',
    url: pathToFileURL(file).href,
    virtualConsole,
  })
  try {
    if (failures.length > 0) throw failures[0]
    return page.serialize()
  } finally {
    page.window.close()
  }
}

/** The inside of the chart's svg element, as rendered. */
function chart(dom: string, name: string): string {
  const found = new RegExp(`<svg[^>]*data-chart="${name}"[^>]*>([\\s\\S]*?)</svg>`).exec(dom)
  if (found === null) throw new Error(`no ${name} chart in the page`)
  return found[1] as string
}

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0

describe('bench reports', () => {
  it('lists every scenario with --help, and one scenario’s options with <scenario> --help', async () => {
    const all = await run(process.execPath, [samsa, 'bench', '--help'])
    for (const name of ['e2e', 'latency', 'startup', 'scale', 'failover', 'rebalance']) {
      expect(all.stdout).toContain(`  ${name} `)
    }
    const one = await run(process.execPath, [samsa, 'bench', 'rebalance', '--help'])
    expect(one.stdout).toContain('--members N')
    expect(one.stdout).not.toContain('--kills N')
  })

  it('e2e --json --out: one JSON line with the API, the engine path, baselines and ratios, and a report whose charts render', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-report-'))
    try {
      // A small warm-up instead of the default 300,000 records: it runs, it is not what is checked.
      const args = ['bench', 'e2e', '--records', '40000', '--partitions', '2']
      args.push('--warm-up', '2000', '--json')
      const result = await run(process.execPath, [samsa, ...args, '--out', dir], {
        timeout: 60_000,
      })
      const lines = result.stdout.trim().split('\n')
      const report = JSON.parse(lines.at(-1) as string)
      expect(report).toMatchObject({
        scenario: 'e2e',
        path: 'api',
        verified: true,
        problems: [],
        partitions: [2],
        brokers: 3,
        replication: 3,
        acks: 1,
        api: {
          messagesPerSend: 1000,
          handler: 'eachBatch',
          send: { records: 40_000 },
          consume: { records: 40_000 },
          produceConsume: { records: 40_000 },
        },
        engine: { records: 40_000, brokers: 3, partitions: 2, replication: 3 },
      })
      expect(report.sweep).toHaveLength(1)
      for (const figure of ['send', 'consume', 'produceConsume', 'engine']) {
        expect(report[`${figure}RecordsPerSec`]).toBeGreaterThan(0)
      }
      expect(Object.keys(report.baselines).sort()).toEqual(['post-message', 'sab-ring'])
      expect(report.baselines['sab-ring'].recordsPerSec).toBeGreaterThan(0)
      expect(Object.keys(report.ratios).sort()).toEqual(
        [
          ...['send', 'consume', 'produceConsume'].flatMap((phase) =>
            ['engine', 'sab-ring', 'post-message'].map((other) => `${phase}RecordsPerSec/${other}`),
          ),
          'engineRecordsPerSec/sab-ring',
          'engineRecordsPerSec/post-message',
        ].sort(),
      )
      expect(report).toMatchObject({ node: process.version, cores: expect.any(Number) })
      expect(JSON.parse(await readFile(join(dir, 'e2e.json'), 'utf8'))).toEqual(report)

      const page = join(dir, 'e2e.html')
      const source = await readFile(page, 'utf8')
      // Nothing is drawn in the file itself: what the browser shows, its script drew.
      expect(count(source, /<path/g) + count(source, /<rect/g)).toBe(0)
      const dom = await renderedDom(page)
      expect(count(chart(dom, 'throughput'), /<path[^>]*class="series"/g)).toBe(1)
      // The API's three phases, the engine path and the two baselines.
      expect(count(chart(dom, 'bars'), /<rect[^>]*class="bar"/g)).toBe(6)
      expect(chart(dom, 'latency')).toContain('No latency distribution')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('e2e --path engine: the engine path alone, its figures at the top as before', async () => {
    const args = ['bench', 'e2e', '--path', 'engine', '--records', '20000', '--json']
    const result = await run(process.execPath, [samsa, ...args], { timeout: 60_000 })
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) as string)
    expect(report).toMatchObject({
      scenario: 'e2e',
      path: 'engine',
      verified: true,
      records: 20_000,
    })
    expect(report.recordsPerSec).toBeGreaterThan(0)
    expect(report.api).toBeUndefined()
    expect(Object.keys(report.ratios).sort()).toEqual([
      'recordsPerSec/post-message',
      'recordsPerSec/sab-ring',
    ])
  })

  it('latency --json: the API, the engine path beside it, the baselines, and the ratios', async () => {
    const args = ['--rate', '2000', '--seconds', '0.2', '--warm-up', '0.1', '--json']
    const result = await run(process.execPath, [samsa, 'bench', 'latency', ...args], {
      timeout: 60_000,
    })
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) as string)
    expect(report).toMatchObject({
      scenario: 'latency',
      path: 'api',
      verified: true,
      problems: [],
      records: 600,
      api: { records: 600, verified: true },
      engine: { records: 600, verified: true },
    })
    for (const figures of [report.latency, report.api.latency, report.engine.latency]) {
      expect(figures.p50Us).toBeGreaterThan(0)
      expect(figures.p99Us).toBeGreaterThanOrEqual(figures.p50Us)
    }
    expect(report.latency).toEqual(report.api.latency)
    expect(Object.keys(report.baselines).sort()).toEqual(['post-message', 'relay', 'sab-ring'])
    for (const figure of ['p50Us', 'p99Us']) {
      for (const other of ['engine', 'sab-ring', 'post-message', 'relay']) {
        expect(report.ratios[`${figure}/${other}`]).toBeGreaterThan(0)
      }
      expect(report.engine.ratios[`${figure}/relay`]).toBeGreaterThan(0)
    }
    expect(Object.keys(report.charts.latency)).toEqual([
      'api',
      'engine',
      'sab-ring',
      'post-message',
      'relay',
    ])
  })

  it('draws a latency distribution for samsa and each baseline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-report-'))
    try {
      const distribution = (scale: number) =>
        [0, 50, 90, 99, 99.9, 100].map((percentile, index) => ({
          percentile,
          us: scale * (index + 1),
        }))
      const page = join(dir, 'latency.html')
      await writeFile(
        page,
        renderHtmlReport({
          scenario: 'latency',
          verified: true,
          baselines: { 'sab-ring': { p99Us: 20 }, 'post-message': { p99Us: 60 } },
          ratios: { 'p99Us/sab-ring': 5 },
          charts: {
            latency: {
              samsa: distribution(100),
              'sab-ring': distribution(10),
              'post-message': distribution(30),
            },
            bars: [{ figure: 'p99Us', unit: 'µs', values: { samsa: 100, 'sab-ring': 20 } }],
          },
        }),
      )
      const dom = await renderedDom(page)
      const latency = chart(dom, 'latency')
      for (const series of ['samsa', 'sab-ring', 'post-message']) {
        expect(latency).toMatch(new RegExp(`<path[^>]*data-series="${series}"`))
      }
      expect(count(chart(dom, 'bars'), /<rect[^>]*class="bar"/g)).toBe(2)
      expect(chart(dom, 'throughput')).toContain('No throughput samples')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
