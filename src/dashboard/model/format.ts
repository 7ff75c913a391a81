/**
 * Numbers as people read them: binary units (KiB, MiB/s), durations in words, percentages
 * without false precision. Pure, so that node's test runner checks them.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/** 1536 -> "1.5 KiB"; three significant digits at most, whole bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${Math.round(value)} B`
  // 1023.9 KiB would round to "1024 KiB": show it as the next unit instead.
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  const text = value.toFixed(digits)
  if (Number(text) >= 1024 && unit < UNITS.length - 1) return `1.00 ${UNITS[unit + 1]}`
  return `${text} ${UNITS[unit]}`
}

/** Bytes per second; an idle transfer shows as "0 B/s", never as an empty cell. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

/** 0.4567 -> "45.6 %", exact 0 and 100 without decimals. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—'
  const clamped = Math.min(1, Math.max(0, fraction))
  if (clamped === 0 || clamped === 1) return `${clamped * 100} %`
  // 99.96 % must not read "100.0 %" while pieces are missing.
  return `${(Math.floor(clamped * 1000) / 10).toFixed(1)} %`
}

/** Seconds in words, the two largest units: "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '∞'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'min'],
    [s % 60, 's'],
  ]
  const first = parts.findIndex(([value]) => value > 0)
  return parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ')
}

/** How long ago a moment was, from `now` (both in ms): "just now", "5 min ago". */
export function formatAgo(thenMs: number, nowMs: number): string {
  const seconds = (nowMs - thenMs) / 1000
  if (seconds < 5) return 'just now'
  return `${formatDuration(seconds)} ago`
}

/** Uploaded over downloaded, "∞" for a seed that never downloaded but uploaded. */
export function formatRatio(ratio: number): string {
  if (Number.isNaN(ratio)) return '—'
  if (!Number.isFinite(ratio)) return '∞'
  return ratio.toFixed(2)
}
