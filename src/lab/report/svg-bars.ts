/**
 * A hand-written horizontal bar chart for the lab report: one bar per row, an optional
 * reference tick per row (the published value), a shared linear scale. Plain SVG 1.1, no
 * script, fixed number formatting so the same figures give the same bytes.
 */
export interface Bar {
  readonly label: string
  readonly value: number
  /** A reference value drawn as a red tick on the bar's row (e.g. the formula). */
  readonly reference?: number
  /** Bars of one group share a colour. */
  readonly group?: number
}

const ROW = 24
const LABEL = 300
const PLOT = 400
const TOP = 36
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9']

export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const max = Math.max(1e-9, ...bars.map((b) => Math.max(b.value, b.reference ?? 0)))
  const scale = (v: number): number => (Math.max(0, v) / max) * PLOT
  const height = TOP + bars.length * ROW + 16
  const width = LABEL + PLOT + 110
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<text x="10" y="20" font-size="14">${escapeXml(title)}</text>`,
  ]
  bars.forEach((b, i) => {
    const y = TOP + i * ROW
    const colour = COLOURS[(b.group ?? 0) % COLOURS.length] as string
    out.push(
      `<text x="${LABEL - 8}" y="${y + 14}" text-anchor="end">${escapeXml(b.label)}</text>`,
      `<rect x="${LABEL}" y="${y + 3}" width="${fixed(scale(b.value))}" height="${ROW - 8}" fill="${colour}"/>`,
      `<text x="${fixed(LABEL + scale(b.value) + 6)}" y="${y + 14}">${escapeXml(
        `${shortNumber(b.value)} ${unit}`,
      )}</text>`,
    )
    if (b.reference !== undefined) {
      const x = fixed(LABEL + scale(b.reference))
      out.push(
        `<line x1="${x}" y1="${y}" x2="${x}" y2="${y + ROW - 2}" stroke="#c00" stroke-width="2"/>`,
      )
    }
  })
  out.push('</svg>')
  return out.join('\n')
}

export const fixed = (v: number): string => v.toFixed(1)

/** A number for a label: integers as they are, others with up to 3 decimals. */
export function shortNumber(v: number): string {
  if (Number.isInteger(v)) return String(v)
  return String(Math.round(v * 1000) / 1000)
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}
