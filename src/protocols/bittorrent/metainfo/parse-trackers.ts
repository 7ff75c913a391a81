/**
 * The optional, outside-the-info-hash parts of a .torrent: trackers (BEP 3 `announce`, BEP 12
 * `announce-list`), web seeds (BEP 19 `url-list`) and descriptive fields. None of them is
 * covered by the info-hash and any of them may be junk, so they are read leniently: a malformed
 * entry is dropped, never a reason to refuse the torrent (libtorrent does the same).
 */
import {
  type BDict,
  type BValue,
  dictGetBytes,
  dictGetInt,
  isBBytes,
  isBList,
} from '../../../core/codec/bencode.js'
import { fromUtf8Strict, utf8 } from '../../../core/bytes.js'
import type { MetainfoLimits } from './limits.js'

export interface TorrentExtras {
  readonly announce?: string
  readonly announceList: string[][]
  readonly urlList: string[]
  readonly comment?: string
  readonly createdBy?: string
  readonly creationDate?: number
}

export function parseExtras(torrent: BDict, limits: MetainfoLimits): TorrentExtras {
  const seen = new Set<string>()
  const announce = url(torrent.get('announce'), limits)
  const tiers = announceTiers(torrent.get('announce-list'), seen, limits)
  // BEP 12: when announce-list is present (and usable), clients use it and ignore announce.
  const announceList = tiers.length > 0 ? tiers : announce === undefined ? [] : [[announce]]
  const comment = text(torrent, 'comment.utf-8') ?? text(torrent, 'comment')
  const createdBy = text(torrent, 'created by')
  const creationDate = dictGetInt(torrent, 'creation date')
  return {
    ...(announce === undefined ? {} : { announce }),
    announceList,
    urlList: webSeeds(torrent.get('url-list'), limits),
    ...(comment === undefined ? {} : { comment }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(creationDate === undefined || creationDate < 0 ? {} : { creationDate }),
  }
}

/** Tiers of unique tracker URLs, empty tiers dropped, at most `trackersMax` URLs in all. */
function announceTiers(value: BValue | undefined, seen: Set<string>, limits: MetainfoLimits) {
  const tiers: string[][] = []
  if (!isBList(value)) return tiers
  let count = 0
  for (const tierValue of value) {
    if (!isBList(tierValue)) continue
    const tier: string[] = []
    for (const entry of tierValue) {
      const tracker = url(entry, limits)
      if (tracker === undefined || seen.has(tracker) || count >= limits.trackersMax) continue
      seen.add(tracker)
      tier.push(tracker)
      count++
    }
    if (tier.length > 0) tiers.push(tier)
  }
  return tiers
}

/** BEP 19 allows one URL as a string or several as a list. */
function webSeeds(value: BValue | undefined, limits: MetainfoLimits): string[] {
  const entries = isBList(value) ? value : value === undefined ? [] : [value]
  const seeds: string[] = []
  for (const entry of entries) {
    const seed = url(entry, limits)
    if (seed !== undefined && !seeds.includes(seed) && seeds.length < limits.webSeedsMax) {
      seeds.push(seed)
    }
  }
  return seeds
}

/** A trimmed, non-empty UTF-8 URL within `urlBytesMax`, or undefined. */
function url(value: BValue | undefined, limits: MetainfoLimits): string | undefined {
  if (!isBBytes(value) || value.length > limits.urlBytesMax) return undefined
  const decoded = fromUtf8Strict(value)?.trim()
  if (decoded === undefined || decoded.length === 0) return undefined
  return utf8(decoded).length <= limits.urlBytesMax ? decoded : undefined
}

function text(dict: BDict, key: string): string | undefined {
  const bytes = dictGetBytes(dict, key)
  return bytes === undefined ? undefined : fromUtf8Strict(bytes)
}
