/**
 * A hand-written line chart for the overlay comparison: series of (x, y) points, measured
 * ones solid with dots, reference curves dashed; the x axis linear or logarithmic. Plain SVG
 * 1.1, no script, no dependency.
 */
export interface ChartSeries {
  readonly name: string
  readonly colour: string
  readonly dashed?: boolean
  readonly points: readonly (readonly [number, number])[]
}

export interface Chart {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly logX: boolean
  readonly series: readonly ChartSeries[]
}

const WIDTH = 720
const HEIGHT = 420
const LEFT = 60
const RIGHT = 190
const TOP = 40
const BOTTOM = 50

export function lineChart(chart: Chart): string {
  const points = chart.series.flatMap((s) => s.points)
  const xs = points.map(([x]) => (chart.logX ? Math.log10(x) : x))
  const ys = points.map(([, y]) => y)
  const xMin = Math.min(...xs)
  const xMax = Math.max(xMin + 1e-9, ...xs)
  const yMax = niceCeiling(Math.max(1e-9, ...ys))
  const plotW = WIDTH - LEFT - RIGHT
  const plotH = HEIGHT - TOP - BOTTOM
  const px = (x: number): number =>
    LEFT + (((chart.logX ? Math.log10(x) : x) - xMin) / (xMax - xMin)) * plotW
  const py = (y: number): number => TOP + plotH - (y / yMax) * plotH
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<text x="10" y="20" font-size="14">${escape(chart.title)}</text>`,
    `<line x1="${LEFT}" y1="${TOP + plotH}" x2="${LEFT + plotW}" y2="${TOP + plotH}" stroke="#333"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotH}" stroke="#333"/>`,
    `<text x="${LEFT + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text x="14" y="${TOP + plotH / 2}" transform="rotate(-90 14 ${TOP + plotH / 2})" ` +
      `text-anchor="middle">${escape(chart.yLabel)}</text>`,
  ]
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4
    out.push(
      `<line x1="${LEFT - 4}" y1="${f(py(y))}" x2="${LEFT + plotW}" y2="${f(py(y))}" stroke="#ddd"/>`,
      `<text x="${LEFT - 6}" y="${f(py(y) + 4)}" text-anchor="end">${round(y)}</text>`,
    )
  }
  const ticks = [...new Set(points.map(([x]) => x))].sort((a, b) => a - b)
  for (const x of ticks) {
    out.push(
      `<text x="${f(px(x))}" y="${TOP + plotH + 16}" text-anchor="middle">${label(x)}</text>`,
    )
  }
  chart.series.forEach((s, i) => {
    const path = s.points.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ')
    out.push(
      `<polyline fill="none" stroke="${s.colour}" stroke-width="2"` +
        `${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${path}"/>`,
    )
    if (s.dashed !== true) {
      for (const [x, y] of s.points) {
        out.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="3" fill="${s.colour}"/>`)
      }
    }
    const ly = TOP + 10 + i * 18
    out.push(
      `<line x1="${WIDTH - RIGHT + 12}" y1="${ly}" x2="${WIDTH - RIGHT + 36}" y2="${ly}" ` +
        `stroke="${s.colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${WIDTH - RIGHT + 42}" y="${ly + 4}">${escape(s.name)}</text>`,
    )
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

function niceCeiling(v: number): number {
  const step = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= v) return m * step
  return 10 * step
}

const f = (v: number): string => v.toFixed(1)
const round = (v: number): number => Math.round(v * 100) / 100
const label = (x: number): string =>
  x >= 1000 && x % 1000 === 0 ? `${x / 1000}k` : String(round(x))

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
