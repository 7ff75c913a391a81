/**
 * Pong caching (the GDF's "Pong Caching" scheme): pongs we hear are kept, bounded and aged,
 * and a ping is answered from the cache instead of being broadcast. Ultrapeers mark their
 * pongs with the GGEP "UP" extension, so the cache also serves X-Try-Ultrapeers on a 503.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import { BoundedMap } from './bounded-map.js'
import type { Payload } from './messages.js'

export interface CachedPong {
  readonly address: Address
  readonly filesShared: number
  readonly kilobytesShared: number
  readonly ultrapeer: boolean
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

const ULTRAPEER_GGEP = { id: 'UP', data: new Uint8Array(0), encoded: false, compressed: false }

/** A pong describing `host`: ultrapeers carry the GGEP "UP" extension. */
export const pongPayload = (host: Omit<CachedPong, 'heardAt'>): Payload => ({
  type: 'pong',
  port: host.address.port,
  ip: host.address.host,
  filesShared: host.filesShared,
  kilobytesShared: host.kilobytesShared,
  ggep: host.ultrapeer ? [ULTRAPEER_GGEP] : [],
})

/** A pong heard from the network, as the cache keeps it. */
export const cachedPong = (pong: Extract<Payload, { type: 'pong' }>, now: Instant): CachedPong => ({
  address: { host: pong.ip, port: pong.port },
  filesShared: pong.filesShared,
  kilobytesShared: pong.kilobytesShared,
  ultrapeer: pong.ggep.some((e) => e.id === 'UP'),
  heardAt: now,
})
