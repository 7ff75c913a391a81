/**
 * Search routing for the servent: duplicate suppression, per-connection flood limits, local
 * answers, forwarding (flat: everyone; ultrapeer: other ultrapeers, with last-hop QRP, and
 * leaves only on a table hit; leaf: nobody), QueryHit and Push routing on the reverse path,
 * the QRP tables exchanged with neighbours; the dynamic queries it starts run in
 * dynamic-query-runs.ts.
 */
import { fromHex, toHex } from '../../core/bytes.js'
import type { ConnectionId } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import { BoundedMap, GuidCache } from './bounded-map.js'
import type { Connection } from './connection.js'
import { DynamicQueryRuns } from './dynamic-query-runs.js'
import type { Descriptor, Guid, Payload } from './messages.js'
import { tableUpdates } from './qrp/patch.js'
import type { RouteTableUpdate } from './qrp/route-table-update.js'
import type { QueryRoutingTable } from './qrp/table.js'
import { newGuid, type Servent } from './servent.js'
import { queryHitTrailer } from './push-flag.js'
import { withPushProxies } from './push-proxy-ggep.js'
import { clampTtl, nextHop, type Hop } from './ttl.js'
import { OwnSearches } from './own-searches.js'
import { queryStatusResponse, type KnownVendorMessage } from './vendor-message.js'

type QueryPayload = Extract<Payload, { type: 'query' }>
type HitPayload = Extract<Payload, { type: 'query_hit' }>

export interface RoutingStats {
  queriesSeen: number
  duplicateQueries: number
  floodDropped: number
  clamped: number
  lastHopFiltered: number
  leafFiltered: number
  hitsRouted: number
  hitsUnroutable: number
  blockedDrops: number
  qrpFaults: number
  statusRequests: number
  statusResponses: number
  stoppedByLeaf: number
}

export class QueryRouting {
  readonly stats: RoutingStats = {
    queriesSeen: 0,
    duplicateQueries: 0,
    floodDropped: 0,
    clamped: 0,
    lastHopFiltered: 0,
    leafFiltered: 0,
    hitsRouted: 0,
    hitsUnroutable: 0,
    blockedDrops: 0,
    qrpFaults: 0,
    statusRequests: 0,
    statusResponses: 0,
    stoppedByLeaf: 0,
  }
  private readonly seen: GuidCache
  /** Query GUID -> the connection it came from (the reverse path for its QueryHits). */
  private readonly queryRoutes: BoundedMap<string, ConnectionId>
  /** Servent id -> the connection its QueryHits came from (the path for Pushes). */
  private readonly pushRoutes: BoundedMap<string, ConnectionId>
  readonly own: OwnSearches
  private readonly dqs: DynamicQueryRuns

  constructor(
    private readonly servent: Servent,
    _now: Instant,
  ) {
    const c = servent.config
    this.seen = new GuidCache(c.guidCacheEntriesMax)
    this.queryRoutes = new BoundedMap(c.routeTableEntriesMax)
    this.pushRoutes = new BoundedMap(c.routeTableEntriesMax)
    this.own = new OwnSearches(c.routeTableEntriesMax)
    this.dqs = new DynamicQueryRuns(servent, this)
  }

  private get config(): Servent['config'] {
    return this.servent.config
  }

  // --- searches we start ---------------------------------------------------------------------

  originate(now: Instant, criteria: string, urns: readonly string[]): string {
    const guid = newGuid(this.servent.deps.random)
    const key = toHex(guid)
    this.seen.firstSighting(key)
    const payload: QueryPayload = { type: 'query', minSpeed: 0, criteria, urns, ggep: [] }
    const ttl = this.config.queryTtl
    if (this.servent.role === 'leaf') {
      const ups = this.servent.open().slice(0, Math.max(1, this.config.leafQueryUltrapeers))
      this.own.start(
        key,
        ups.map((c) => c.id),
      )
      for (const c of ups) this.sendQuery(c, guid, payload, ttl, 0, undefined, undefined)
      return key
    }
    this.own.start(key, [])
    if (this.servent.role === 'ultrapeer' && this.config.dynamicQuerying) {
      this.toLeaves(guid, payload, { ttl: 1, hops: -1, clamped: false }, undefined, false)
      this.dqs.start(now, guid, payload, 0, undefined)
    } else {
      this.forward(guid, payload, { ttl: ttl + 1, hops: -1, clamped: false }, undefined, false)
    }
    return key
  }

