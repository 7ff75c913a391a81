/**
 * Vendor messages (payload descriptor 0x31, LimeWire's "VMP"): a 4-byte ASCII vendor code, a
 * 2-byte little-endian selector and a 2-byte little-endian version, then selector-specific
 * data. Messages Supported (messages-supported.ts) and the push-proxy pair
 * (push-proxy-messages.ts) have their own files; this one holds Dynamic Querying's leaf guidance (LimeWire BEAR/11 and BEAR/12; the
 * same layout in gtk-gnutella's vmsg.c):
 *
 * - QueryStatusRequest, BEAR/11 v1, no data: an ultrapeer running a dynamic query for a leaf
 *   asks how many results the leaf has kept. Its descriptor GUID is the query's GUID.
 * - QueryStatusResponse, BEAR/12 v1, data = kept results as a 2-byte little-endian count;
 *   0xFFFF means "stop this query" (the leaf closed the search or does not know it).
 */
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import type { Payload } from './messages.js'
import {
  isMessagesSupported,
  readMessagesSupported,
  type SupportedMessage,
} from './messages-supported.js'
import { readPushProxyMessage, type PushProxyMessage } from './push-proxy-messages.js'
import { ByteReader, ByteWriter } from './wire.js'

export type VendorPayload = Extract<Payload, { type: 'vendor' }>

export const VENDOR_HEADER_BYTES = 8
const BEAR = 'BEAR'
const QUERY_STATUS_REQUEST = 11
const QUERY_STATUS_RESPONSE = 12
const QUERY_STATUS_VERSION = 1
/** The kept count that tells the ultrapeer to stop; real counts are capped one below. */
export const QUERY_STATUS_STOP = 0xffff

export function decodeVendor(payload: Uint8Array): Result<VendorPayload, string> {
  const r = new ByteReader(payload)
  const vendor = r.take(4)
  const selector = r.u16le()
  const version = r.u16le()
  if (vendor === undefined || selector === undefined || version === undefined)
    return err('vendor message shorter than 8 bytes')
  // Vendor codes are printable ASCII (anything else would not survive a text round-trip),
  // except the all-zero code of Messages Supported (messages-supported.ts).
  const zero = vendor.every((b) => b === 0)
  if (!zero && vendor.some((b) => b < 0x20 || b > 0x7e)) return err('vendor code is not ASCII')
  return ok({ type: 'vendor', vendor: fromUtf8(vendor), selector, version, data: r.rest() })
}

export function encodeVendor(v: VendorPayload): Uint8Array {
  const code = utf8(v.vendor.padEnd(4, ' ').slice(0, 4))
  return new ByteWriter().bytes(code).u16le(v.selector).u16le(v.version).bytes(v.data).finish()
}

export function queryStatusRequest(): VendorPayload {
  return {
    type: 'vendor',
    vendor: BEAR,
    selector: QUERY_STATUS_REQUEST,
    version: QUERY_STATUS_VERSION,
    data: new Uint8Array(0),
  }
}

/** `kept` results, capped at 0xFFFE so that a large count never reads as "stop". */
export function queryStatusResponse(kept: number | 'stop'): VendorPayload {
  const count = kept === 'stop' ? QUERY_STATUS_STOP : Math.min(Math.max(0, kept), 0xfffe)
  return {
    type: 'vendor',
    vendor: BEAR,
    selector: QUERY_STATUS_RESPONSE,
    version: QUERY_STATUS_VERSION,
    data: new ByteWriter().u16le(count).finish(),
  }
}

export type KnownVendorMessage =
  | { readonly kind: 'query_status_request' }
  | { readonly kind: 'query_status_response'; readonly kept: number | 'stop' }
  | { readonly kind: 'messages_supported'; readonly list: readonly SupportedMessage[] }
  | PushProxyMessage

/**
 * The vendor messages we act on; undefined for the rest (ignored, as the spec asks). A
 * malformed Messages Supported is an error: the peer's list cannot be trusted at all.
 */
export function readVendorMessage(v: VendorPayload): KnownVendorMessage | undefined | Error {
  if (isMessagesSupported(v)) {
    const list = readMessagesSupported(v.data)
    return list.ok ? { kind: 'messages_supported', list: list.value } : new Error(list.error)
  }
  const proxy = readPushProxyMessage(v)
  if (proxy !== undefined) return proxy
  if (v.vendor !== BEAR || v.version < QUERY_STATUS_VERSION) return undefined
  if (v.selector === QUERY_STATUS_REQUEST) return { kind: 'query_status_request' }
  if (v.selector === QUERY_STATUS_RESPONSE) {
    const kept = new ByteReader(v.data).u16le()
    if (kept === undefined) return undefined
    return { kind: 'query_status_response', kept: kept === QUERY_STATUS_STOP ? 'stop' : kept }
  }
  return undefined
}
