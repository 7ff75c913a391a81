import type { TorrentDetail, TorrentStatus } from '../../peer/types.js'
import { formatBytes } from '../progress.js'

/** How the remote commands print torrents for people (`--json` prints the API's objects). */

const percent = (t: TorrentStatus): string =>
  t.length === 0 ? '-' : `${Math.floor((t.verifiedBytes / t.length) * 1000) / 10}%`

const rate = (bytesPerSecond: number): string =>
  bytesPerSecond === 0 ? '-' : `${formatBytes(bytesPerSecond)}/s`

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = []
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  // The last column (the name) is not padded: it runs to the end of the line.
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
  )
}

export function listLines(torrents: readonly TorrentStatus[]): string[] {
  if (torrents.length === 0) return ['no torrents']
  const header = ['ID', 'STATE', 'DONE', 'SIZE', 'DOWN', 'UP', 'PEERS', 'NAME']
  const rows = torrents.map((t) => [
    t.infoHash.slice(0, 8),
    t.state,
    percent(t),
    t.length === 0 ? '-' : formatBytes(t.length),
    rate(t.downloadRate),
    rate(t.uploadRate),
    String(t.peers),
    t.name,
  ])
  return table([header, ...rows])
}

export function detailLines(t: TorrentDetail): string[] {
  const lines = [
    `name:       ${t.name}`,
    `info-hash:  ${t.infoHash}`,
    `state:      ${t.state}${t.error === undefined ? '' : ` (${t.error})`}`,
    `save dir:   ${t.saveDir === '' ? '.' : t.saveDir}`,
    `size:       ${t.length === 0 ? 'unknown (fetching metadata)' : formatBytes(t.length)}`,
    `done:       ${percent(t)} (${t.piecesVerified}/${t.pieces} pieces)`,
    `down / up:  ${rate(t.downloadRate)} / ${rate(t.uploadRate)} (${formatBytes(t.downloadedBytes)} / ${formatBytes(t.uploadedBytes)} in total)`,
    `peers:      ${t.peers}`,
  ]
  if (t.files.length > 0) {
    lines.push('files:')
    // BEP 47 padding files are not the user's: hidden, their indices stay the torrent's.
    const rows = t.files
      .filter((f) => f.pad !== true)
      .map((f) => [
        `  ${f.index}`,
        f.priority === 0 ? 'skip' : `prio ${f.priority}`,
        formatBytes(f.length),
        f.path,
      ])
    lines.push(...table(rows))
  }
  if (t.peerList.length > 0) {
    lines.push('peers:')
    const rows = t.peerList.map((p) => [
      `  ${p.address}`,
      `down ${rate(p.downloadRate)}`,
      `up ${rate(p.uploadRate)}`,
      p.client ?? '',
    ])
    lines.push(...table(rows))
  }
  if (t.trackers.length > 0) {
    lines.push('trackers:')
    for (const tr of t.trackers) {
      lines.push(`  [${tr.tier}] ${tr.url}${tr.message === undefined ? '' : `  ${tr.message}`}`)
    }
  }
  return lines
}

export const limitText = (bytesPerSecond: number): string =>
  bytesPerSecond === 0 ? 'unlimited' : `${bytesPerSecond / 1024} KiB/s`
