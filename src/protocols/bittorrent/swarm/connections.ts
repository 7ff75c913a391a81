/**
 * Connection lifecycle: which addresses we dial (`Candidates`), which inbound connections we
 * accept, the BEP 3 handshake and its checks, the BEP 6 / BEP 10 greeting, duplicate and self
 * detection, keep-alives and idle timeouts, and the bookkeeping when a connection ends.
 *
 * Slots (issue 11, security 3): at most `connectionsPerHostMax` connections per remote IP, a
 * 10 s handshake timeout, and, when the table is full, an incoming connection evicts the
 * least useful one (`evictionVictim`, eviction.ts): first a connection still handshaking after
 * `evictHandshakingAfter`, else the open peer idle longest (no interest or requests either
 * way) for at least `evictIdleAfter`. A peer we trade with is never evicted; when there is
 * no victim the newcomer is refused, as before.
 *
 * Duplicates: two connections with one peer id (we and the peer dialled each other at once, as
 * a BEP 55 punch makes both ends do) keep the connection opened by the side with the greater
 * peer id, as libtorrent does ("the peer with greatest peer-id is the one allowed to initiate
 * connections", bt_peer_connection.cpp), so both ends drop the same one. A connection to our
 * own peer id is closed and its address never dialled again.
 */
import { addressKey, isIPv4, type Address } from '../../../core/address.js'
import type { ConnectFailure, ConnectionId, StreamCloseReason } from '../../../core/core.js'
import type { StreamTransport } from '../../../core/env.js'
import { compareBytes, equalBytes } from '../../../core/bytes.js'
import { elapsed, type Instant } from '../../../core/time.js'
import {
  encodeExtension,
  ipToBytes,
  offersV2Upgrade,
  supportsDht,
  supportsExtensionProtocol,
  supportsFastExtension,
  UT_HOLEPUNCH,
  UT_METADATA,
  UT_PEX,
  type ExtendedHandshake,
  type Handshake,
} from '../wire/index.js'
import type { CandidateSource } from './candidates.js'
import type { SwarmContext } from './context.js'
import type { DisconnectReason, PeerSourceKind } from './events.js'
import { servesMetadata, UT_METADATA_LOCAL_ID } from './metadata.js'
import { Holepunch } from './holepunch.js'
import { ourHandshake } from './our-handshake.js'
import { Peer } from './peer.js'
import { blockBytesMaxOf } from './config.js'
import { earliestVictimAt, evictionVictim } from './eviction.js'

/** The extended-message id we receive ut_pex as (stable since BEP 11 support). */
const UT_PEX_LOCAL_ID = 1
/** The id we receive ut_holepunch as (libtorrent's). */
const UT_HOLEPUNCH_LOCAL_ID = 4
const NO_LOCAL_EXTENSIONS: ReadonlyMap<string, number> = new Map()

const CLOSE_REASONS: Record<StreamCloseReason, DisconnectReason> = {
  end: 'end',
  reset: 'reset',
  timeout: 'transport_timeout',
  local: 'shutdown',
  error: 'error',
}

/** Per-connection work the other modules do when a peer opens or leaves. */
export interface ConnectionHooks {
  /** The handshake passed and our greeting is queued. */
  opened(peer: Peer): void
  /** The peer is gone; `wasOpen` when it had passed the handshake. */
  left(peer: Peer, wasOpen: boolean): void
}

export class Connections {
  /**
   * The extended-message ids we receive extensions as (our handshake's `m`): ut_pex (not in
   * private torrents) and ut_metadata (whenever the info dictionary is servable).
   */
  readonly localExtensions: ReadonlyMap<string, number>
  private halfOpenCount = 0
  /** Incoming connections closed as they arrived (see `SwarmView.incomingRefused`). */
  incomingRefused = 0
  /** Before this instant no connection can be evicted (`earliestVictimAt`): no scan needed. */
  private noVictimBefore = Number.NEGATIVE_INFINITY
  /** Open peers by peer id (as a latin1 string), for duplicate detection. */
  private readonly byPeerId = new Map<string, Peer>()
  /** Open peers by listen address key, so we do not dial a peer that dialled us. */
  private readonly byListenKey = new Map<string, Peer>()
  /** Connections per remote IP, every phase: the `connectionsPerHostMax` check. */
  private readonly perHost = new Map<string, number>()

