/**
 * Reading .torrent files (BEP 3 with BEP 12, 19, 27, 47) and info dictionaries fetched from
 * peers (BEP 9). Strict where it matters: the info dictionary must be canonical bencode, its
 * layout must add up, and every path must be safe to create. Lenient where it does not: bad
 * tracker or web seed entries are dropped. Never throws on any input.
 */
import { decodeWithSpans, isBDict } from '../../../core/codec/bencode.js'
import { equalBytes } from '../../../core/bytes.js'
import type { Hashing } from '../../../core/env.js'
import type { Id160 } from '../../../core/id.js'
import { err, ok, type Result } from '../../../core/result.js'
import { type MetainfoError, metainfoError } from './errors.js'
import { DEFAULT_METAINFO_LIMITS, type MetainfoLimits } from './limits.js'
import { parseInfoBytes } from './parse-info.js'
import { parsePieceLayers } from './parse-piece-layers.js'
import { parseExtras } from './parse-trackers.js'
import type { Metainfo } from './types.js'

/**
 * Parses a .torrent file. The result does not alias `bytes` (the info dictionary is copied
 * once into `infoBytes`, and `pieces` is a view into that copy), so the caller may reuse its
 * buffer.
 */
export function parseMetainfo(
  bytes: Uint8Array,
  hashing: Hashing,
  limits: Partial<MetainfoLimits> = {},
): Result<Metainfo, MetainfoError> {
  const bounds = { ...DEFAULT_METAINFO_LIMITS, ...limits }
  // Unsorted keys are accepted as libtorrent does: the info-hash comes from the raw bytes.
  const decoded = decodeWithSpans(bytes, {
    allowUnsortedKeys: true,
    bytesMax: bounds.torrentBytesMax,
    itemsMax: bounds.itemsMax,
  })
  if (!decoded.ok) {
    const { code, offset, message } = decoded.error
    return err(metainfoError('not_bencode', `not bencode: ${code} at byte ${offset}: ${message}`))
  }
  const torrent = decoded.value.value
  if (!isBDict(torrent)) return err(metainfoError('not_a_dict', 'torrent is not a dictionary'))
  const info = torrent.get('info')
  if (info === undefined) return err(metainfoError('missing_key', "torrent has no 'info'"))
  const span = decoded.value.spanOf(info)
  if (!isBDict(info) || span === undefined) {
    return err(metainfoError('not_a_dict', "'info' is not a dictionary"))
  }
  const parsed = parseInfoBytes(bytes.slice(span.start, span.end), hashing, bounds)
  if (!parsed.ok) return parsed
  const pieceLayers = parsePieceLayers(torrent.get('piece layers'), parsed.value, hashing)
  if (!pieceLayers.ok) return pieceLayers
  return ok({ ...parsed.value, ...parseExtras(torrent, bounds), pieceLayers: pieceLayers.value })
}

/**
 * Parses an info dictionary on its own, as assembled from ut_metadata (BEP 9) pieces. It has
 * no trackers or web seeds. Check it against the info-hash you asked for with
 * `verifyInfoDict` first: a peer can send any dictionary. `infoBytes` is kept, not copied.
 */
export function parseInfoDict(
  infoBytes: Uint8Array,
  hashing: Hashing,
  limits: Partial<MetainfoLimits> = {},
): Result<Metainfo, MetainfoError> {
  return parseInfoBytes(infoBytes, hashing, { ...DEFAULT_METAINFO_LIMITS, ...limits })
}

/**
 * True when `infoBytes` hashes to `expected`: the metadata is the torrent we asked for.
 * `expected` is the 20-byte hash the swarm uses: the SHA-1 (v1, hybrid), or the truncated
 * SHA-256 of a v2-only torrent (BEP 52), or the full 32-byte SHA-256.
 */
export function verifyInfoDict(
  infoBytes: Uint8Array,
  expected: Id160 | Uint8Array,
  hashing: Hashing,
): boolean {
  if (expected.length !== 20 && expected.length !== 32) return false
  if (expected.length === 20 && equalBytes(hashing.sha1([infoBytes]), expected)) return true
  const v2 = hashing.sha256([infoBytes])
  return equalBytes(v2.subarray(0, expected.length), expected)
}
