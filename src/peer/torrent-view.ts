import { addressKey } from '../core/address.js'
import { pieceLengthAt, type Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import type { Bitfield } from '../protocols/bittorrent/picker/index.js'
import type { SwarmView } from '../protocols/bittorrent/swarm/index.js'
import type { TorrentFileStatus, TorrentPeerStatus, TorrentTrackerStatus } from './types.js'

/** The default file priority (libtorrent's 4); 0 skips a file. */
export const FILE_PRIORITY_DEFAULT = 4
export const FILE_PRIORITY_MAX = 7

/** Bytes of verified pieces: exact, the last (short) piece counted at its own length. */
export function verifiedBytesOf(m: Metainfo, have: Bitfield): number {
  let bytes = 0
  for (const piece of have.ones()) bytes += pieceLengthAt(m, piece)
  return bytes
}

/**
 * Each file with its priority and the bytes of it that lie in verified pieces, in info
 * dictionary order (`index` is the position, as priorities are given). BEP 47 padding files
 * (the zeros a hybrid or v2 torrent aligns files with) are listed with `pad: true`, so that a
 * view can hide them as qBittorrent does while the priorities array still covers every file.
 */
export function fileStatuses(
  m: Metainfo,
  priorities: readonly number[] | undefined,
  have: Bitfield | undefined,
): TorrentFileStatus[] {
  const statuses: TorrentFileStatus[] = []
  m.files.forEach((file, index) => {
    statuses.push({
      ...(file.pad ? { pad: true } : {}),
      index,
      path: file.path.join('/'),
      length: file.length,
      priority: priorities?.[index] ?? FILE_PRIORITY_DEFAULT,
      verifiedBytes: have === undefined ? 0 : verifiedInRange(m, have, file.offset, file.length),
    })
  })
  return statuses
}

function verifiedInRange(m: Metainfo, have: Bitfield, offset: number, length: number): number {
  if (length === 0) return 0
  const first = Math.floor(offset / m.pieceLength)
  const last = Math.floor((offset + length - 1) / m.pieceLength)
  let bytes = 0
  for (let piece = first; piece <= last; piece++) {
    if (!have.get(piece)) continue
    const start = Math.max(offset, piece * m.pieceLength)
    const end = Math.min(offset + length, piece * m.pieceLength + pieceLengthAt(m, piece))
    bytes += end - start
  }
  return bytes
}

/** The connections past their handshake. */
export function peerStatuses(view: SwarmView): TorrentPeerStatus[] {
  return view.peers
    .filter((peer) => peer.phase === 'open')
    .map((peer) => ({
      address: addressKey(peer.address),
      ...(peer.client === undefined ? {} : { client: peer.client }),
      downloadRate: peer.downloadRate,
      uploadRate: peer.uploadRate,
      downloadedBytes: peer.downloadedBytes,
      uploadedBytes: peer.uploadedBytes,
    }))
}

/** Every tracker of the announce list by tier, with the last thing it said. */
export function trackerStatuses(
  m: Metainfo,
  messages: ReadonlyMap<string, string>,
): TorrentTrackerStatus[] {
  const out: TorrentTrackerStatus[] = []
  m.announceList.forEach((tier, index) => {
    for (const url of tier) {
      const message = messages.get(url)
      out.push({ url, tier: index, ...(message === undefined ? {} : { message }) })
    }
  })
  return out
}

/** Priorities the swarm accepts: one per file, whole numbers 0..7. */
export function validPriorities(m: Metainfo, priorities: readonly number[]): string | undefined {
  if (priorities.length !== m.files.length) {
    return `${priorities.length} priorities for ${m.files.length} files`
  }
  const bad = priorities.find((p) => !Number.isInteger(p) || p < 0 || p > FILE_PRIORITY_MAX)
  return bad === undefined ? undefined : `bad file priority ${bad} (0 skips, 1..7)`
}
