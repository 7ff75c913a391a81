/**
 * Pong caching (the GDF's "Pong Caching" scheme): pongs we hear are kept, bounded and aged,
 * and a ping is answered from the cache instead of being broadcast. Ultrapeers mark their
 * pongs with the GGEP "UP" extension, so the cache also serves X-Try-Ultrapeers on a 503.
 */
import type { QrpCompression } from './qrp/compression.js'
import { ggepValue } from './ggep-data.js'
import { addressKey, type Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import { BoundedMap } from './bounded-map.js'
import type { GgepExtension, Payload } from './messages.js'

export interface CachedPong {
  readonly address: Address
  readonly filesShared: number
  readonly kilobytesShared: number
  readonly ultrapeer: boolean
  /** GGEP "UP" bytes 1 and 2: free leaf and ultrapeer slots (ultrapeers only). */
  readonly freeLeafSlots?: number | undefined
  readonly freeUltrapeerSlots?: number | undefined
  readonly heardAt: Instant
}

export class PongCache {
  private readonly pongs: BoundedMap<string, CachedPong>

  constructor(
    entriesMax: number,
    private readonly maxAgeMs: number,
  ) {
    this.pongs = new BoundedMap(entriesMax)
  }

  add(pong: CachedPong): void {
    this.pongs.set(addressKey(pong.address), pong)
  }

  remove(address: Address): void {
    this.pongs.delete(addressKey(address))
  }

  /** Up to `count` fresh pongs, newest first, optionally only ultrapeers. */
  fresh(now: Instant, count: number, ultrapeersOnly = false): CachedPong[] {
    const out: CachedPong[] = []
    const all = [...this.pongs.values()].reverse()
    for (const pong of all) {
      if (out.length >= count) break
      if (now - pong.heardAt > this.maxAgeMs) continue
      if (ultrapeersOnly && !pong.ultrapeer) continue
      out.push(pong)
    }
    return out
  }

  get size(): number {
    return this.pongs.size
  }
}

/**
 * GGEP "UP" as LimeWire writes it (PingReply): byte 0 the ultrapeer version (major in the
 * high nibble, minor in the low), byte 1 free leaf slots, byte 2 free ultrapeer slots.
 */
const UP_VERSION = 0x10
const byteCount = (n: number | undefined): number => Math.max(0, Math.min(255, n ?? 0))

function ultrapeerGgep(host: Omit<CachedPong, 'heardAt'>): GgepExtension {
  const data = Uint8Array.of(
    UP_VERSION,
    byteCount(host.freeLeafSlots),
    byteCount(host.freeUltrapeerSlots),
  )
  return { id: 'UP', data, encoded: false, compressed: false }
}

/** A pong describing `host`: ultrapeers carry the GGEP "UP" extension with their free slots. */
export const pongPayload = (host: Omit<CachedPong, 'heardAt'>): Payload => ({
  type: 'pong',
  port: host.address.port,
  ip: host.address.host,
  filesShared: host.filesShared,
  kilobytesShared: host.kilobytesShared,
  ggep: host.ultrapeer ? [ultrapeerGgep(host)] : [],
})

/** A pong heard from the network, as the cache keeps it. */
export function cachedPong(
  pong: Extract<Payload, { type: 'pong' }>,
  now: Instant,
  compression?: QrpCompression,
): CachedPong {
  const up = pong.ggep.find((e) => e.id === 'UP')
  // An empty or short "UP" (older servents) still marks an ultrapeer; its slots are unknown.
  // A COBS-encoded one is read; a deflated one too when the servent has an inflater (without
  // one, or when it does not inflate, its slots are unknown).
  const value = up === undefined ? undefined : ggepValue(up, compression)
  const data = value?.ok === true ? value.value : undefined
  const slots = data !== undefined && data.length >= 3
  return {
    address: { host: pong.ip, port: pong.port },
    filesShared: pong.filesShared,
    kilobytesShared: pong.kilobytesShared,
    ultrapeer: up !== undefined,
    freeLeafSlots: slots ? data[1] : undefined,
    freeUltrapeerSlots: slots ? data[2] : undefined,
    heardAt: now,
  }
}
