import { ANOMALY_KINDS } from './checker.js'
import { BUCKET_MS, type TimelineSummary } from './timeline-summary.js'

/*
 * One seed's timeline as a self-contained HTML page (inline SVG and CSS, no script, nothing
 * fetched): fault spans, elections, each partition's ISR size and leader, throughput, and
 * every anomaly as a red line across all lanes. Hovering a mark shows what it is.
 */

const WIDTH = 1100
const LEFT = 120
const RIGHT = 20
const LANE = { faults: 60, elections: 30, partition: 36, throughput: 140, anomalies: 30 } as const
const GAP = 14
const PALETTE: Record<string, string> = {
  kill: '#d62728',
  lose: '#8c1a1a',
  restart: '#ff7f0e',
  pause: '#9467bd',
  isolate: '#1f77b4',
  cutlink: '#17becf',
  slow: '#bcbd22',
  drop: '#7f7f7f',
  duplicate: '#e377c2',
  stall: '#2ca02c',
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  )

const round = (value: number) => Math.round(value * 10) / 10

export function timelinePage(summary: TimelineSummary): string {
  const spanMs = Math.max(summary.endMs, 1_000)
  const x = (time: number) => round(LEFT + (Math.max(0, time) / spanMs) * (WIDTH - LEFT - RIGHT))
  const partitions = [...new Set(summary.isr.map((change) => change.partition))].sort(
    (a, b) => a - b,
  )
  const replicas = Math.max(1, ...summary.isr.map((change) => change.isr.length))
  const parts: string[] = []
  let y = 10

  const label = (text: string, height: number) =>
    parts.push(
      `<text class="lane-label" x="${LEFT - 8}" y="${y + height / 2 + 4}" text-anchor="end">${escapeHtml(text)}</text>`,
    )

  // Faults: one bar per fault from applied to healed; notes (a broker seen down, a client call
  // missed) as ticks below.
  label('faults', LANE.faults)
  parts.push('<g id="faults">')
  for (const fault of summary.faults) {
    const width = Math.max(2, x(fault.to) - x(fault.from))
    parts.push(
      `<rect class="fault fault-${fault.kind}" x="${x(fault.from)}" y="${y}" width="${round(width)}" height="${LANE.faults / 2 - 4}" fill="${PALETTE[fault.kind] ?? '#444'}"><title>${escapeHtml(`${fault.description} (${Math.round(fault.from)}–${Math.round(fault.to)} ms)`)}</title></rect>`,
    )
    parts.push(
      `<text class="fault-label" x="${x(fault.from) + 2}" y="${y + LANE.faults / 2 + 8}">${escapeHtml(fault.kind)}</text>`,
    )
  }
  for (const note of summary.notes) {
    const top = y + LANE.faults - 12
    parts.push(
      `<line class="note note-${note.kind}" x1="${x(note.time)}" x2="${x(note.time)}" y1="${top}" y2="${top + 10}"><title>${escapeHtml(`${Math.round(note.time)} ms: ${note.description}`)}</title></line>`,
    )
  }
  parts.push('</g>')
  y += LANE.faults + GAP

  label('elections', LANE.elections)
  parts.push('<g id="elections">')
  for (const election of summary.elections) {
    parts.push(
      `<circle class="election" cx="${x(election.time)}" cy="${y + LANE.elections / 2}" r="4"><title>${escapeHtml(`${Math.round(election.time)} ms: ${election.description}`)}</title></circle>`,
    )
  }
  parts.push('</g>')
  y += LANE.elections + GAP

  // Each partition: the ISR's size as a step line (full at the top), its leader written at
  // each change.
  parts.push('<g id="isr">')
  for (const partition of partitions) {
    label(`p${partition} ISR (of ${replicas})`, LANE.partition)
    const changes = summary.isr.filter((change) => change.partition === partition)
    const level = (size: number) =>
      round(y + LANE.partition - (size / replicas) * (LANE.partition - 4))
    let path = ''
    changes.forEach((change, index) => {
      const until = changes[index + 1]?.time ?? summary.endMs
      const height = level(change.isr.length)
      path += `${index === 0 ? 'M' : 'L'}${x(change.time)},${height} L${x(until)},${height} `
      parts.push(
        `<text class="leader" x="${x(change.time) + 2}" y="${y + 10}"><title>${escapeHtml(`${Math.round(change.time)} ms: leader ${change.leader}, ISR [${change.isr.join(', ')}]`)}</title>L${change.leader}</text>`,
      )
    })
    parts.push(
      `<line class="lane-base" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y + LANE.partition}" y2="${y + LANE.partition}"/>`,
    )
    parts.push(`<path class="isr-line" d="${path.trim()}"/>`)
    y += LANE.partition + GAP / 2
  }
  parts.push('</g>')
  y += GAP

  // Throughput: acknowledged sends and deliveries per second, per bucket.
  label('records / s', LANE.throughput)
  const perSecond = 1000 / BUCKET_MS
  const peak = Math.max(
    1,
    ...summary.throughput.map(
      (bucket) => Math.max(bucket.acknowledged, bucket.delivered) * perSecond,
    ),
  )
  const rate = (count: number) =>
    round(y + LANE.throughput - ((count * perSecond) / peak) * LANE.throughput)
  const line = (field: 'acknowledged' | 'delivered') =>
    summary.throughput
      .map(
        (bucket, index) =>
          `${index === 0 ? 'M' : 'L'}${x(bucket.atMs + BUCKET_MS / 2)},${rate(bucket[field])}`,
      )
      .join(' ')
  parts.push('<g id="throughput">')
  parts.push(
    `<line class="lane-base" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y + LANE.throughput}" y2="${y + LANE.throughput}"/>`,
    `<text class="axis" x="${LEFT + 4}" y="${y + 10}">${Math.round(peak)}/s</text>`,
    `<path class="rate-acknowledged" d="${line('acknowledged')}"><title>sends acknowledged per second</title></path>`,
    `<path class="rate-delivered" d="${line('delivered')}"><title>records delivered per second</title></path>`,
  )
  parts.push('</g>')
  y += LANE.throughput + GAP

  // Time axis, one tick a second.
  parts.push('<g id="axis">')
  for (let second = 0; second * 1000 <= spanMs; second++) {
    parts.push(
      `<line class="tick" x1="${x(second * 1000)}" x2="${x(second * 1000)}" y1="10" y2="${y}"/>`,
      `<text class="axis" x="${x(second * 1000)}" y="${y + 12}" text-anchor="middle">${second}s</text>`,
    )
  }
  parts.push('</g>')
  const height = y + 24

  // Anomalies last, so that they are drawn over everything.
  parts.push('<g id="anomalies">')
  for (const anomaly of summary.anomalies) {
    const allowed = summary.allowed.includes(anomaly.kind)
    parts.push(
      `<line class="anomaly${allowed ? ' allowed' : ''}" x1="${x(anomaly.time)}" x2="${x(anomaly.time)}" y1="10" y2="${y}"><title>${escapeHtml(`${Math.round(anomaly.time)} ms, ${anomaly.kind}${allowed ? ' (allowed)' : ''}: ${anomaly.description}`)}</title></line>`,
    )
  }
  parts.push('</g>')

  const counted = ANOMALY_KINDS.filter((kind) => summary.counts[kind] > 0)
  const verdict = summary.verified ? 'verified' : 'FAILED'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>samsa chaos, seed ${summary.seed}: ${verdict}</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  .verified { color: #1a7f37; } .failed { color: #c62828; }
  code { font-size: 12px; background: #f4f4f4; padding: 2px 4px; }
  svg text { font: 11px system-ui, sans-serif; fill: #333; }
  .lane-label { font-weight: 600; }
  .lane-base, .tick { stroke: #e4e4e4; }
  .election { fill: #ff7f0e; }
  .note { stroke: #555; stroke-width: 2; } .note-client { stroke: #2ca02c; }
  .isr-line { fill: none; stroke: #1f77b4; stroke-width: 2; }
  .rate-acknowledged { fill: none; stroke: #1f77b4; stroke-width: 1.5; }
  .rate-delivered { fill: none; stroke: #2ca02c; stroke-width: 1.5; stroke-dasharray: 4 2; }
  .anomaly { stroke: #d00; stroke-width: 2; opacity: 0.8; } .anomaly.allowed { stroke-dasharray: 3 3; }
  .legend span { display: inline-block; margin-right: 12px; }
  .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
  table { border-collapse: collapse; margin-top: 8px; } td, th { border: 1px solid #ddd; padding: 3px 6px; font-size: 12px; text-align: left; }
</style>
</head>
<body>
<h1>samsa chaos, seed ${summary.seed}: <span class="${summary.verified ? 'verified' : 'failed'}" id="verdict">${verdict}</span></h1>
<p id="totals">${summary.acknowledged} of ${summary.sends} sends acknowledged, ${summary.faults.length} faults, ${summary.elections.length} elections; anomalies: ${
    counted.length === 0
      ? 'none'
      : counted
          .map(
            (kind) =>
              `${kind} ${summary.counts[kind]}${summary.allowed.includes(kind) ? ' (allowed)' : ''}`,
          )
          .join(', ')
  }</p>
${summary.failures.map((failure) => `<p class="failed">client call failed: ${escapeHtml(failure)}</p>`).join('\n')}
<p>replay: <code>${escapeHtml(summary.replay)}</code></p>
<div class="legend">${Object.entries(PALETTE)
    .map(
      ([kind, color]) => `<span><i class="swatch" style="background:${color}"></i>${kind}</span>`,
    )
    .join(
      '',
    )}<span><i class="swatch" style="background:#ff7f0e;border-radius:6px"></i>election</span><span><i class="swatch" style="background:#1f77b4"></i>acknowledged/s</span><span><i class="swatch" style="background:#2ca02c"></i>delivered/s</span><span><i class="swatch" style="background:#d00"></i>anomaly</span></div>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
${parts.join('\n')}
</svg>
<h2>Anomalies</h2>
<table id="anomaly-list">
<tr><th>time (ms)</th><th>kind</th><th>what</th></tr>
${summary.anomalies
  .map(
    (anomaly) =>
      `<tr class="anomaly-row"><td>${Math.round(anomaly.time)}</td><td>${anomaly.kind}${summary.allowed.includes(anomaly.kind) ? ' (allowed)' : ''}</td><td>${escapeHtml(anomaly.description)}</td></tr>`,
  )
  .join('\n')}
</table>
</body>
</html>
`
}
