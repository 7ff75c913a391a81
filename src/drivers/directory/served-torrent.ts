import type { Hashing } from '../../core/env.js'
import { buildTorrent, parseMetainfo } from '../../protocols/bittorrent/metainfo/index.js'

/**
 * The .torrent as the directory serves it: the uploaded one with the directory's own tracker
 * URLs put in front as the first BEP 12 tier (the uploader's trackers follow), so that whoever
 * downloads it from here finds the swarm through this tracker. Only keys outside `info` change,
 * so the info-hash is the same. A torrent that cannot be rebuilt is served unchanged.
 */
export function servedTorrent(original: Uint8Array, trackers: readonly string[], hashing: Hashing) {
  if (trackers.length === 0) return original
  const parsed = parseMetainfo(original, hashing)
  if (!parsed.ok) return original
  const m = parsed.value
  const ours = new Set(trackers)
  const theirs = m.announceList
    .map((tier) => tier.filter((url) => !ours.has(url)))
    .filter((tier) => tier.length > 0)
  try {
    return buildTorrent({
      info: m.infoBytes,
      announce: trackers[0] as string,
      announceList: [trackers, ...theirs],
      urlList: m.urlList,
      ...(m.comment === undefined ? {} : { comment: m.comment }),
      ...(m.createdBy === undefined ? {} : { createdBy: m.createdBy }),
      ...(m.creationDate === undefined ? {} : { creationDate: m.creationDate }),
    })
  } catch {
    return original
  }
}
