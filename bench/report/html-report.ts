/*
 * The self-contained HTML report of one run: the report's JSON embedded in the page, and a
 * small inline script that draws its charts as SVG when the page opens (no network, no
 * library): throughput over time, the latency percentile distribution (samsa beside its
 * baselines), and samsa's headline figures as bars beside the baselines'. Tables list every
 * figure, baseline and ratio.
 */

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1000px }
h1 { font-size: 1.4rem } h2 { font-size: 1.1rem; margin-top: 2rem }
table { border-collapse: collapse; margin: .5rem 0 } td, th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #ddd }
td.number { text-align: right; font-variant-numeric: tabular-nums }
.verified-true { color: #17803d } .verified-false { color: #b42318; font-weight: bold }
svg.chart { display: block; margin: .5rem 0; background: #fafafa; border: 1px solid #eee }
svg text { font: 11px system-ui, sans-serif; fill: #444 }
`

/** Draws into every `svg.chart` from the embedded data; runs in the browser. */
const DRAW = `
const report = JSON.parse(document.getElementById('report-data').textContent)
const NS = 'http://www.w3.org/2000/svg'
const COLORS = ['#1f6feb', '#d97706', '#16a34a', '#9333ea', '#dc2626']
const W = 860, H = 300, M = { left: 70, right: 150, top: 20, bottom: 40 }
function el(parent, name, attributes, text) {
  const node = document.createElementNS(NS, name)
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  parent.appendChild(node)
  return node
}
function format(value) {
  if (value >= 1e9) return (value / 1e9).toFixed(2) + ' G'
  if (value >= 1e6) return (value / 1e6).toFixed(2) + ' M'
  if (value >= 1e3) return (value / 1e3).toFixed(1) + ' k'
  return String(Math.round(value * 100) / 100)
}
function empty(svg, why) {
  svg.setAttribute('viewBox', '0 0 ' + W + ' 60')
  el(svg, 'text', { x: 20, y: 35, class: 'empty' }, why)
}
function axes(svg, xLabel, yLabel) {
  el(svg, 'line', { x1: M.left, y1: H - M.bottom, x2: W - M.right, y2: H - M.bottom, stroke: '#888' })
  el(svg, 'line', { x1: M.left, y1: M.top, x2: M.left, y2: H - M.bottom, stroke: '#888' })
  el(svg, 'text', { x: (W - M.right + M.left) / 2, y: H - 6, 'text-anchor': 'middle' }, xLabel)
  el(svg, 'text', { x: 14, y: M.top + 90, transform: 'rotate(-90 14 ' + (M.top + 90) + ')' }, yLabel)
}
function lines(svg, series, x, y, xTicks, yTicks) {
  for (const tick of xTicks) {
    el(svg, 'text', { x: x(tick.value), y: H - M.bottom + 15, 'text-anchor': 'middle' }, tick.label)
  }
  for (const tick of yTicks) {
    el(svg, 'text', { x: M.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, format(tick))
    el(svg, 'line', { x1: M.left, y1: y(tick), x2: W - M.right, y2: y(tick), stroke: '#eee' })
  }
  series.forEach((entry, index) => {
    const d = entry.points.map((point, at) => (at === 0 ? 'M' : 'L') + x(point[0]).toFixed(1) + ' ' + y(point[1]).toFixed(1)).join(' ')
    el(svg, 'path', { d, fill: 'none', stroke: COLORS[index % COLORS.length], 'stroke-width': 2, class: 'series', 'data-series': entry.name })
    el(svg, 'text', { x: W - M.right + 10, y: M.top + 14 + index * 16, fill: COLORS[index % COLORS.length] }, entry.name)
  })
}
function niceTicks(max) {
  const step = Math.pow(10, Math.floor(Math.log10(max || 1)))
  const ticks = []
  for (let value = 0; value <= max * 1.0001; value += step * (max / step > 5 ? 2 : 1)) ticks.push(value)
  return ticks
}
function drawThroughput(svg) {
  const samples = report.charts.throughput || []
  if (samples.length < 2) return empty(svg, 'No throughput samples in this scenario.')
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H)
  const maxT = Math.max(...samples.map((s) => s.elapsedMs)) / 1000
  const maxR = Math.max(1, ...samples.map((s) => s.recordsPerSec))
  const x = (t) => M.left + (t / maxT) * (W - M.left - M.right)
  const y = (r) => H - M.bottom - (r / maxR) * (H - M.top - M.bottom)
  axes(svg, 'seconds', 'records/s')
  const xTicks = niceTicks(maxT).map((value) => ({ value, label: String(Math.round(value * 10) / 10) }))
  lines(svg, [{ name: 'samsa', points: samples.map((s) => [s.elapsedMs / 1000, s.recordsPerSec]) }], x, y, xTicks, niceTicks(maxR))
}
function drawLatency(svg) {
  const series = Object.entries(report.charts.latency || {}).filter(([, points]) => points.length > 0)
  if (series.length === 0) return empty(svg, 'No latency distribution in this scenario.')
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H)
  // HdrHistogram's layout: x is 1 / (1 - percentile), on a log scale, so the tail gets room.
  const nines = (p) => Math.log10(1 / (1 - Math.min(p, 99.999) / 100))
  const maxX = nines(99.999)
  const all = series.flatMap(([, points]) => points.map((point) => Math.max(point.us, 0.1)))
  const minY = Math.log10(Math.min(...all)), maxY = Math.log10(Math.max(...all)) + 0.1
  const x = (n) => M.left + (n / maxX) * (W - M.left - M.right)
  const y = (us) => H - M.bottom - ((Math.log10(Math.max(us, 0.1)) - minY) / (maxY - minY || 1)) * (H - M.top - M.bottom)
  axes(svg, 'percentile', 'µs (log scale)')
  const xTicks = [0, 50, 90, 99, 99.9, 99.99].map((p) => ({ value: nines(p), label: p + '%' }))
  const yTicks = []
  for (let e = Math.floor(minY); e <= Math.ceil(maxY); e++) yTicks.push(Math.pow(10, e))
  lines(svg, series.map(([name, points]) => ({ name, points: points.map((point) => [nines(point.percentile), point.us]) })), x, y, xTicks, yTicks.filter((t) => Math.log10(t) >= minY - 0.01 && Math.log10(t) <= maxY))
}
function drawBars(svg) {
  const groups = report.charts.bars || []
  if (groups.length === 0) return empty(svg, 'No baselines to compare in this scenario.')
  const row = 22, gap = 30
  const height = groups.reduce((total, group) => total + gap + Object.keys(group.values).length * row, 10)
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + height)
  let top = 10
  for (const group of groups) {
    el(svg, 'text', { x: 10, y: top + 14, 'font-weight': 'bold' }, group.figure + ' (' + group.unit + ')')
    top += gap - 6
    const entries = Object.entries(group.values)
    const max = Math.max(...entries.map(([, value]) => value)) || 1
    entries.forEach(([name, value], index) => {
      el(svg, 'text', { x: 10, y: top + 14 }, name)
      el(svg, 'rect', { x: 160, y: top + 3, height: row - 6, width: Math.max(1, (value / max) * (W - 320)), fill: COLORS[index % COLORS.length], class: 'bar', 'data-series': name })
      el(svg, 'text', { x: 166 + Math.max(1, (value / max) * (W - 320)), y: top + 14 }, format(value) + ' ' + group.unit)
      top += row
    })
    top += 6
  }
}
for (const svg of document.querySelectorAll('svg.chart')) {
  const chart = svg.getAttribute('data-chart')
  if (chart === 'throughput') drawThroughput(svg)
  else if (chart === 'latency') drawLatency(svg)
  else if (chart === 'bars') drawBars(svg)
  svg.setAttribute('data-drawn', 'true')
}
`

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function cell(value: unknown): string {
  if (typeof value === 'number') {
    return `<td class="number">${escapeHtml(value.toLocaleString('en-US', { maximumFractionDigits: 3 }))}</td>`
  }
  return `<td>${escapeHtml(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))}</td>`
}

function table(rows: readonly (readonly unknown[])[]): string {
  return `<table>${rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</table>`
}

/** A value for the table of figures: long lists (samples, per-run details) stay in the JSON. */
function summarized(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const json = JSON.stringify(value)
  if (json.length <= 300) return json
  return Array.isArray(value) ? `${value.length} entries (in the JSON)` : '(in the JSON)'
}

/** Fields shown in the charts and tables of their own, not in the table of figures. */
const OWN_SECTIONS = new Set(['scenario', 'verified', 'baselines', 'ratios', 'charts', 'problems'])

export function renderHtmlReport(report: Readonly<Record<string, unknown>>): string {
  const scenario = String(report.scenario)
  const figures = Object.entries(report)
    .filter(([key, value]) => !OWN_SECTIONS.has(key) && value !== undefined)
    .map(([key, value]) => [key, summarized(value)])
  const baselines = Object.entries(
    (report.baselines ?? {}) as Readonly<Record<string, Readonly<Record<string, number>>>>,
  )
  const ratios = Object.entries((report.ratios ?? {}) as Readonly<Record<string, number>>)
  const problems = Array.isArray(report.problems) ? report.problems : []
  // `<` escaped, so nothing in the data can close the script element.
  const data = JSON.stringify(report).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>samsa bench ${escapeHtml(scenario)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>samsa bench ${escapeHtml(scenario)}</h1>
<p class="verified-${report.verified === true}">verified: ${report.verified === true}${problems.length > 0 ? ` — ${escapeHtml(problems.join('; '))}` : ''}</p>
<h2>Throughput over time</h2>
<svg class="chart" data-chart="throughput" role="img" aria-label="throughput over time"></svg>
<h2>Latency percentile distribution</h2>
<svg class="chart" data-chart="latency" role="img" aria-label="latency percentiles"></svg>
<h2>samsa beside its baselines</h2>
<svg class="chart" data-chart="bars" role="img" aria-label="samsa and baselines"></svg>
<h2>Ratios (samsa ÷ baseline, same figure)</h2>
${ratios.length > 0 ? table(ratios) : '<p>none</p>'}
<h2>Baselines (measured in the same run)</h2>
${baselines.length > 0 ? table(baselines.map(([name, values]) => [name, JSON.stringify(values)])) : '<p>none</p>'}
<h2>Options, figures and machine</h2>
${table(figures)}
<script id="report-data" type="application/json">${data}</script>
<script>${DRAW}</script>
</body>
</html>
`
}
