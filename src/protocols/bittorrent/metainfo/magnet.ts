/**
 * Magnet links (BEP 9): `magnet:?xt=urn:btih:<info-hash>&dn=<name>&tr=<tracker>&x.pe=<peer>`.
 *
 * Parsing is a hand-written query-string reader (see percent.ts for why not URL). The info-hash
 * is 40 hex digits (either case) or 32 base32 characters. Parameters may repeat (`tr`, `x.pe`,
 * `ws`) or carry a numeric suffix (`tr.1`, `xt.2`); unknown ones are ignored without being
 * decoded. A v2 `urn:btmh:` alone is refused as unsupported; beside a `btih` it is ignored (a
 * hybrid magnet). Malformed optional entries (a peer without a port) are dropped; only a bad,
 * missing or conflicting `xt`, a bad escape, or the wrong scheme fail the parse.
 */
import { type Address, addressKey, parseAddress } from '../../../core/address.js'
import { equalIds, idFromBase32, idFromHex, type Id160, toHex } from '../../../core/id.js'
import { err, ok, type Result } from '../../../core/result.js'
import { percentDecode, percentEncode } from './percent.js'

export interface Magnet {
  readonly infoHash: Id160
  /** `infoHash` in lowercase hex. */
  readonly infoHashHex: string
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
  | 'unsupported_v2'

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

interface Draft {
  infoHash: Id160 | undefined
  sawV2: boolean
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
    sawV2: false,
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
  if (lower.startsWith(BTMH)) {
    draft.sawV2 = true
    return undefined
  }
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

function finish(draft: Draft): Result<Magnet, MagnetError> {
  const { infoHash, displayName } = draft
  if (infoHash === undefined) {
    if (draft.sawV2) return failure('unsupported_v2', 'unsupported: v2 magnet (urn:btmh only)')
    return failure('missing_xt', "no 'xt=urn:btih:' info-hash")
  }
  return ok({
    infoHash,
    infoHashHex: toHex(infoHash),
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
 * `magnet:?xt=urn:btih:<lowercase hex>&dn=...&tr=...&ws=...&x.pe=...`, every value
 * percent-encoded (spaces as `%20`, plus signs as `%2B`), empty values left out.
 */
export function formatMagnet(magnet: {
  readonly infoHash: Id160
  readonly displayName?: string | undefined
  readonly trackers?: readonly string[]
  readonly peers?: readonly Address[]
  readonly webSeeds?: readonly string[]
}): string {
  let out = `${SCHEME}?xt=${BTIH}${toHex(magnet.infoHash)}`
  const add = (key: string, value: string): void => {
    if (value.length > 0) out += `&${key}=${percentEncode(value)}`
  }
  add('dn', magnet.displayName ?? '')
  for (const tracker of magnet.trackers ?? []) add('tr', tracker)
  for (const seed of magnet.webSeeds ?? []) add('ws', seed)
  for (const peer of magnet.peers ?? []) add('x.pe', addressKey(peer))
  return out
}
