import { isIPv4, isValidPort } from '../../../core/address.js'
import { err, ok, type Result } from '../../../core/result.js'

/**
 * Parsing of an HTTP announce query (BEP 3). `info_hash` and `peer_id` are raw bytes,
 * percent-encoded byte by byte, so the query is decoded to bytes, never through a text decoder.
 * Every refusal is a `failure reason` the tracker sends back.
 */
export type AnnounceEvent = 'started' | 'completed' | 'stopped' | 'empty'

export interface AnnounceQuery {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly port: number
  readonly uploaded: number
  readonly downloaded: number
  readonly left: number
  readonly event: AnnounceEvent
  readonly numwant: number | undefined
  readonly compact: boolean
  /** BEP 3's optional `ip`: only honoured for loopback requesters (a local demo). */
  readonly ip: string | undefined
}

/** Longer queries are refused before parsing. */
export const QUERY_BYTES_MAX = 4096
/** Parameters per query. */
const PARAMS_MAX = 64

const HEX_VALUE = (code: number): number =>
  code >= 0x30 && code <= 0x39
    ? code - 0x30
    : code >= 0x41 && code <= 0x46
      ? code - 0x37
      : code >= 0x61 && code <= 0x66
        ? code - 0x57
        : -1

/** Percent-decodes to bytes ('+' is a space, as in forms); undefined on a bad escape. */
export function percentDecodeBytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length)
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7e) return undefined
    if (code === 0x25) {
      const high = HEX_VALUE(text.charCodeAt(i + 1))
      const low = HEX_VALUE(text.charCodeAt(i + 2))
      if (high < 0 || low < 0) return undefined
      out[length++] = high * 16 + low
      i += 2
    } else out[length++] = code === 0x2b ? 0x20 : code
  }
  return out.subarray(0, length)
}

export function parseQueryBytes(query: string): Result<Map<string, Uint8Array>, string> {
  if (query.length > QUERY_BYTES_MAX) return err('query too long')
  const params = new Map<string, Uint8Array>()
  const parts = query === '' ? [] : query.split('&')
  if (parts.length > PARAMS_MAX) return err('too many parameters')
  for (const part of parts) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = percentDecodeBytes(eq < 0 ? part : part.slice(0, eq))
    const value = percentDecodeBytes(eq < 0 ? '' : part.slice(eq + 1))
    if (key === undefined || value === undefined) return err('malformed percent-encoding')
    const name = String.fromCharCode(...key)
    if (params.has(name)) return err(`parameter ${name} repeated`)
    params.set(name, value)
  }
  return ok(params)
}

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : String.fromCharCode(...bytes)

function nonNegative(params: Map<string, Uint8Array>, name: string): Result<number, string> {
  const value = text(params.get(name))
  if (value === undefined) return ok(0)
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    return err(`${name} must be a non-negative integer`)
  }
  return ok(Number(value))
}

export function parseAnnounceQuery(query: string): Result<AnnounceQuery, string> {
  const parsed = parseQueryBytes(query)
  if (!parsed.ok) return parsed
  const params = parsed.value
  const infoHash = params.get('info_hash')
  if (infoHash === undefined) return err('missing info_hash')
  if (infoHash.length !== 20) return err('info_hash must be 20 bytes')
  const peerId = params.get('peer_id')
  if (peerId === undefined) return err('missing peer_id')
  if (peerId.length !== 20) return err('peer_id must be 20 bytes')
  const portText = text(params.get('port'))
  const port = Number(portText)
  if (portText === undefined || !/^\d{1,5}$/.test(portText) || !isValidPort(port) || port === 0) {
    return err('port must be between 1 and 65535')
  }
  const counts = ['uploaded', 'downloaded', 'left'].map((name) => nonNegative(params, name))
  for (const count of counts) if (!count.ok) return count
  const [uploaded, downloaded, left] = counts.map((c) => (c.ok ? c.value : 0)) as number[]
  const eventText = text(params.get('event')) ?? 'empty'
  if (!['started', 'completed', 'stopped', 'empty', ''].includes(eventText)) {
    return err('event must be started, completed or stopped')
  }
  const numwantText = text(params.get('numwant'))
  let numwant: number | undefined
  if (numwantText !== undefined) {
    if (!/^\d{1,9}$/.test(numwantText)) return err('numwant must be a non-negative integer')
    numwant = Number(numwantText)
  }
  const ip = text(params.get('ip'))
  return ok({
    infoHash,
    peerId,
    port,
    uploaded: uploaded as number,
    downloaded: downloaded as number,
    left: left as number,
    event: (eventText === '' ? 'empty' : eventText) as AnnounceEvent,
    numwant,
    compact: text(params.get('compact')) !== '0',
    ip: ip !== undefined && isIPv4(ip) ? ip : undefined,
  })
}
