/**
 * The HTTP request a downloader sends to a firewalled servent's push proxy (LimeWire's push
 * proxy protocol): `GET /gnutella/push-proxy?ServerId=<servent id in base32>` (the older
 * form; the parameter name is matched case-insensitively, LimeWire wrote `ServerID`) or
 * `GET /gnet/push-proxy?guid=<servent id in hex>`, optionally `&file=<index>` (default 0),
 * with an `X-Node: <ip>:<port>` header naming where the firewalled servent should connect
 * (its GIV). The proxy answers 202 Accepted once the Push is sent, 404 when it does not
 * proxy that servent, 400 for a malformed request.
 */
import { parseAddress, type Address } from '../../../core/address.js'
import { fromHex, toHex } from '../../../core/bytes.js'
import { base32Decode, base32Encode } from '../base32.js'

export interface PushProxyRequest {
  readonly serventId: Uint8Array
  readonly fileIndex: number
  /** From `X-Node`: where the Push asks the servent to connect. */
  readonly downloader: Address
}

const INDEX_MAX = 0xffff_ffff

export function isPushProxyPath(target: string): boolean {
  return /^\/(gnutella|gnet)\/push-proxy(\?|$)/i.test(target)
}

/** The request, or why it is refused (answered 400). */
export function parsePushProxyRequest(
  target: string,
  xNode: string | undefined,
): PushProxyRequest | string {
  const match = /^\/(gnutella|gnet)\/push-proxy\?(.*)$/i.exec(target)
  if (match === null) return 'not a push-proxy target'
  const params = new Map<string, string>()
  for (const part of (match[2] as string).split('&')) {
    const eq = part.indexOf('=')
    if (eq > 0) params.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1))
  }
  const base32 = params.get('serverid')
  const hex = params.get('guid')
  let serventId: Uint8Array | undefined
  if (base32 !== undefined && base32.length === 26) serventId = base32Decode(base32)
  else if (hex !== undefined && /^[0-9a-f]{32}$/i.test(hex)) serventId = fromHex(hex.toLowerCase())
  if (serventId?.length !== 16) return 'no ServerId (base32) or guid (hex) of 16 bytes'
  const file = params.get('file') ?? '0'
  if (!/^\d{1,10}$/.test(file) || Number(file) > INDEX_MAX) return 'bad file index'
  const downloader = parseAddress((xNode ?? '').split(',')[0]?.trim() ?? '')
  if (downloader === undefined || downloader.port === 0) return 'no X-Node address'
  return { serventId, fileIndex: Number(file), downloader }
}

/** The older, base32 form, which both LimeWire generations accept. */
export function pushProxyPath(serventId: Uint8Array, fileIndex: number): string {
  return `/gnutella/push-proxy?ServerId=${base32Encode(serventId)}&file=${fileIndex}`
}

/** LimeWire's later form. */
export function pushProxyGnetPath(serventId: Uint8Array, fileIndex: number): string {
  return `/gnet/push-proxy?guid=${toHex(serventId).toUpperCase()}&file=${fileIndex}`
}