  /** BEAR/11 and BEAR/12 (servent-vendor.ts reads them). */
  onQueryStatus(
    now: Instant,
    conn: Connection,
    d: Descriptor,
    message: Extract<KnownVendorMessage, { kind: `query_status_${string}` }>,
  ): void {
    const key = toHex(d.guid)
    if (message.kind === 'query_status_request') {
      this.servent.send(conn, {
        guid: d.guid,
        ttl: 1,
        hops: 0,
        payload: queryStatusResponse(this.own.status(key)),
      })
      return
    }
    this.dqs.leafReported(now, conn, key, message.kept)
  }

  /** The user closed a search: tell the ultrapeers running it to stop (unsolicited 0xFFFF). */
  closeSearch(key: string): void {
    const guid = fromHex(key)
    if (guid === undefined) return
    for (const id of this.own.close(key)) {
      const conn = this.servent.connections.get(id)
      // Only to an ultrapeer that listed BEAR/12 in its Messages Supported.
      if (conn === undefined || !conn.isOpen || !conn.supports('BEAR', 12)) continue
      this.servent.send(conn, { guid, ttl: 1, hops: 0, payload: queryStatusResponse('stop') })
    }
  }

  pumpDynamicQueries(now: Instant): void {
    this.dqs.pump(now)
  }

  nextDqDeadline(): Instant | undefined {
    return this.dqs.nextDeadline()
  }

  // --- queries from the network --------------------------------------------------------------

  onQuery(now: Instant, conn: Connection, d: Descriptor, payload: QueryPayload): void {
    const key = toHex(d.guid)
    const duplicate = !this.seen.firstSighting(key)
    this.servent.trace({
      kind: 'query_received',
      guid: key,
      connection: conn.id,
      ttl: d.ttl,
      hops: d.hops,
      duplicate,
    })
    if (duplicate) {
      this.stats.duplicateQueries++
      return
    }
    if (!conn.flood.take(now)) {
      this.stats.floodDropped++
      return
    }
    this.stats.queriesSeen++
    this.queryRoutes.set(key, conn.id)
    const hop = clampTtl(d.ttl, d.hops, this.config.ttlMax)
    if (hop.clamped) this.stats.clamped++
    this.answer(conn, d.guid, hop, payload)
    if (this.servent.role === 'leaf') return
    const fromLeaf = this.servent.role === 'ultrapeer' && conn.role === 'leaf'
    if (fromLeaf && this.config.dynamicQuerying) {
      this.toLeaves(d.guid, payload, hop, conn.id, true)
      this.dqs.start(now, d.guid, payload, hop.hops + 1, conn.id)
      this.servent.rearmDq()
      return
    }
    this.forward(d.guid, payload, hop, conn.id, true)
  }

  private answer(conn: Connection, guid: Guid, hop: Hop, payload: QueryPayload): void {
    const results = this.servent.deps.library.search(payload.criteria, payload.urns)
    if (results.length === 0) return
    // Without an address others can reach, the hit says "firewalled": downloaders come by a
    // Push along the reverse path, which needs no address of ours.
    const a = this.servent.advertised()
    const firewalled = this.config.firewalled || a === undefined
    const hit: HitPayload = {
      type: 'query_hit',
      port: a?.port ?? this.config.advertised.port,
      ip: a?.host ?? this.config.advertised.host,
      speed: 1000,
      results,
      // A firewalled servent names its push proxies (GGEP "PUSH"), so downloaders can ask
      // them over HTTP instead of routing a Push back along this hit's path.
      trailer: firewalled
        ? withPushProxies(queryHitTrailer(true), this.servent.vendor.pushProxies())
        : queryHitTrailer(false),
      serventId: this.servent.serventId,
    }
    const ttl = Math.min(this.config.ttlMax, hop.hops + 1 + this.config.hitTtlSlack)
    this.servent.send(conn, { guid, ttl, hops: 0, payload: hit })
    this.servent.trace({ kind: 'hit_sent', guid: toHex(guid), connection: conn.id })
  }

