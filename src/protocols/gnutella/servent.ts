/**
 * The Gnutella 0.6 servent core: a sans-IO `StreamCore` owning every connection. It runs the
 * handshake, frames descriptors, suppresses duplicate GUIDs, forwards with TTL - 1 / hops + 1,
 * routes QueryHits and Pushes back along the reverse path, answers pings from its pong cache,
 * and, as an ultrapeer, routes queries to leaves (and over the last hop to ultrapeers) by
 * their QRP tables and originates by dynamic querying. Search routing lives in
 * query-routing.ts, role upkeep in servent-roles.ts; this file owns connections, timers and
 * dispatch.
 */
import type { Address } from '../../core/address.js'
import { concatBytes } from '../../core/bytes.js'
import {
  NEED_DATA,
  type ConnectFailure,
  type ConnectionId,
  type StreamCloseReason,
  type StreamCore,
  type StreamOutput,
} from '../../core/core.js'
import type { RemoteFault } from '../../core/errors.js'
import { TimerTable } from '../../core/timers.js'
import { after, type Instant, ms } from '../../core/time.js'
import type { GnutellaEvent, Role, RoutingRecord, ServentConfig } from './config.js'
import { Connection } from './connection.js'
import { encodeDescriptor } from './descriptor-codec.js'
import type { KnownHost } from './host-cache.js'
import {
  parseHandshake,
  readGnutellaHeaders,
  serializeHandshake,
  type Handshake,
} from './handshake.js'
import {
  acceptIncoming,
  acceptResponse,
  connectHandshake,
  finalResponse,
  keepOutbound,
  refuseResponse,
  remoteRole,
  type SlotCounts,
} from './handshake-policy.js'
import type { Descriptor, Guid } from './messages.js'
import { newGuid } from './guid.js'
import { PongCache } from './pong-cache.js'
import { QueryRouting } from './query-routing.js'
import type { ElectionMeasurements, ServentDeps, ServentStats, TimerName } from './servent-types.js'
import { ServentPings } from './servent-pings.js'
import { ServentRoles } from './servent-roles.js'
import { ServentVendor } from './servent-vendor.js'
import { ExternalAddress } from './external-address.js'

export type { ServentDeps, ServentStats } from './servent-types.js'
export { newGuid } from './guid.js'

export class Servent implements StreamCore<GnutellaEvent> {
  readonly serventId: Guid
  readonly connections = new Map<ConnectionId, Connection>()
  readonly pongs: PongCache
  readonly routing: QueryRouting
  private readonly outputs: StreamOutput<GnutellaEvent>[] = []
  private readonly timers = new TimerTable<TimerName>()
  /** Votes from peers' `Remote-IP` headers: our address as they see it. */
  readonly external = new ExternalAddress()
  /** Messages Supported, BEAR/11-12 dispatch and push proxies (servent-vendor.ts). */
  readonly vendor: ServentVendor
  /** Ping/Pong with pong caching (servent-pings.ts). */
  readonly pings: ServentPings
  /** Leaf upkeep, demotion and the candidates they use (servent-roles.ts). */
  private readonly roles: ServentRoles
  private nextId = 1
  private readonly sent: Record<string, number> = {}
  private readonly receivedByType: Record<string, number> = {}
  private faults = 0
  /** What the ultrapeer election measures (src/protocols/ultrapeer/election.ts). */
  private readonly measured = { bytesSent: 0, bytesReceived: 0, accepted: 0, upNeeded: false }

  constructor(
    /** Replaced, with the role, when an ultrapeer demotes itself (`demote`). */
    public config: ServentConfig,
    readonly deps: ServentDeps,
    now: Instant,
  ) {
    this.serventId = newGuid(deps.random)
    this.pongs = new PongCache(config.pongCacheEntriesMax, config.pongMaxAgeMs)
    this.pings = new ServentPings(this)
    this.vendor = new ServentVendor(this)
    this.routing = new QueryRouting(this, now)
    this.timers.set('ping', after(now, ms(config.pingIntervalMs)))
    this.roles = new ServentRoles(this, this.timers, now)
  }

  // --- commands ------------------------------------------------------------------------------

  /** Opens a connection to `to`; the handshake follows when the driver reports `connected`. */
  connect(now: Instant, to: Address): ConnectionId {
    const conn = this.newConnection(now, to, true)
    this.outputs.push({ type: 'connect', connection: conn.id, to })
    return conn.id
  }

  /** Starts a search; QueryHits come back as `query_hit` events with this id. */
  search(now: Instant, criteria: string, urns: readonly string[] = []): string {
    const id = this.routing.originate(now, criteria, urns)
    this.rearmDq()
    return id
  }

