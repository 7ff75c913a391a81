/** Human-readable sizes and dates for the web pages (UTC, so every reader sees the same). */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

export function formatSize(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`
}

/** `2026-11-22 04:10` in UTC. */
export function formatDate(ms: number): string {
  if (!Number.isFinite(ms)) return '-'
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
}
