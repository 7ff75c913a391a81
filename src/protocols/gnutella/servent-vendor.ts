/**
 * The servent's vendor messages: Messages Supported sent after the handshake to a peer that
 * said `Vendor-Message` and read from it (messages-supported.ts), Dynamic Querying's
 * BEAR/11 and BEAR/12 handed to the query router, and push proxies (push-proxy-messages.ts):
 * a leaf asks each ultrapeer that listed LIME/21 to be its push proxy; the ultrapeer records
 * the leaf's servent id (the request's GUID) and acknowledges with its address; later, a
 * downloader's HTTP push-proxy request (drivers) becomes a Push sent straight to that leaf.
 */
import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Connection } from './connection.js'
import type { Descriptor, Guid } from './messages.js'
import { messagesSupported, OUR_VENDOR_MESSAGES } from './messages-supported.js'
import { newGuid } from './guid.js'
import { PUSH_PROXY_REQUEST, pushProxyAck, pushProxyRequest } from './push-proxy-messages.js'
import type { Servent } from './servent.js'
import { isIpv4Text } from './wire.js'
import { readVendorMessage, type VendorPayload } from './vendor-message.js'
import type { Instant } from '../../core/time.js'

/** A QueryHit names at most this many push proxies (LimeWire sends up to 4). */
export const PUSH_PROXIES_MAX = 4

export class ServentVendor {
  constructor(private readonly servent: Servent) {}

  /** After the handshake: our Messages Supported, if the peer speaks vendor messages. */
  opened(conn: Connection): void {
    if (!conn.vendorMessages) return
    // Never routed (TTL 1), so its GUID needs no fresh randomness: deriving it from our id
    // keeps the seeded simulator's random stream as it was.
    const guid = Uint8Array.from(this.servent.serventId)
    guid[0] = (guid[0] as number) ^ (conn.id & 0xff)
    guid[1] = (guid[1] as number) ^ ((conn.id >>> 8) & 0xff)
    const payload = messagesSupported(OUR_VENDOR_MESSAGES)
    this.servent.send(conn, { guid, ttl: 1, hops: 0, payload })
  }

  onVendor(now: Instant, conn: Connection, d: Descriptor, payload: VendorPayload): void {
    const s = this.servent
    const message = readVendorMessage(payload)
    if (message === undefined) return
    if (message instanceof Error)
      return s.fault(conn, { code: 'malformed', detail: message.message }, false)
    switch (message.kind) {
      case 'query_status_request':
      case 'query_status_response':
        return s.routing.onQueryStatus(now, conn, d, message)
      case 'messages_supported':
        conn.supported = message.list
        return this.askPushProxy(conn)
      case 'push_proxy_request': {
        if (s.role !== 'ultrapeer' || conn.role !== 'leaf') return
        const proxy = s.advertised()
        const ack = proxy === undefined ? undefined : pushProxyAck(proxy)
        if (ack === undefined) return
        conn.proxiedServentId = toHex(d.guid)
        s.send(conn, { guid: d.guid, ttl: 1, hops: 0, payload: ack })
        return s.emit({ type: 'push_proxy_changed', connection: conn.id, role: 'proxy' })
      }
      case 'push_proxy_ack': {
        if (s.role !== 'leaf' || conn.role !== 'ultrapeer') return
        // An ultrapeer that knows no outside address of its own says 0.0.0.0 (or loopback
        // when it is one): the host we reach it at is then the better one.
        const host = isRoutable(message.proxy.host) ? message.proxy.host : conn.remote.host
        conn.pushProxy = { host, port: message.proxy.port }
        return s.emit({ type: 'push_proxy_changed', connection: conn.id, role: 'proxied' })
      }
    }
  }

  /** A leaf asks an ultrapeer that listed LIME/21 to be its push proxy. */
  private askPushProxy(conn: Connection): void {
    const s = this.servent
    if (s.role !== 'leaf' || conn.role !== 'ultrapeer') return
    if (!conn.supports('LIME', PUSH_PROXY_REQUEST)) return
    s.send(conn, { guid: s.serventId, ttl: 1, hops: 0, payload: pushProxyRequest() })
  }

  /** Leaf: the push proxies our ultrapeers acknowledged, for our QueryHits' GGEP "PUSH". */
  pushProxies(): Address[] {
    const out: Address[] = []
    for (const c of this.servent.open())
      if (c.pushProxy !== undefined && out.length < PUSH_PROXIES_MAX) out.push(c.pushProxy)
    return out
  }

  /**
   * Ultrapeer: a downloader asked us, as push proxy of the leaf `serventId`, to have it
   * connect to `to` for `fileIndex`. The Push goes straight to the leaf (TTL 1). False when
   * we are not that leaf's proxy (the HTTP side answers 404).
   */
  pushForLeaf(serventId: Guid, fileIndex: number, to: Address): boolean {
    const s = this.servent
    const id = toHex(serventId)
    const leaf = s.open().find((c) => c.proxiedServentId === id)
    if (leaf === undefined || !isIpv4Text(to.host)) return false
    s.send(leaf, {
      guid: newGuid(s.deps.random),
      ttl: 1,
      hops: 0,
      payload: { type: 'push', serventId, fileIndex, ip: to.host, port: to.port, ggep: [] },
    })
    return true
  }
}

function isRoutable(host: string): boolean {
  return host !== '0.0.0.0' && !host.startsWith('127.')
}