  /**
   * Ends our search `queryId`: later hits are dropped, and the ultrapeers running it for us
   * (as a leaf) are told to stop (a BEAR/12 QueryStatusResponse of 0xFFFF).
   */
  stopSearch(queryId: string): void {
    this.routing.closeSearch(queryId)
  }

  /**
   * The application's own count of results kept for `queryId` (after its filters): what we
   * report to ultrapeers asking, instead of every result received.
   */
  setKeptResults(queryId: string, kept: number): void {
    this.routing.own.setKept(queryId, kept)
  }

  /**
   * Asks a firewalled servent (its QueryHit's `serventId`) to connect back for `fileIndex`;
   * false when no route back to it is known. Its answer is a GIV connection to our port.
   */
  push(serventId: Guid, fileIndex: number): boolean {
    return this.routing.originatePush(newGuid(this.deps.random), serventId, fileIndex)
  }

  /** Hosts a leaf may try when it needs ultrapeers. */
  addCandidates(addresses: readonly Address[]): void {
    this.roles.addCandidates(addresses)
  }

  /** Says Bye and closes. */
  bye(connection: ConnectionId, code = 200, reason = 'Closing'): void {
    const conn = this.connections.get(connection)
    if (conn === undefined) return
    if (conn.isOpen)
      this.send(conn, {
        guid: newGuid(this.deps.random),
        ttl: 1,
        hops: 0,
        payload: { type: 'bye', code, reason },
      })
    this.drop(conn, 'local', true)
  }

  /** Hosts worth remembering across a restart: connected neighbours, candidates, fresh pongs. */
  knownHosts(now: Instant): KnownHost[] {
    // An inbound neighbour's remote port is ephemeral: only dialled ones are reachable there.
    const dialled = this.open()
      .filter((c) => c.outbound)
      .map((c) => ({ address: c.remote, ultrapeer: c.role === 'ultrapeer' }))
    const candidates = this.roles.candidateAddresses().map((address) => ({
      address,
      ultrapeer: true,
    }))
    const pongs = this.pongs
      .fresh(now, this.config.pongCacheEntriesMax)
      .map((p) => ({ address: p.address, ultrapeer: p.ultrapeer }))
    return [...dialled, ...candidates, ...pongs]
  }

  /**
   * The election's measurements so far: bytes through our connections, incoming connections
   * accepted (reachability), and whether an ultrapeer said `X-Ultrapeer-Needed: True`.
   */
  measurements(): ElectionMeasurements {
    const connected = this.open().filter((c) => c.role === 'ultrapeer').length
    return {
      bytesSent: this.measured.bytesSent,
      bytesReceived: this.measured.bytesReceived,
      accepted: this.measured.accepted,
      ultrapeerNeeded: this.measured.upNeeded,
      ultrapeersKnown: connected + this.roles.candidateCount,
    }
  }

  inspect(): ServentStats {
    return {
      sent: { ...this.sent },
      received: { ...this.receivedByType },
      faults: this.faults,
      pongCacheSize: this.pongs.size,
      connections: [...this.connections.values()].filter((c) => c.isOpen).length,
    }
  }

  // --- StreamCore ----------------------------------------------------------------------------

  accepted(now: Instant, remote: Address): ConnectionId {
    // Someone could connect to us: we are reachable, whether or not we keep the connection.
    this.measured.accepted++
    return this.newConnection(now, remote, false).id
  }

  connected(_now: Instant, connection: ConnectionId): void {
    const conn = this.connections.get(connection)
    if (conn === undefined) return
    conn.state = 'await_response'
    this.write(conn, serializeHandshake(connectHandshake(this.advertising(), conn.remote)))
  }

  connectFailed(_now: Instant, connection: ConnectionId, _reason: ConnectFailure): void {
    const conn = this.connections.get(connection)
    if (conn !== undefined) this.forget(conn, 'refused')
  }

  received(now: Instant, connection: ConnectionId, bytes: Uint8Array): void {
    const conn = this.connections.get(connection)
    if (conn === undefined) return
    this.measured.bytesReceived += bytes.length
    if (conn.isOpen) return this.readDescriptors(now, conn, bytes)
    conn.handshakeBuffer = concatBytes([conn.handshakeBuffer, bytes])
    const parsed = parseHandshake(conn.handshakeBuffer)
    if (!parsed.ok) return this.fault(conn, parsed.error, true)
    if (parsed.value === NEED_DATA) return
    const rest = conn.handshakeBuffer.subarray(parsed.value.consumed)
    conn.handshakeBuffer = new Uint8Array(0)
    this.onHandshake(now, conn, parsed.value.handshake)
    if (conn.isOpen && rest.length > 0 && this.connections.has(conn.id)) {
      this.readDescriptors(now, conn, rest)
    }
  }