  /** Flood to every non-leaf neighbour but the sender (last-hop QRP on TTL 1), then leaves. */
  private forward(
    guid: Guid,
    payload: QueryPayload,
    hop: Hop,
    from: ConnectionId | undefined,
    traced: boolean,
  ): void {
    const next = nextHop(hop)
    if (next !== undefined) {
      for (const c of this.servent.open()) {
        if (c.id === from || c.role === 'leaf') continue
        if (next.ttl === 1 && this.servent.role === 'ultrapeer' && !this.lastHopAllows(c, payload))
          continue
        this.sendQuery(c, guid, payload, next.ttl, next.hops, from, traced ? hop : undefined)
      }
    }
    this.toLeaves(guid, payload, hop, from, traced)
  }

  /** An ultrapeer passes a query to a leaf only when the leaf's table says it may match. */
  private toLeaves(
    guid: Guid,
    payload: QueryPayload,
    hop: Hop,
    from: ConnectionId | undefined,
    traced: boolean,
  ): void {
    if (this.servent.role !== 'ultrapeer') return
    for (const c of this.servent.open()) {
      if (c.role !== 'leaf' || c.id === from) continue
      const table = c.table.current
      if (table === undefined || !table.matches(payload.criteria, payload.urns)) {
        this.stats.leafFiltered++
        continue
      }
      this.sendQuery(
        c,
        guid,
        payload,
        Math.max(0, hop.ttl - 1),
        hop.hops + 1,
        from,
        traced ? hop : undefined,
      )
    }
  }

  /** Last-hop QRP (UP-QRP v0.1): a TTL-1 query goes to an ultrapeer only on a table hit. */
  lastHopAllows(conn: Connection, payload: QueryPayload): boolean {
    if (!this.config.lastHopQrp || conn.role !== 'ultrapeer') return true
    const table = conn.table.current
    if (table === undefined) return true
    if (table.matches(payload.criteria, payload.urns)) return true
    this.stats.lastHopFiltered++
    return false
  }

  sendQuery(
    conn: Connection,
    guid: Guid,
    payload: QueryPayload,
    ttl: number,
    hops: number,
    from: ConnectionId | undefined,
    received: Hop | undefined,
  ): void {
    if (conn.blocked) {
      this.stats.blockedDrops++
      return
    }
    this.servent.send(conn, { guid, ttl, hops, payload })
    this.servent.trace({
      kind: 'query_sent',
      guid: toHex(guid),
      connection: conn.id,
      ttl,
      hops,
      from,
      received: received === undefined ? undefined : { ttl: received.ttl, hops: received.hops },
      toLeaf: conn.role === 'leaf',
    })
  }

  // --- replies -------------------------------------------------------------------------------

  onQueryHit(_now: Instant, conn: Connection, d: Descriptor, hit: HitPayload): void {
    const key = toHex(d.guid)
    this.servent.trace({ kind: 'hit_received', guid: key, connection: conn.id })
    this.pushRoutes.set(toHex(hit.serventId), conn.id)
    this.dqs.addResults(key, hit.results.length)
    if (this.own.has(key)) {
      if (this.own.hit(key, hit.results.length))
        this.servent.emit({ type: 'query_hit', queryId: key, hit })
      return
    }
    const route = this.queryRoutes.get(key)
    const target = route === undefined ? undefined : this.servent.connections.get(route)
    const next = nextHop(clampTtl(d.ttl, d.hops, this.config.ttlMax))
    if (target === undefined || !target.isOpen || next === undefined) {
      this.stats.hitsUnroutable++
      return
    }
    this.stats.hitsRouted++
    this.servent.send(target, { guid: d.guid, ...next, payload: hit })
    this.servent.trace({ kind: 'hit_sent', guid: key, connection: target.id })
  }

