/**
 * Validation of an HTTP announce (BEP 3, BEP 7, BEP 23). Required: `info_hash` and `peer_id`
 * (20 bytes each), `port` (1-65535) and `left`; `uploaded` / `downloaded` default to 0 but must
 * be decimal when present. Unknown parameters (`key`, `supportcrypto`, `corrupt`, ...) are
 * ignored, as clients send many. Every refusal is a `failure reason`.
 */
import { err, ok, type Result } from '../../../core/result.js'
import { asciiValue, groupParams, parseQuery } from './http-query.js'
import type { PeerEvent } from './swarm-registry.js'

export interface HttpAnnounceParams {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly port: number
  readonly left: number
  readonly uploaded: number
  readonly downloaded: number
  readonly event: PeerEvent
  /** Undefined: the tracker's default. Not capped yet. */
  readonly numwant: number | undefined
  readonly compact: boolean
  readonly noPeerId: boolean
  /** BEP 3 `ip` and BEP 7 `ipv4` / `ipv6`, as text; used only when the policy trusts them. */
  readonly ip: string | undefined
  readonly ipv4: string | undefined
  readonly ipv6: string | undefined
}

export const HASH_BYTES = 20

/** Up to 16 digits keeps every count a safe integer (8 PiB is plenty). */
const COUNT = /^\d{1,16}$/
/** numwant beyond six digits is not a request anyone means: refuse it. */
const NUMWANT = /^\d{1,6}$/
const PORT = /^\d{1,5}$/

const EVENTS: Readonly<Record<string, PeerEvent>> = {
  '': 'none',
  empty: 'none',
  started: 'started',
  completed: 'completed',
  stopped: 'stopped',
  // BEP 21 partial seeds: the peer stays, nothing else changes.
  paused: 'none',
}

type Params = Map<string, Uint8Array[]>

const one = (params: Params, name: string): Uint8Array | undefined => params.get(name)?.[0]

function count(params: Params, name: string, required: boolean): Result<number, string> {
  const text = asciiValue(one(params, name))
  if (text === undefined) return required ? err(`missing ${name}`) : ok(0)
  if (!COUNT.test(text)) return err(`${name} must be a non-negative decimal integer`)
  return ok(Number(text))
}

function flag(params: Params, name: string, absent: boolean): Result<boolean, string> {
  const text = asciiValue(one(params, name))
  if (text === undefined) return ok(absent)
  if (text === '1') return ok(true)
  if (text === '0') return ok(false)
  return err(`${name} must be 0 or 1`)
}

function hash(params: Params, name: string): Result<Uint8Array, string> {
  const value = one(params, name)
  if (value === undefined) return err(`missing ${name}`)
  if (value.length !== HASH_BYTES) return err(`${name} must be ${HASH_BYTES} bytes`)
  return ok(value.slice())
}

export function parseAnnounceParams(
  rawQuery: string,
  charsMax: number,
): Result<HttpAnnounceParams, string> {
  const parsed = parseQuery(rawQuery, charsMax)
  if (!parsed.ok) return parsed
  const grouped = groupParams(parsed.value)
  if (!grouped.ok) return grouped
  const params = grouped.value
  const infoHash = hash(params, 'info_hash')
  if (!infoHash.ok) return infoHash
  const peerId = hash(params, 'peer_id')
  if (!peerId.ok) return peerId
  const portText = asciiValue(one(params, 'port'))
  if (portText === undefined) return err('missing port')
  const port = Number(portText)
  if (!PORT.test(portText) || port < 1 || port > 0xffff) return err('port must be 1 to 65535')
  const left = count(params, 'left', true)
  if (!left.ok) return left
  const uploaded = count(params, 'uploaded', false)
  if (!uploaded.ok) return uploaded
  const downloaded = count(params, 'downloaded', false)
  if (!downloaded.ok) return downloaded
  const eventText = asciiValue(one(params, 'event')) ?? ''
  const event = Object.hasOwn(EVENTS, eventText) ? EVENTS[eventText] : undefined
  if (event === undefined) return err('event must be started, completed, stopped or empty')
  const numwantText = asciiValue(one(params, 'numwant'))
  if (numwantText !== undefined && !NUMWANT.test(numwantText)) {
    return err('numwant must be a decimal integer from 0 to 999999')
  }
  const compact = flag(params, 'compact', true)
  if (!compact.ok) return compact
  const noPeerId = flag(params, 'no_peer_id', false)
  if (!noPeerId.ok) return noPeerId
  return ok({
    infoHash: infoHash.value,
    peerId: peerId.value,
    port,
    left: left.value,
    uploaded: uploaded.value,
    downloaded: downloaded.value,
    event,
    numwant: numwantText === undefined ? undefined : Number(numwantText),
    compact: compact.value,
    noPeerId: noPeerId.value,
    ip: asciiValue(one(params, 'ip')),
    ipv4: asciiValue(one(params, 'ipv4')),
    ipv6: asciiValue(one(params, 'ipv6')),
  })
}

/** The info-hashes of a scrape (BEP 48): `info_hash` may repeat; nothing else may. */
export function parseScrapeParams(
  rawQuery: string,
  charsMax: number,
): Result<Uint8Array[], string> {
  const parsed = parseQuery(rawQuery, charsMax)
  if (!parsed.ok) return parsed
  const grouped = groupParams(parsed.value, ['info_hash'])
  if (!grouped.ok) return grouped
  const hashes = grouped.value.get('info_hash') ?? []
  for (const value of hashes) {
    if (value.length !== HASH_BYTES) return err(`info_hash must be ${HASH_BYTES} bytes`)
  }
  return ok(hashes.map((value) => value.slice()))
}