  constructor(
    private readonly ctx: SwarmContext,
    private readonly hooks: ConnectionHooks,
  ) {
    const local = new Map<string, number>()
    if (!ctx.metainfo.private) local.set(UT_PEX, UT_PEX_LOCAL_ID)
    if (servesMetadata(ctx.metainfo)) local.set(UT_METADATA, UT_METADATA_LOCAL_ID)
    if (Holepunch.enabled(ctx)) local.set(UT_HOLEPUNCH, UT_HOLEPUNCH_LOCAL_ID)
    this.localExtensions = local
  }

  get halfOpen(): number {
    return this.halfOpenCount
  }

  /** New candidate addresses; returns how many were new. Validation happens here. */
  addPeers(addresses: readonly Address[], source: PeerSourceKind): number {
    const { ctx } = this
    let added = 0
    for (const address of addresses.slice(0, ctx.config.candidatesMax)) {
      if (!Number.isInteger(address.port) || address.port <= 0 || address.port > 0xffff) continue
      // The core dials IP literals only (no name resolution in a sans-IO core).
      if (ipToBytes(address.host) === undefined) continue
      if (ctx.isSelf(address) || ctx.reputation.isBanned(address.host)) continue
      if (ctx.candidates.add(address, source, ctx.now)) added++
    }
    this.dialMore()
    return added
  }

