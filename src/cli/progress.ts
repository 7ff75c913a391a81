import type { SwarmStats } from '../protocols/bittorrent/swarm/index.js'

/** Human-readable sizes and rates for the progress line. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  const mmss = `${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}`
  return h > 0 ? `${h}:${mmss}` : mmss
}

export interface ProgressView {
  readonly percent: number
  readonly downloadRate: number
  readonly uploadRate: number
  readonly peers: number
  readonly etaSeconds: number | undefined
  readonly downloadedBytes: number
  readonly uploadedBytes: number
  readonly piecesVerified: number
  readonly pieceCount: number
  /** Bytes of verified pieces (the last piece may be short, so this is clamped). */
  readonly verifiedBytes: number
  /** The torrent's size in bytes (`length`, as `plexus info` calls it). */
  readonly length: number
}

export function progressOf(
  stats: SwarmStats,
  totalBytes: number,
  pieceLength: number,
): ProgressView {
  const haveBytes = Math.min(totalBytes, stats.piecesVerified * pieceLength)
  const left = totalBytes - haveBytes
  return {
    percent: stats.pieceCount === 0 ? 100 : (100 * stats.piecesVerified) / stats.pieceCount,
    downloadRate: stats.downloadRate,
    uploadRate: stats.uploadRate,
    peers: stats.peers,
    etaSeconds: left === 0 ? 0 : stats.downloadRate > 0 ? left / stats.downloadRate : undefined,
    downloadedBytes: stats.downloadedBytes,
    uploadedBytes: stats.uploadedBytes,
    piecesVerified: stats.piecesVerified,
    pieceCount: stats.pieceCount,
    verifiedBytes: haveBytes,
    length: totalBytes,
  }
}

const BAR_MIN = 10
const BAR_MAX = 30

/** `[#####.....]` of `cells` cells for `percent`. */
export function progressBar(percent: number, cells: number): string {
  const filled = Math.max(0, Math.min(cells, Math.floor((percent / 100) * cells)))
  return `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}]`
}

/**
 * One progress line that fits in `width` columns: the parts that matter most stay (percent,
 * bytes done of total), the rest (rates, peers, eta, then the bar) go first when it is narrow.
 * Never longer than `width - 1`, so a terminal never wraps it.
 */
export function progressLine(view: ProgressView, width = 80): string {
  const room = Math.max(1, width - 1)
  const percent = `${view.percent.toFixed(1).padStart(5)}%`
  const bytes = `${formatBytes(view.verifiedBytes)}/${formatBytes(view.length)}`
  const tail = [
    `down ${formatBytes(view.downloadRate)}/s`,
    `up ${formatBytes(view.uploadRate)}/s`,
    `peers ${view.peers}`,
    `eta ${formatEta(view.etaSeconds)}`,
  ]
  // Drop from the end of the tail until the line fits with at least the smallest bar.
  for (let keep = tail.length; keep >= 0; keep--) {
    const rest = [bytes, ...tail.slice(0, keep)].join('  ')
    const withoutBar = `${percent}  ${rest}`
    const barCells = Math.min(BAR_MAX, room - withoutBar.length - 4)
    if (barCells >= BAR_MIN) return `${percent} ${progressBar(view.percent, barCells)} ${rest}`
    if (keep === 0 && withoutBar.length <= room) return withoutBar
  }
  return `${percent} ${bytes}`.slice(0, room)
}
