/**
 * LimeWire's push-proxy vendor messages. A leaf asks each of its ultrapeers to be its push
 * proxy with a PushProxyRequest (LIME/21 version 1, no data; the descriptor's GUID is the
 * leaf's servent id, the id downloaders name in their requests to the proxy). The ultrapeer
 * answers with a PushProxyAcknowledgement (LIME/22 version 2: 6 bytes, its IPv4 address in
 * network order, then its port as 2 bytes little-endian; version 1 is refused as LimeWire
 * refuses it).
 */
import type { Address } from '../../core/address.js'
import { isIpv4Text } from './wire.js'
import { ByteReader, ByteWriter } from './wire.js'
import type { VendorPayload } from './vendor-message.js'

const LIME = 'LIME'
export const PUSH_PROXY_REQUEST = 21
export const PUSH_PROXY_ACK = 22
const REQUEST_VERSION = 1
const ACK_VERSION = 2

export function pushProxyRequest(): VendorPayload {
  return {
    type: 'vendor',
    vendor: LIME,
    selector: PUSH_PROXY_REQUEST,
    version: REQUEST_VERSION,
    data: new Uint8Array(0),
  }
}

/** Undefined when `proxy` is not an IPv4 address (the message has room for nothing else). */
export function pushProxyAck(proxy: Address): VendorPayload | undefined {
  if (!isIpv4Text(proxy.host)) return undefined
  return {
    type: 'vendor',
    vendor: LIME,
    selector: PUSH_PROXY_ACK,
    version: ACK_VERSION,
    data: new ByteWriter().ipv4(proxy.host).u16le(proxy.port).finish(),
  }
}

export type PushProxyMessage =
  | { readonly kind: 'push_proxy_request' }
  | { readonly kind: 'push_proxy_ack'; readonly proxy: Address }

/** LIME/21 and LIME/22; undefined for other messages and for a malformed acknowledgement. */
export function readPushProxyMessage(v: VendorPayload): PushProxyMessage | undefined {
  if (v.vendor !== LIME) return undefined
  if (v.selector === PUSH_PROXY_REQUEST && v.version >= REQUEST_VERSION)
    return { kind: 'push_proxy_request' }
  if (v.selector !== PUSH_PROXY_ACK || v.version !== ACK_VERSION || v.data.length !== 6)
    return undefined
  const r = new ByteReader(v.data)
  const host = r.ipv4() as string
  const port = r.u16le() as number
  if (port === 0) return undefined
  return { kind: 'push_proxy_ack', proxy: { host, port } }
}