  /** Dials ready candidates while the connection and half-open limits allow. */
  dialMore(): void {
    const { ctx } = this
    const { halfOpenMax } = ctx.config
    const { peersMax } = ctx
    const attemptsMax = ctx.candidates.readyCount
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      if (ctx.shutDown || this.halfOpenCount >= halfOpenMax || ctx.peers.size >= peersMax) return
      const candidate = ctx.candidates.next(ctx.now, ctx.complete)
      if (candidate === undefined) return
      const { address, key } = candidate
      if (ctx.isSelf(address) || ctx.reputation.isBanned(address.host)) {
        ctx.candidates.remove(key)
        continue
      }
      if (this.byListenKey.has(key)) {
        ctx.candidates.connected(address, candidate.source, ctx.now)
        continue
      }
      if (this.hostFull(address.host)) {
        ctx.candidates.postpone(key, ctx.now)
        continue
      }
      this.dial(address)
    }
  }

  /**
   * Dials `address` over uTP for a BEP 55 hole punch, outside the candidates' back-off (a
   * relay just told both ends to dial at once); false when we are connected to it already,
   * it is ours or banned, or a connection limit says no.
   */
  punch(address: Address): boolean {
    const { ctx } = this
    if (ctx.shutDown || ctx.isSelf(address) || ctx.reputation.isBanned(address.host)) return false
    if (this.engaged(address) || this.hostFull(address.host)) return false
    if (this.halfOpenCount >= ctx.config.halfOpenMax || ctx.peers.size >= ctx.peersMax) {
      return false
    }
    this.dial(address, 'utp').holepunch = true
    return true
  }

  /** The open connection whose listen address or socket address is `address`. O(peers). */
  peerAt(address: Address): Peer | undefined {
    const byListen = this.byListenKey.get(addressKey(address))
    if (byListen !== undefined && byListen.phase === 'open') return byListen
    return this.find(address, (peer) => peer.phase === 'open')
  }

  /**
   * Open to `address`, or a punch to it under way. An ordinary dial in progress does not count:
   * through a NAT it is the one bound to fail. O(peers).
   */
  engaged(address: Address): boolean {
    return (
      this.peerAt(address) !== undefined || this.find(address, (p) => p.holepunch) !== undefined
    )
  }

  private find(address: Address, wanted: (peer: Peer) => boolean): Peer | undefined {
    for (const peer of this.ctx.peers.values()) {
      const { remote } = peer
      if (remote.host === address.host && remote.port === address.port && wanted(peer)) {
        return peer
      }
    }
    return undefined
  }

  private dial(address: Address, transport?: StreamTransport): Peer {
    const { ctx } = this
    const peer = new Peer(
      ctx.allocateConnection(),
      true,
      address,
      ctx.pieceCount,
      ctx.now,
      blockBytesMaxOf(ctx.config),
    )
    this.add(peer)
    this.halfOpenCount++
    ctx.output({
      type: 'connect',
      connection: peer.id,
      to: address,
      ...(transport === undefined ? {} : { transport }),
    })
    return peer
  }

  accepted(remote: Address, local: Address, transport?: StreamTransport): ConnectionId {
    const { ctx } = this
    if (ctx.listenPort !== undefined) {
      ctx.selfAddresses.add(addressKey({ host: local.host, port: ctx.listenPort }))
    }
    const refused =
      ctx.shutDown || ctx.reputation.isBanned(remote.host) || this.hostFull(remote.host)
    if (refused || !this.roomForIncoming()) {
      this.incomingRefused++
      const connection = ctx.allocateConnection()
      ctx.output({ type: 'close', connection, graceful: false })
      return connection
    }
    const peer = new Peer(
      ctx.allocateConnection(),
      false,
      remote,
      ctx.pieceCount,
      ctx.now,
      blockBytesMaxOf(ctx.config),
    )
    peer.transport = transport
    this.add(peer)
    // A hybrid answers with the hash the peer named (v1 or truncated v2, BEP 52): it waits.
    if (ctx.swarmHashes.length === 1) this.sendHandshake(peer)
    return peer.id
  }

  /** A slot for an incoming connection: free, or freed by evicting the least useful peer. */
  private roomForIncoming(): boolean {
    const { ctx } = this
    if (ctx.peers.size < ctx.peersMax) return true
    const victim = this.victim()
    if (victim === undefined) return false
    ctx.close(victim, 'too_many_peers', false)
    return true
  }

  /** Whether a full table would make room for a newcomer (`evictionVictim`); changes nothing. */
  evictsForIncoming(): boolean {
    return !this.ctx.shutDown && this.victim() !== undefined
  }

  private victim(): Peer | undefined {
    const { ctx } = this
    if (ctx.now < this.noVictimBefore) return undefined
    const victim = evictionVictim(ctx.peers.values(), ctx.config, ctx.now)
    if (victim === undefined) {
      this.noVictimBefore = earliestVictimAt(ctx.peers.values(), ctx.config, ctx.now)
    }
    return victim
  }

  private add(peer: Peer): void {
    this.ctx.peers.set(peer.id, peer)
    const host = peer.remote.host
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1)
  }

  private hostFull(host: string): boolean {
    return (this.perHost.get(host) ?? 0) >= this.ctx.config.connectionsPerHostMax
  }

  connected(peer: Peer, transport?: StreamTransport): void {
    if (peer.phase !== 'connecting') return
    peer.transport = transport
    this.ctx.candidates.measured(addressKey(peer.remote), this.ctx.now)
    this.halfOpenCount--
    peer.phase = 'handshaking'
    peer.connectedAt = this.ctx.now
    this.sendHandshake(peer)
  }

  connectFailed(peer: Peer, _reason: ConnectFailure): void {
    this.ctx.teardown(peer, 'error')
    this.dialMore()
  }

  /** The driver reports the connection gone. */
  closed(peer: Peer, reason: StreamCloseReason): void {
    this.ctx.teardown(peer, CLOSE_REASONS[reason])
    this.dialMore()
  }

  /** The peer's BEP 3 handshake: checks it, then greets (bitfield, extended handshake). */
  onHandshake(peer: Peer, handshake: Handshake): void {
    const { ctx } = this
    if (!ctx.isOurInfoHash(handshake.infoHash)) {
      ctx.emit({
        type: 'remote_fault',
        address: peer.address,
        code: 'wrong_info_hash',
        detail: 'handshake for another torrent',
      })
      return ctx.close(peer, 'wrong_info_hash', false)
    }
    if (equalBytes(handshake.peerId, ctx.peerId)) {
      if (peer.outbound) {
        ctx.selfAddresses.add(addressKey(peer.remote))
        ctx.candidates.remove(addressKey(peer.remote))
      }
      return ctx.close(peer, 'self', false)
    }
    const idKey = peerIdKey(handshake.peerId)
    const other = this.byPeerId.get(idKey)
    if (other !== undefined) {
      const loser = this.duplicateLoser(other, peer, handshake.peerId)
      ctx.close(loser, 'duplicate', false)
      if (loser === peer) return
    }
    this.byPeerId.set(idKey, peer)
    peer.peerId = handshake.peerId
    peer.fast = supportsFastExtension(handshake.reserved)
    peer.extended = supportsExtensionProtocol(handshake.reserved)
    peer.dht = supportsDht(handshake.reserved)
    // A hybrid's connection speaks v2 only when the handshakes carried the v2 hash: the peer
    // named it, or it named the v1 hash with the upgrade bit and we answer with the v2 hash.
    // libtorrent hangs up on a hash request over a connection it did not upgrade (it answers
    // our upgrade-bit dial with the v1 hash), so the peer's bit alone is not enough.
    peer.v2 =
      ctx.metainfo.version === 'v2' ||
      (ctx.metainfo.hybrid &&
        (!equalBytes(handshake.infoHash, ctx.metainfo.infoHash) ||
          (!peer.outbound && offersV2Upgrade(handshake.reserved))))
    peer.phase = 'open'
    peer.lastUsefulAt = ctx.now
    peer.onParole = ctx.reputation.isOnParole(peer.remote.host)
    if (peer.outbound) this.listenKnown(peer, 'manual')
    ctx.emit({
      type: 'peer_connected',
      peer: peer.id,
      address: peer.address,
      ...clientOf(handshake.peerId),
    })
    if (!peer.outbound && ctx.swarmHashes.length > 1) this.sendHandshake(peer, handshake)
    this.greet(peer)
    this.hooks.opened(peer)
  }

  /** The peer's extended handshake (BEP 10): its extension ids, `reqq`, listen port. */
  onExtendedHandshake(peer: Peer, handshake: ExtendedHandshake): void {
    peer.remoteExtensions = handshake.extensions
    if (handshake.reqq !== undefined && handshake.reqq > 0) peer.reqq = handshake.reqq
    if (handshake.client !== undefined) peer.client = handshake.client.slice(0, 64)
    const port = handshake.port
    if (!peer.outbound && port !== undefined && port > 0 && peer.listenAddress === undefined) {
      peer.listenAddress = { host: peer.remote.host, port }
      this.listenKnown(peer, 'incoming')
    }
  }

  /** Keep-alives, handshake and idle timeouts, back-offs that expired, more dialling. */
  tick(): void {
    const { ctx } = this
    const { handshakeTimeout, inactivityTimeout, keepAliveInterval } = ctx.config
    for (const peer of ctx.peers.values()) {
      if (peer.phase === 'handshaking') {
        if (elapsed(peer.connectedAt, ctx.now) >= handshakeTimeout) {
          ctx.close(peer, 'handshake_timeout', false)
        }
        continue
      }
      if (peer.phase !== 'open') continue
      if (peer.useful) peer.lastUsefulAt = ctx.now
      const heard: Instant = peer.wire.lastReceivedAt ?? peer.connectedAt
      if (elapsed(heard, ctx.now) >= inactivityTimeout) {
        ctx.close(peer, 'inactive', false)
        continue
      }
      if (elapsed(peer.lastSentAt, ctx.now) >= keepAliveInterval) {
        ctx.send(peer, { type: 'keep_alive' })
      }
    }
    ctx.candidates.promote(ctx.now)
    this.dialMore()
  }

  /** Closes every connection gracefully; no new ones follow. */
  shutdown(): void {
    const { ctx } = this
    ctx.shutDown = true
    for (const peer of [...ctx.peers.values()])
      ctx.close(peer, 'shutdown', peer.phase !== 'connecting')
  }

  /** Connection-level cleanup; called from the context's teardown for every ending peer. */
  left(peer: Peer, reason: DisconnectReason): void {
    const { ctx } = this
    const wasOpen = peer.phase === 'open'
    if (peer.phase === 'connecting') this.halfOpenCount--
    peer.phase = 'closed'
    ctx.peers.delete(peer.id)
    const host = peer.remote.host
    const count = (this.perHost.get(host) ?? 1) - 1
    if (count <= 0) this.perHost.delete(host)
    else this.perHost.set(host, count)
    if (peer.peerId !== undefined) {
      const idKey = peerIdKey(peer.peerId)
      if (this.byPeerId.get(idKey) === peer) this.byPeerId.delete(idKey)
    }
    this.rememberDeparted(peer)
    this.updateCandidate(peer, reason, wasOpen)
    this.hooks.left(peer, wasOpen)
    if (wasOpen) {
      ctx.emit({ type: 'peer_disconnected', peer: peer.id, address: peer.address, reason })
    }
  }

  private updateCandidate(peer: Peer, reason: DisconnectReason, wasOpen: boolean): void {
    const { ctx } = this
    const listen = peer.listenAddress
    if (listen === undefined || reason === 'self' || reason === 'banned') return
    const key = addressKey(listen)
    const holder = this.byListenKey.get(key)
    if (holder === peer) this.byListenKey.delete(key)
    else if (holder !== undefined) return
    if (!wasOpen || reason === 'remote_fault') ctx.candidates.failed(key, ctx.now)
    else ctx.candidates.disconnected(key, ctx.now, peer.isSeed)
  }

  private rememberDeparted(peer: Peer): void {
    const { departed, config } = this.ctx
    if (departed.size >= config.departedPeersMax) {
      const oldest = departed.keys().next()
      if (oldest.done !== true) departed.delete(oldest.value)
    }
    departed.set(peer.id, peer.address)
  }

  private listenKnown(peer: Peer, source: CandidateSource): void {
    const listen = peer.listenAddress
    if (listen === undefined) return
    const key = addressKey(listen)
    if (this.byListenKey.has(key)) return
    this.byListenKey.set(key, peer)
    this.ctx.candidates.connected(listen, source, this.ctx.now)
  }

  /** Which of two connections to one peer id goes: see the file comment. */
  private duplicateLoser(older: Peer, newer: Peer, theirId: Uint8Array): Peer {
    if (older.outbound === newer.outbound) return newer
    // The greater id's dial survives: ours is the outbound one, theirs the inbound one.
    const weAreGreater = compareBytes(this.ctx.peerId, theirId) > 0
    const keep = weAreGreater === older.outbound ? older : newer
    return keep === older ? newer : older
  }

  /** Ours (`ourHandshake`): at once, or in answer to the peer's (`answering`, hybrids). */
  private sendHandshake(peer: Peer, answering?: Handshake): void {
    const { ctx } = this
    const dhtOn = ctx.config.dhtPort !== undefined
    const { reserved, infoHash } = ourHandshake(ctx.swarmHashes, dhtOn, answering)
    ctx.send(peer, { type: 'handshake', reserved, infoHash, peerId: ctx.peerId })
  }

  /** Our availability (BEP 3 bitfield, BEP 6 have_all / have_none) and BEP 10 handshake. */
  private greet(peer: Peer): void {
    const { ctx } = this
    const count = ctx.picker.verifiedCount
    if (peer.fast && count === ctx.pieceCount) ctx.send(peer, { type: 'have_all' })
    else if (peer.fast && count === 0) ctx.send(peer, { type: 'have_none' })
    else if (count > 0)
      ctx.send(peer, { type: 'bitfield', bytes: ctx.picker.haveBitfield().toBytes() })
    if (peer.dht && ctx.config.dhtPort !== undefined) {
      ctx.send(peer, { type: 'port', port: ctx.config.dhtPort })
    }
    if (!peer.extended) return
    const { infoBytes } = ctx.metainfo
    const handshake: ExtendedHandshake = {
      extensions: this.localExtensions,
      client: ctx.config.clientName,
      reqq: ctx.config.peerRequestsMax,
      ...(this.localExtensions.has(UT_METADATA) ? { metadataSize: infoBytes.length } : {}),
      ...(ctx.listenPort !== undefined ? { port: ctx.listenPort } : {}),
      ...(isIPv4(peer.remote.host) ? { yourIp: peer.remote.host } : {}),
    }
    const message = encodeExtension({ type: 'extended_handshake', handshake }, NO_LOCAL_EXTENSIONS)
    if (message !== undefined) ctx.send(peer, message)
  }
}

/** A Map key for a 20-byte peer id. */
function peerIdKey(peerId: Uint8Array): string {
  return String.fromCharCode(...peerId)
}

/** `-XX1234-` (Azureus style) peer ids name their client; others say nothing we trust. */
function clientOf(peerId: Uint8Array): { client?: string } {
  const prefix = String.fromCharCode(...peerId.subarray(0, 8))
  return /^-[A-Za-z~]{2}[0-9A-Za-z]{4}-$/.test(prefix) ? { client: prefix.slice(1, 7) } : {}
}
