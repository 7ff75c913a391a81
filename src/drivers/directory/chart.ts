import { formatDate } from './format.js'
import { html, type Html } from './html.js'
import type { Sample } from './index-db.js'

/**
 * Peers over time as an inline SVG (no script, no image request: the CSP allows neither
 * anyway). Seeders and leechers are step lines, since a count holds until the next sample.
 */
const WIDTH = 720
const HEIGHT = 220
const LEFT = 48
const RIGHT = 12
const TOP = 12
const BOTTOM = 28

export function peersChart(samples: readonly Sample[], now: number): Html {
  if (samples.length === 0) {
    return html`<p class="muted">
      No samples yet: the tracker records counts every 5 minutes while peers announce.
    </p>`
  }
  const first = (samples[0] as Sample).at
  const last = Math.max(now, (samples[samples.length - 1] as Sample).at)
  const span = Math.max(1, last - first)
  const peak = Math.max(1, ...samples.map((s) => Math.max(s.seeders, s.leechers)))
  const x = (at: number): number => LEFT + ((at - first) / span) * (WIDTH - LEFT - RIGHT)
  const y = (value: number): number => TOP + (1 - value / peak) * (HEIGHT - TOP - BOTTOM)
  const steps = (pick: (s: Sample) => number): string => {
    const points: string[] = []
    samples.forEach((sample, index) => {
      const next = samples[index + 1]?.at ?? last
      points.push(`${x(sample.at).toFixed(1)},${y(pick(sample)).toFixed(1)}`)
      points.push(`${x(next).toFixed(1)},${y(pick(sample)).toFixed(1)}`)
    })
    return points.join(' ')
  }
  const axisY = HEIGHT - BOTTOM
  return html`<svg
    xmlns="http://www.w3.org/2000/svg"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    width="${WIDTH}"
    height="${HEIGHT}"
    role="img"
    aria-label="peers over time"
  >
    <rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#fff" />
    <line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${axisY}" stroke="#999" />
    <line x1="${LEFT}" y1="${axisY}" x2="${WIDTH - RIGHT}" y2="${axisY}" stroke="#999" />
    <text x="${LEFT - 6}" y="${TOP + 4}" text-anchor="end" font-size="11">${peak}</text>
    <text x="${LEFT - 6}" y="${axisY}" text-anchor="end" font-size="11">0</text>
    <text x="${LEFT}" y="${HEIGHT - 8}" font-size="11">${formatDate(first)}</text>
    <text x="${WIDTH - RIGHT}" y="${HEIGHT - 8}" text-anchor="end" font-size="11">
      ${formatDate(last)} UTC
    </text>
    <polyline fill="none" stroke="#2a7" stroke-width="2" points="${steps((s) => s.seeders)}" />
    <polyline fill="none" stroke="#d62" stroke-width="2" points="${steps((s) => s.leechers)}" />
    <text x="${LEFT + 8}" y="${TOP + 12}" font-size="12" fill="#2a7">seeders</text>
    <text x="${LEFT + 70}" y="${TOP + 12}" font-size="12" fill="#d62">leechers</text>
  </svg>`
}
