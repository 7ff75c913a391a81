/**
 * Ping and Pong for the servent, with pong caching (the 0.6 draft's recommendation): a ping is
 * answered with our own pong and fresh cached ones, never broadcast; pongs fill the cache and,
 * for ultrapeers, the leaf's candidates. A neighbour ultrapeer's own pong (hops 0) says where
 * it listens and how many leaf slots it has free (GGEP "UP"), which demotion reads.
 */
import { toHex } from '../../core/bytes.js'
import type { Instant } from '../../core/time.js'
import { GuidCache } from './bounded-map.js'
import type { Connection } from './connection.js'
import type { Descriptor, Payload } from './messages.js'
import { newGuid } from './guid.js'
import { cachedPong, pongPayload } from './pong-cache.js'
import type { Servent } from './servent.js'
import { clampTtl } from './ttl.js'

type PongPayload = Extract<Payload, { type: 'pong' }>

export class ServentPings {
  private readonly pingGuids: GuidCache

  constructor(private readonly servent: Servent) {
    this.pingGuids = new GuidCache(servent.config.guidCacheEntriesMax)
  }

  ping(conn: Connection): void {
    this.servent.send(conn, {
      guid: newGuid(this.servent.deps.random),
      ttl: 2,
      hops: 0,
      payload: { type: 'ping', ggep: [] },
    })
  }

  /** Pong caching: answer from the cache, never broadcast the ping. */
  onPing(now: Instant, conn: Connection, d: Descriptor): void {
    const s = this.servent
    if (!this.pingGuids.firstSighting(toHex(d.guid))) return
    const hop = clampTtl(d.ttl, d.hops, s.config.ttlMax)
    const ttl = Math.min(s.config.ttlMax, hop.hops + 1)
    const own = this.ownPong()
    if (own !== undefined) s.send(conn, { guid: d.guid, ttl, hops: 0, payload: own })
    if (hop.ttl <= 1) return
    for (const p of s.pongs.fresh(now, s.config.pongsPerPingMax)) {
      if (p.address.host === conn.remote.host && p.address.port === conn.remote.port) continue
      s.send(conn, { guid: d.guid, ttl, hops: 1, payload: pongPayload(p) })
    }
  }

  onPong(now: Instant, conn: Connection, d: Descriptor, pong: PongPayload): void {
    const s = this.servent
    const heard = cachedPong(pong, now, s.deps.compression)
    // A neighbour's own pong (hops 0): where it listens and how much room it has for leaves.
    if (d.hops === 0 && conn.role === 'ultrapeer') {
      conn.listening = heard.address
      conn.freeLeafSlots = heard.freeLeafSlots
    }
    const ours = s.advertised() ?? s.config.advertised
    if (heard.address.host === ours.host && heard.address.port === ours.port) return
    s.pongs.add(heard)
    if (heard.ultrapeer) s.addCandidates([heard.address])
  }

  /** Our pong; undefined while we know no address others could reach us at. */
  ownPong(): Payload | undefined {
    const s = this.servent
    const address = s.advertised()
    if (address === undefined) return undefined
    const slots = s.slots()
    return pongPayload({
      address,
      filesShared: s.deps.library.size,
      kilobytesShared: s.deps.library.kilobytes,
      ultrapeer: s.config.role === 'ultrapeer',
      freeLeafSlots: s.config.leavesMax - slots.leaves,
      freeUltrapeerSlots: s.config.ultrapeersMax - slots.ultrapeers,
    })
  }
}