  writeBlocked(_now: Instant, connection: ConnectionId): void {
    const conn = this.connections.get(connection)
    if (conn !== undefined) conn.blocked = true
  }

  writable(_now: Instant, connection: ConnectionId): void {
    const conn = this.connections.get(connection)
    if (conn !== undefined) conn.blocked = false
  }

  closed(_now: Instant, connection: ConnectionId, reason: StreamCloseReason): void {
    const conn = this.connections.get(connection)
    if (conn !== undefined) this.forget(conn, reason)
  }

  timeout(now: Instant): void {
    for (const name of this.timers.expire(now)) {
      if (name === 'ping') {
        this.timers.set('ping', after(now, ms(this.config.pingIntervalMs)))
        for (const conn of this.open()) this.pings.ping(conn)
      } else if (name === 'maintain') {
        this.roles.maintainLeaf(now)
      } else if (name === 'qrp') {
        this.routing.sendMergedTable()
      } else if (name === 'demote') {
        this.roles.considerDemotion(now)
      }
    }
    this.routing.pumpDynamicQueries(now)
    this.rearmDq()
  }

  nextTimeout(): Instant | undefined {
    return this.timers.next()
  }

  takeOutputs(): StreamOutput<GnutellaEvent>[] {
    return this.outputs.splice(0)
  }

  // --- used by QueryRouting ------------------------------------------------------------------

  open(): Connection[] {
    return [...this.connections.values()].filter((c) => c.isOpen)
  }

  send(conn: Connection, descriptor: Descriptor): void {
    const type = descriptor.payload.type
    this.sent[type] = (this.sent[type] ?? 0) + 1
    this.write(conn, encodeDescriptor(descriptor))
  }

