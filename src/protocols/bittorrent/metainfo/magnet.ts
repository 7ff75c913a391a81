/**
 * Magnet links (BEP 9): `magnet:?xt=urn:btih:<info-hash>&dn=<name>&tr=<tracker>&x.pe=<peer>`.
 *
 * Parsing is a hand-written query-string reader (see percent.ts for why not URL). The info-hash
 * is 40 hex digits (either case) or 32 base32 characters. Parameters may repeat (`tr`, `x.pe`,
 * `ws`) or carry a numeric suffix (`tr.1`, `xt.2`); unknown ones are ignored without being
 * decoded. BEP 52 `urn:btmh:` carries a multihash: `1220` (SHA-256, 32 bytes) and 64 hex
 * digits; alone it names a v2 torrent, beside a `btih` a hybrid. Malformed optional entries (a peer without a port) are dropped; only a bad,
 * missing or conflicting `xt`, a bad escape, or the wrong scheme fail the parse.
 */
import { type Address, addressKey, parseAddress } from '../../../core/address.js'
import { equalIds, idFromBase32, idFromHex, type Id160, toHex } from '../../../core/id.js'
import { equalBytes, fromHex } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import { percentDecode, percentEncode } from './percent.js'

export interface Magnet {
  /**
   * The 20-byte hash the swarm uses: the `btih`, or for a v2-only magnet the `btmh` SHA-256
   * truncated to 20 bytes (BEP 52), as in handshakes and the DHT.
   */
  readonly infoHash: Id160
  /** `infoHash` in lowercase hex. */
  readonly infoHashHex: string
  /** BEP 52 `btmh`: the full SHA-256 info-hash (32 bytes), when the link has one. */
  readonly infoHashV2?: Uint8Array
  readonly infoHashV2Hex?: string
  /** `dn`: a display name until the metadata arrives (it is not checked against anything). */
  readonly displayName?: string
  /** `tr`, in order, without duplicates. */
  readonly trackers: readonly string[]
  /** `x.pe`: peers to dial directly. BEP 9 allows a host name here, which the driver resolves. */
  readonly peers: readonly Address[]
  /** `ws`: BEP 19 web seeds. */
  readonly webSeeds: readonly string[]
}

export type MagnetErrorCode =
  | 'not_magnet'
  | 'too_long'
  | 'bad_percent_encoding'
  | 'missing_xt'
  | 'bad_info_hash'
  | 'conflicting_xt'

export interface MagnetError {
  readonly code: MagnetErrorCode
  readonly message: string
}

export interface MagnetLimits {
  /** Characters in the whole link: real ones stay under a few KiB even with 50 trackers. */
  readonly uriCharsMax: number
  /** Parameters read; the rest of a longer link is refused. */
  readonly paramsMax: number
  /** Each repeated list keeps at most this many entries (extras dropped). */
  readonly trackersMax: number
  readonly peersMax: number
  readonly webSeedsMax: number
}

export const DEFAULT_MAGNET_LIMITS: MagnetLimits = {
  uriCharsMax: 64 * 1024,
  paramsMax: 1024,
  trackersMax: 256,
  peersMax: 256,
  webSeedsMax: 64,
}

const SCHEME = 'magnet:'
const BTIH = 'urn:btih:'
const BTMH = 'urn:btmh:'
const HEX_HASH_CHARS = 40
const BASE32_HASH_CHARS = 32
/** Multihash prefix of a SHA-256 digest: function code 0x12, length 0x20. */
const SHA256_MULTIHASH = '1220'
const SHA256_HEX_CHARS = 64
const TRUNCATED_BYTES = 20

interface Draft {
  infoHash: Id160 | undefined
  infoHashV2: Uint8Array | undefined
  displayName: string | undefined
  trackers: string[]
  peers: Address[]
  webSeeds: string[]
}

const failure = (code: MagnetErrorCode, message: string): Result<never, MagnetError> =>
  err({ code, message })

/** Parses a magnet link. Never throws. */
export function parseMagnet(
  uri: string,
  limits: Partial<MagnetLimits> = {},
): Result<Magnet, MagnetError> {
  const bounds = { ...DEFAULT_MAGNET_LIMITS, ...limits }
  if (uri.length > bounds.uriCharsMax) {
    return failure('too_long', `magnet link of ${uri.length} chars, over ${bounds.uriCharsMax}`)
  }
  if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    return failure('not_magnet', "not a magnet link (expected 'magnet:?')")
  }
  const query = uri.slice(SCHEME.length).replace(/^\?/, '')
  const params = query.length === 0 ? [] : query.split('&')
  if (params.length > bounds.paramsMax) {
    return failure('too_long', `${params.length} parameters, over ${bounds.paramsMax}`)
  }
  const draft: Draft = {
    infoHash: undefined,
    infoHashV2: undefined,
    displayName: undefined,
    trackers: [],
    peers: [],
    webSeeds: [],
  }
  for (const param of params) {
    const problem = readParam(draft, param, bounds)
    if (problem !== undefined) return problem
  }
  return finish(draft)
}

