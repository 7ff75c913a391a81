import { dictOf, encode } from '../../core/codec/bencode.js'
import { buildTorrent, type Metainfo } from '../../protocols/bittorrent/metainfo/index.js'

/**
 * The .torrent as the directory serves it: the uploaded one with the directory's own tracker
 * URLs put in front as the first BEP 12 tier (the uploader's trackers follow), so that whoever
 * downloads it from here finds the swarm through this tracker. Only keys outside `info` change,
 * so the info-hash is the same.
 *
 * Parsing and re-encoding a torrent costs time in proportion to its size (1.6-2.2 s for a
 * 100,000-file one), far too much per download. So the work is done once, at publish: the
 * template keeps the uploader's tiers and the encoded rest of the dictionary (every key after
 * `announce-list` in bencode's sorted order: comment, created by, creation date, info,
 * url-list). A download only encodes the two tracker keys and copies the tail behind them.
 */
export interface ServedTemplate {
  /** The uploader's BEP 12 tiers (or `[[announce]]`). */
  readonly tiers: readonly (readonly string[])[]
  /** The canonical dictionary without its opening 'd' and without the two tracker keys. */
  readonly tail: Uint8Array
}

/** The template of a torrent that cannot be rebuilt canonically: serve it as uploaded. */
export const VERBATIM: ServedTemplate = { tiers: [], tail: new Uint8Array(0) }

/** The template of a parsed torrent (`VERBATIM` when it cannot be rebuilt canonically). */
export function servedTemplate(m: Metainfo): ServedTemplate {
  try {
    const rest = buildTorrent({
      info: m.infoBytes,
      urlList: m.urlList,
      ...(m.comment === undefined ? {} : { comment: m.comment }),
      ...(m.createdBy === undefined ? {} : { createdBy: m.createdBy }),
      ...(m.creationDate === undefined ? {} : { creationDate: m.creationDate }),
    })
    return { tiers: m.announceList, tail: rest.subarray(1) }
  } catch {
    return VERBATIM
  }
}

/**
 * The served bytes: `original` unchanged when there is no template or no tracker of ours;
 * otherwise our trackers in front of the uploader's, then the stored tail. No parsing here.
 */
export function servedTorrent(
  original: Uint8Array,
  template: ServedTemplate | undefined,
  trackers: readonly string[],
): Uint8Array {
  if (template === undefined || template.tail.length === 0 || trackers.length === 0) {
    return original
  }
  const ours = new Set(trackers)
  const theirs = template.tiers
    .map((tier) => tier.filter((url) => !ours.has(url)))
    .filter((tier) => tier.length > 0)
  const head = encode(
    dictOf({ announce: trackers[0] as string, 'announce-list': [trackers, ...theirs] }),
  )
  // `head` is a whole dictionary 'd...e': drop its 'e' and continue with the tail's keys.
  const served = new Uint8Array(head.length - 1 + template.tail.length)
  served.set(head.subarray(0, head.length - 1))
  served.set(template.tail, head.length - 1)
  return served
}
