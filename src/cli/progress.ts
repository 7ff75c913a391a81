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
  }
}

export function progressLine(view: ProgressView): string {
  return (
    `${view.percent.toFixed(1).padStart(5)}%  ` +
    `down ${formatBytes(view.downloadRate)}/s  up ${formatBytes(view.uploadRate)}/s  ` +
    `peers ${view.peers}  eta ${formatEta(view.etaSeconds)}`
  )
}