function readParam(
  draft: Draft,
  param: string,
  bounds: MagnetLimits,
): Result<never, MagnetError> | undefined {
  const equals = param.indexOf('=')
  const rawKey = equals < 0 ? param : param.slice(0, equals)
  // `tr.1`, `xt.2`: the magnet convention for numbered repeats.
  const key = rawKey.toLowerCase().replace(/\.\d+$/, '')
  if (!['xt', 'dn', 'tr', 'x.pe', 'ws'].includes(key)) return undefined
  const value = percentDecode(equals < 0 ? '' : param.slice(equals + 1))
  if (value === undefined) {
    return failure('bad_percent_encoding', `bad percent-encoding in '${rawKey}'`)
  }
  if (value.length === 0) return undefined
  if (key === 'xt') return readTopic(draft, value)
  if (key === 'dn') draft.displayName ??= value
  else if (key === 'tr') addUnique(draft.trackers, value, bounds.trackersMax)
  else if (key === 'ws') addUnique(draft.webSeeds, value, bounds.webSeedsMax)
  else addPeer(draft.peers, value, bounds.peersMax)
  return undefined
}

function readTopic(draft: Draft, topic: string): Result<never, MagnetError> | undefined {
  const lower = topic.toLowerCase()
  if (lower.startsWith(BTMH)) return readMultihash(draft, lower.slice(BTMH.length))
  if (!lower.startsWith(BTIH)) return undefined
  const text = topic.slice(BTIH.length)
  const hash =
    text.length === HEX_HASH_CHARS
      ? idFromHex(text)
      : text.length === BASE32_HASH_CHARS
        ? idFromBase32(text)
        : undefined
  if (hash === undefined) {
    return failure('bad_info_hash', `'${text}' is not 40 hex digits or 32 base32 characters`)
  }
  if (draft.infoHash !== undefined && !equalIds(draft.infoHash, hash)) {
    return failure('conflicting_xt', 'two different btih info-hashes')
  }
  draft.infoHash = hash
  return undefined
}

function readMultihash(draft: Draft, text: string): Result<never, MagnetError> | undefined {
  const digest = text.startsWith(SHA256_MULTIHASH) ? text.slice(SHA256_MULTIHASH.length) : undefined
  const hash =
    digest !== undefined && digest.length === SHA256_HEX_CHARS ? fromHex(digest) : undefined
  if (hash === undefined) {
    return failure('bad_info_hash', `'${text}' is not a SHA-256 multihash (1220 + 64 hex digits)`)
  }
  if (draft.infoHashV2 !== undefined && !equalBytes(draft.infoHashV2, hash)) {
    return failure('conflicting_xt', 'two different btmh info-hashes')
  }
  draft.infoHashV2 = hash
  return undefined
}

function finish(draft: Draft): Result<Magnet, MagnetError> {
  const { infoHashV2, displayName } = draft
  const infoHash = draft.infoHash ?? (infoHashV2?.slice(0, TRUNCATED_BYTES) as Id160 | undefined)
  if (infoHash === undefined) return failure('missing_xt', "no 'xt=urn:btih:' or 'urn:btmh:'")
  return ok({
    infoHash,
    infoHashHex: toHex(infoHash),
    ...(infoHashV2 === undefined ? {} : { infoHashV2, infoHashV2Hex: toHex(infoHashV2) }),
    ...(displayName === undefined ? {} : { displayName }),
    trackers: draft.trackers,
    peers: draft.peers,
    webSeeds: draft.webSeeds,
  })
}

function addUnique(list: string[], value: string, max: number): void {
  if (list.length < max && !list.includes(value)) list.push(value)
}

/** `host:port` or `[v6]:port`; anything else is dropped (a hint, not worth failing over). */
function addPeer(peers: Address[], value: string, max: number): void {
  const peer = parseAddress(value)
  if (peer === undefined || peers.length >= max) return
  const key = addressKey(peer)
  if (!peers.some((known) => addressKey(known) === key)) peers.push(peer)
}

/**
 * `magnet:?xt=urn:btih:<lowercase hex>&xt=urn:btmh:1220<hex>&dn=...&tr=...&ws=...&x.pe=...`,
 * every value percent-encoded (spaces as `%20`, plus signs as `%2B`), empty values left out.
 * A v2-only torrent (its `infoHash` is the truncated `infoHashV2`) gets no `btih`.
 */
export function formatMagnet(magnet: {
  readonly infoHash: Id160
  readonly infoHashV2?: Uint8Array | undefined
  readonly displayName?: string | undefined
  readonly trackers?: readonly string[]
  readonly peers?: readonly Address[]
  readonly webSeeds?: readonly string[]
}): string {
  const { infoHash, infoHashV2 } = magnet
  const v2Only =
    infoHashV2 !== undefined && equalBytes(infoHashV2.subarray(0, TRUNCATED_BYTES), infoHash)
  const topics = [
    ...(v2Only ? [] : [`${BTIH}${toHex(infoHash)}`]),
    ...(infoHashV2 === undefined ? [] : [`${BTMH}${SHA256_MULTIHASH}${toHex(infoHashV2)}`]),
  ]
  let out = `${SCHEME}?${topics.map((topic) => `xt=${topic}`).join('&')}`
  const add = (key: string, value: string): void => {
    if (value.length > 0) out += `&${key}=${percentEncode(value)}`
  }
  add('dn', magnet.displayName ?? '')
  for (const tracker of magnet.trackers ?? []) add('tr', tracker)
  for (const seed of magnet.webSeeds ?? []) add('ws', seed)
  for (const peer of magnet.peers ?? []) add('x.pe', addressKey(peer))
  return out
}
