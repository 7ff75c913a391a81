/**
 * "Messages Supported" (LimeWire's MessagesSupportedVendorMessage; gtk-gnutella's vmsg.c
 * reads the same layout): the vendor message with vendor code 0x00000000, selector 0,
 * version 0, sent once after the handshake to a peer whose handshake carried
 * `Vendor-Message`. Its data is a 2-byte little-endian count, then that many 8-byte entries:
 * vendor code (4 ASCII bytes), selector (2 bytes LE), version (2 bytes LE). Optional vendor
 * messages go only to peers that listed them. A count that disagrees with the entries that
 * follow (missing entries, trailing bytes) is refused, as LimeWire's own test refuses both.
 */
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import type { VendorPayload } from './vendor-message.js'
import { ByteReader, ByteWriter } from './wire.js'

/** The all-zero vendor code: 4 NUL bytes, as a string. */
export const MESSAGES_SUPPORTED_VENDOR = '\0\0\0\0'
const ENTRY_BYTES = 8

export interface SupportedMessage {
  readonly vendor: string
  readonly selector: number
  readonly version: number
}

/** The optional vendor messages this servent understands and sends. */
export const OUR_VENDOR_MESSAGES: readonly SupportedMessage[] = [
  { vendor: 'BEAR', selector: 11, version: 1 }, // QueryStatusRequest
  { vendor: 'BEAR', selector: 12, version: 1 }, // QueryStatusResponse
  { vendor: 'LIME', selector: 21, version: 1 }, // PushProxyRequest
  { vendor: 'LIME', selector: 22, version: 2 }, // PushProxyAcknowledgement
]

export function messagesSupported(list: readonly SupportedMessage[]): VendorPayload {
  const w = new ByteWriter().u16le(list.length)
  for (const m of list)
    w.bytes(utf8(m.vendor.padEnd(4, ' ').slice(0, 4)))
      .u16le(m.selector)
      .u16le(m.version)
  return {
    type: 'vendor',
    vendor: MESSAGES_SUPPORTED_VENDOR,
    selector: 0,
    version: 0,
    data: w.finish(),
  }
}

export function isMessagesSupported(v: VendorPayload): boolean {
  return v.vendor === MESSAGES_SUPPORTED_VENDOR && v.selector === 0
}

/** The entries of a peer's Messages Supported; an error when the count does not fit. */
export function readMessagesSupported(data: Uint8Array): Result<SupportedMessage[], string> {
  const r = new ByteReader(data)
  const count = r.u16le()
  if (count === undefined) return err('Messages Supported without a count')
  if (r.remaining !== count * ENTRY_BYTES)
    return err(`Messages Supported: count ${count} but ${r.remaining} entry bytes`)
  const out: SupportedMessage[] = []
  for (let i = 0; i < count; i++) {
    const vendor = r.take(4) as Uint8Array
    if (vendor.some((b) => b < 0x20 || b > 0x7e)) return err('Messages Supported: vendor not ASCII')
    out.push({ vendor: fromUtf8(vendor), selector: r.u16le() ?? 0, version: r.u16le() ?? 0 })
  }
  return ok(out)
}

/** The version of `vendor`/`selector` the peer listed, or undefined when it did not. */
export function supportedVersion(
  list: readonly SupportedMessage[] | undefined,
  vendor: string,
  selector: number,
): number | undefined {
  let best: number | undefined
  for (const m of list ?? [])
    if (m.vendor === vendor && m.selector === selector && (best === undefined || m.version > best))
      best = m.version
  return best
}
