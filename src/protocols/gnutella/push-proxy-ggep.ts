/**
 * A firewalled servent's push proxies in its QueryHits: the GGEP "PUSH" extension (LimeWire's
 * layout, read the same by gtk-gnutella), 6 bytes per proxy: the IPv4 address in network
 * order, then the port as 2 bytes little-endian. The GGEP block sits at the start of the hit
 * trailer's private area, after the open data, where LimeWire writes it (before any XML).
 */
import type { Address } from '../../core/address.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeGgep, encodeGgep, GGEP_MAGIC } from './ggep.js'
import { ggepValue } from './ggep-data.js'
import type { QrpCompression } from './qrp/compression.js'
import type { GgepExtension, QueryHitTrailer } from './messages.js'
import { ByteReader, ByteWriter, isIpv4Text } from './wire.js'

export const GGEP_PUSH = 'PUSH'
const ENTRY_BYTES = 6

export function pushProxiesExtension(proxies: readonly Address[]): GgepExtension {
  const w = new ByteWriter()
  for (const p of proxies.filter((a) => isIpv4Text(a.host))) w.ipv4(p.host).u16le(p.port)
  return { id: GGEP_PUSH, data: w.finish(), encoded: false, compressed: false }
}

/** The entries of a "PUSH" extension; an error when its length is not a multiple of 6. */
export function decodePushProxies(data: Uint8Array): Result<Address[], string> {
  if (data.length % ENTRY_BYTES !== 0) return err(`GGEP PUSH of ${data.length} bytes`)
  const r = new ByteReader(data)
  const out: Address[] = []
  while (r.remaining > 0) {
    const host = r.ipv4() as string
    const port = r.u16le() as number
    if (port !== 0 && host !== '0.0.0.0') out.push({ host, port })
  }
  return ok(out)
}

/** A trailer whose private area holds our GGEP block with the proxies (none: no block). */
export function withPushProxies(
  trailer: QueryHitTrailer,
  proxies: readonly Address[],
): QueryHitTrailer {
  if (proxies.length === 0) return trailer
  return { ...trailer, privateData: encodeGgep([pushProxiesExtension(proxies)]) }
}

/**
 * The push proxies a QueryHit names; none when it has no (well-formed) "PUSH" block. A
 * COBS-encoded block is read; a deflated one only with `compression`.
 */
export function hitPushProxies(
  trailer: QueryHitTrailer | undefined,
  compression?: QrpCompression,
): Address[] {
  const area = trailer?.privateData
  if (area === undefined || area[0] !== GGEP_MAGIC) return []
  const block = decodeGgep(area)
  if (!block.ok) return []
  const push = block.value.extensions.find((e) => e.id === GGEP_PUSH)
  const value = push === undefined ? undefined : ggepValue(push, compression)
  if (value === undefined || !value.ok) return []
  const proxies = decodePushProxies(value.value)
  return proxies.ok ? proxies.value : []
}