  emit(event: GnutellaEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  trace(record: RoutingRecord): void {
    this.deps.trace?.(record)
  }

  scheduleQrp(now: Instant): void {
    if (!this.timers.isSet('qrp')) this.timers.set('qrp', after(now, ms(this.config.qrpRefreshMs)))
  }

  rearmDq(): void {
    const next = this.routing.nextDqDeadline()
    if (next === undefined) this.timers.stop('dq')
    else this.timers.set('dq', next)
  }

  fault(conn: Connection, fault: RemoteFault, close: boolean): void {
    this.faults++
    this.emit({ type: 'remote_fault', connection: conn.id, fault })
    if (close) this.drop(conn, 'fault', false)
  }

  // --- internals -----------------------------------------------------------------------------

  private newConnection(now: Instant, remote: Address, outbound: boolean): Connection {
    const id = this.nextId++ as ConnectionId
    const conn = new Connection(id, remote, outbound, now, {
      payloadBytesMax: this.config.payloadBytesMax,
      queriesPerSecondMax: this.config.queriesPerSecondMax,
      queryBurstMax: this.config.queryBurstMax,
      compression: this.deps.compression,
    })
    this.connections.set(id, conn)
    return conn
  }

  slots(): SlotCounts {
    let peers = 0
    let ultrapeers = 0
    let leaves = 0
    for (const c of this.connections.values()) {
      if (c.state !== 'open' && c.state !== 'await_final') continue
      if (c.role === 'peer') peers++
      else if (c.role === 'ultrapeer') ultrapeers++
      else leaves++
    }
    return { peers, ultrapeers, leaves }
  }

  private onHandshake(now: Instant, conn: Connection, handshake: Handshake): void {
    const headers = readGnutellaHeaders(handshake)
    if (headers.remoteIp !== undefined) this.external.vote(conn.remote, headers.remoteIp)
    const start = handshake.start
    // The peer's CONNECT (inbound) or its answer (outbound) says whether it speaks them.
    if (conn.state !== 'await_final') conn.vendorMessages = headers.vendorMessages
    if (conn.state === 'await_connect') {
      if (start.kind !== 'connect') return this.fault(conn, unexpected('expected CONNECT'), true)
      const role = remoteRole(this.config.role, headers)
      if (!acceptIncoming(this.config, role, this.slots())) {
        const refusal = refuseResponse(
          this.advertising(),
          this.roles.tryUltrapeers(now),
          conn.remote,
        )
        this.write(conn, serializeHandshake(refusal))
        return this.drop(conn, 'refused', true)
      }
      conn.role = role
      conn.state = 'await_final'
      const accept = acceptResponse(this.advertising(), this.slots(), conn.remote)
      return this.write(conn, serializeHandshake(accept))
    }
    if (start.kind !== 'status') return this.fault(conn, unexpected('expected a status line'), true)
    if (conn.state === 'await_final') {
      if (start.code !== 200) return this.drop(conn, 'refused', true)
      return this.opened(now, conn)
    }
    // await_response: the outbound side reads the server's answer.
    if (start.code !== 200) {
      this.addCandidates(headers.tryUltrapeers)
      this.emit({
        type: 'handshake_refused',
        connection: conn.id,
        code: start.code,
        tryUltrapeers: headers.tryUltrapeers,
      })
      return this.drop(conn, 'refused', true)
    }
    if (headers.ultrapeerNeeded === true) this.measured.upNeeded = true
    const role = remoteRole(this.config.role, headers)
    if (!keepOutbound(this.config, role, this.slots())) return this.drop(conn, 'refused', true)
    conn.role = role
    conn.handshakeRttMs = now - conn.startedAt
    this.write(conn, serializeHandshake(finalResponse(this.config)))
    this.opened(now, conn)
  }

  private opened(now: Instant, conn: Connection): void {
    conn.state = 'open'
    this.emit({
      type: 'connection_opened',
      connection: conn.id,
      remote: conn.remote,
      peerRole: conn.role,
    })
    this.vendor.opened(conn)
    this.routing.connectionOpened(now, conn)
  }

  private readDescriptors(now: Instant, conn: Connection, bytes: Uint8Array): void {
    conn.reader.push(bytes)
    while (this.connections.get(conn.id) === conn) {
      const item = conn.reader.next()
      if (!item.ok) return this.fault(conn, item.error, true)
      if (item.value === NEED_DATA) return
      if (item.value.kind === 'bad_payload') {
        this.fault(conn, item.value.fault, false)
        continue
      }
      this.onDescriptor(now, conn, item.value.descriptor)
    }
  }

  private onDescriptor(now: Instant, conn: Connection, d: Descriptor): void {
    const type = d.payload.type
    this.receivedByType[type] = (this.receivedByType[type] ?? 0) + 1
    switch (d.payload.type) {
      case 'ping':
        return this.pings.onPing(now, conn, d)
      case 'pong':
        return this.pings.onPong(now, conn, d, d.payload)
      case 'query':
        return this.routing.onQuery(now, conn, d, d.payload)
      case 'query_hit':
        return this.routing.onQueryHit(now, conn, d, d.payload)
      case 'push':
        return this.routing.onPush(conn, d, d.payload)
      case 'route_table_update':
        return this.routing.onRouteTableUpdate(now, conn, d.payload.update)
      case 'vendor':
        return this.vendor.onVendor(now, conn, d, d.payload)
      case 'bye':
        return this.drop(conn, 'bye', true)
    }
  }

  /** Become a leaf (servent-roles.ts). */
  demote(now: Instant): void {
    this.roles.demote(now)
  }

  private write(conn: Connection, bytes: Uint8Array): void {
    this.measured.bytesSent += bytes.length
    this.outputs.push({ type: 'write', connection: conn.id, bytes })
  }

  /** We close the connection (the driver reports nothing more for it). */
  drop(
    conn: Connection,
    reason: Extract<GnutellaEvent, { type: 'connection_closed' }>['reason'],
    graceful: boolean,
  ): void {
    if (!this.connections.has(conn.id)) return
    this.outputs.push({ type: 'close', connection: conn.id, graceful })
    this.forget(conn, reason)
  }

  private forget(
    conn: Connection,
    reason: Extract<GnutellaEvent, { type: 'connection_closed' }>['reason'],
  ): void {
    this.connections.delete(conn.id)
    this.routing.connectionClosed(conn)
    this.emit({ type: 'connection_closed', connection: conn.id, remote: conn.remote, reason })
  }

  /**
   * Where others reach us: the configured address, or, when that is a wildcard or loopback
   * one, the address our peers' `Remote-IP` headers agree on (external-address.ts).
   * Undefined while the configured host is 0.0.0.0 and nothing is learnt yet.
   */
  advertised(): Address | undefined {
    return this.external.advertise(this.config.advertised)
  }

  /** The configuration with the address we advertise now, for handshake headers. */
  private advertising(): ServentConfig {
    const address = this.advertised()
    return address === undefined ? this.config : { ...this.config, advertised: address }
  }

  get role(): Role {
    return this.config.role
  }
}

const unexpected = (detail: string): RemoteFault => ({ code: 'unexpected_message', detail })