  /**
   * Asks the firewalled servent `serventId` to connect back to us for `fileIndex`: the Push
   * goes on the connection its QueryHit came from (the reverse path). False when that route
   * is unknown or gone.
   */
  originatePush(guid: Guid, serventId: Guid, fileIndex: number): boolean {
    const route = this.pushRoutes.get(toHex(serventId))
    const target = route === undefined ? undefined : this.servent.connections.get(route)
    const a = this.servent.advertised()
    if (target === undefined || !target.isOpen || a === undefined) return false
    const push: Extract<Payload, { type: 'push' }> = {
      type: 'push',
      serventId,
      fileIndex,
      ip: a.host,
      port: a.port,
      ggep: [],
    }
    this.servent.send(target, { guid, ttl: this.config.ttlMax, hops: 0, payload: push })
    return true
  }

  onPush(conn: Connection, d: Descriptor, push: Extract<Payload, { type: 'push' }>): void {
    const id = toHex(push.serventId)
    if (id === toHex(this.servent.serventId)) {
      this.servent.emit({
        type: 'push_requested',
        fileIndex: push.fileIndex,
        to: { host: push.ip, port: push.port },
      })
      return
    }
    const route = this.pushRoutes.get(id)
    const target = route === undefined ? undefined : this.servent.connections.get(route)
    const next = nextHop(clampTtl(d.ttl, d.hops, this.config.ttlMax))
    if (target === undefined || !target.isOpen || target === conn || next === undefined) return
    this.servent.send(target, { guid: d.guid, ...next, payload: push })
  }

  // --- QRP tables ----------------------------------------------------------------------------

  onRouteTableUpdate(now: Instant, conn: Connection, update: RouteTableUpdate): void {
    const applied = conn.table.receive(update)
    if (!applied.ok) {
      this.stats.qrpFaults++
      return this.servent.fault(conn, { code: 'malformed', detail: `QRP ${applied.error}` }, true)
    }
    if (applied.value && this.servent.role === 'ultrapeer' && conn.role === 'leaf')
      this.servent.scheduleQrp(now)
  }

  connectionOpened(now: Instant, conn: Connection): void {
    const role = this.servent.role
    if (role === 'leaf' && conn.role === 'ultrapeer') {
      this.sendTable(conn, this.servent.deps.library.table(this.config.qrpTableLength))
    } else if (role === 'ultrapeer' && conn.role === 'ultrapeer' && this.config.lastHopQrp) {
      this.servent.scheduleQrp(now)
    }
    this.servent.pings.ping(conn)
  }

  connectionClosed(conn: Connection): void {
    this.dqs.connectionClosed(conn.id)
  }

  /** Our table for neighbour ultrapeers: our own files and every leaf's table (UP-QRP). */
  sendMergedTable(): void {
    const merged = this.servent.deps.library.table(this.config.qrpTableLength)
    const open = this.servent.open()
    for (const c of open) {
      const table = c.table.current
      if (c.role === 'leaf' && table !== undefined) merged.mergeFrom(table)
    }
    for (const c of open) if (c.role === 'ultrapeer') this.sendTable(c, merged)
  }

  private sendTable(conn: Connection, table: QueryRoutingTable): void {
    for (const update of tableUpdates(table, { compression: this.servent.deps.compression })) {
      const payload: Payload = { type: 'route_table_update', update }
      this.servent.send(conn, { guid: newGuid(this.servent.deps.random), ttl: 1, hops: 0, payload })
    }
  }
}
