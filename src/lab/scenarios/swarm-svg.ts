import type { PolicyRow } from './swarm-compare.js'

/**
 * A hand-written horizontal bar chart: per policy, the distribution time (bar) and the lower
 * bound (a tick), in one shared seconds scale. Plain SVG 1.1, no script, no dependency.
 */
const ROW = 26
const LABEL = 330
const PLOT = 420
const TOP = 40

export function policySvg(rows: readonly PolicyRow[]): string {
  const finite = rows.map((r) => Math.max(r.distributionSeconds, r.lowerBoundSeconds))
  const max = Math.max(1, ...finite)
  const scale = (seconds: number): number => (Math.max(0, seconds) / max) * PLOT
  const height = TOP + rows.length * ROW + 40
  const width = LABEL + PLOT + 90
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<text x="10" y="20" font-size="14">Distribution time by policy (bar) vs fluid lower bound (red tick), seconds</text>`,
  ]
  rows.forEach((r, i) => {
    const y = TOP + i * ROW
    const done = r.distributionSeconds >= 0
    const bar = done ? scale(r.distributionSeconds) : PLOT
    const fill = r.freeRiders > 0 ? '#e69f00' : '#0072b2'
    const tick = LABEL + scale(r.lowerBoundSeconds)
    out.push(
      `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end">${escape(r.policy)}</text>`,
      `<rect x="${LABEL}" y="${y + 3}" width="${bar.toFixed(1)}" height="${ROW - 8}" fill="${fill}"` +
        `${done ? '' : ' fill-opacity="0.3"'}/>`,
      `<line x1="${tick.toFixed(1)}" x2="${tick.toFixed(1)}" y1="${y}" y2="${y + ROW - 2}" ` +
        `stroke="#d00" stroke-width="2"/>`,
      `<text x="${(LABEL + bar + 6).toFixed(1)}" y="${y + 15}">` +
        `${done ? `${r.distributionSeconds} s (x${r.ratio})` : 'did not finish'}</text>`,
    )
  })
  const axisY = TOP + rows.length * ROW + 12
  out.push(
    `<line x1="${LABEL}" x2="${LABEL + PLOT}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`,
    `<text x="${LABEL}" y="${axisY + 16}">0</text>`,
    `<text x="${LABEL + PLOT}" y="${axisY + 16}" text-anchor="end">${round(max)} s</text>`,
    '</svg>',
  )
  return `${out.join('\n')}\n`
}

const round = (v: number): number => Math.round(v * 10) / 10

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
