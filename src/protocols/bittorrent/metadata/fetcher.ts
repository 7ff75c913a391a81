/**
 * The BEP 9 metadata fetcher: a sans-IO `StreamCore` that turns a magnet link's info-hash and
 * some peer addresses into the verified info dictionary. It dials up to `connectionsMax`
 * candidates, greets each (BEP 3 handshake with the extension bit, `have_none` when both sides
 * speak BEP 6, then a BEP 10 handshake offering ut_metadata) and keeps only peers whose
 * extended handshake offers ut_metadata and agrees on `metadata_size`. Piece requests and the
 * hash check live in `requests.ts`; this file owns connections, deadlines and outputs.
 */
import { sameAddress, type Address } from '../../../core/address.js'
import { equalBytes } from '../../../core/bytes.js'
import {
  NEED_DATA,
  type ConnectFailure,
  type ConnectionId,
  type StreamCloseReason,
  type StreamCore,
  type StreamOutput,
} from '../../../core/core.js'
import type { Id160 } from '../../../core/id.js'
import type { Random } from '../../../core/random.js'
import { after, earliest, type Instant } from '../../../core/time.js'
import {
  supportsExtensionProtocol,
  supportsFastExtension,
  type Handshake,
  type WireMessage,
} from '../wire/index.js'
import { metadataConfig, type MetadataConfig, type MetadataFetcherOptions } from './config.js'
import type { MetadataEvent, MetadataView } from './events.js'
import { greet, ourHandshake } from './greeting.js'
import { PeerBook } from './peer-book.js'
import { MetadataPeer } from './peer.js'
import { MetadataRequests, type RequestsHost } from './requests.js'

export class MetadataFetcher implements StreamCore<MetadataEvent> {
  private readonly config: MetadataConfig
  private readonly peers = new Map<ConnectionId, MetadataPeer>()
  private readonly book: PeerBook
  private now: Instant
  private readonly infoHash: Id160
  private readonly peerId: Uint8Array
  private readonly random: Random
  private readonly requests: MetadataRequests
  private readonly outputs: StreamOutput<MetadataEvent>[] = []
  private nextConnection = 1
  private finished = false
  /** Set when peers are added, so `metadata_failed` is reported once per batch that ran dry. */
  private failureArmed = false

  constructor(options: MetadataFetcherOptions) {
    this.config = metadataConfig(options.config)
    this.infoHash = options.infoHash
    this.peerId = options.peerId
    this.random = options.random
    this.now = options.now
    this.book = new PeerBook(this.config)
    const host: RequestsHost = {
      config: this.config,
      peers: this.peers,
      book: this.book,
      now: () => this.now,
      emit: (event) => this.emit(event),
      close: (peer, graceful, ban) => this.close(peer, graceful, ban),
      finish: (infoBytes) => this.finish(infoBytes),
    }
    this.requests = new MetadataRequests(host, options.infoHash, options.hashing)
  }

  /** Call with peers from a magnet's `x.pe`, trackers, DHT or PEX; returns how many were new. */
  addPeers(now: Instant, addresses: readonly Address[]): number {
    this.now = now
    if (this.finished) return 0
    let added = 0
    for (const address of addresses.slice(0, this.config.candidatesMax)) {
      if (!this.isConnectedTo(address) && this.book.add(address)) added++
    }
    if (added > 0) this.failureArmed = true
    this.afterInput()
    return added
  }

  accepted(now: Instant, remote: Address, _local: Address): ConnectionId {
    this.now = now
    const id = this.allocate()
    const full = this.peers.size >= this.config.connectionsMax
    if (this.finished || full || this.book.isBanned(remote.host)) {
      this.outputs.push({ type: 'close', connection: id, graceful: false })
      return id
    }
    const peer = new MetadataPeer(id, false, remote, now)
    this.peers.set(id, peer)
    this.sendHandshake(peer)
    this.afterInput()
    return id
  }

  connected(now: Instant, connection: ConnectionId, _local: Address): void {
    this.now = now
    const peer = this.peers.get(connection)
    if (peer === undefined || peer.phase !== 'connecting') return
    peer.phase = 'handshaking'
    peer.since = now
    this.sendHandshake(peer)
    this.afterInput()
  }

  connectFailed(now: Instant, connection: ConnectionId, _reason: ConnectFailure): void {
    this.gone(now, connection)
  }

  closed(now: Instant, connection: ConnectionId, _reason: StreamCloseReason): void {
    this.gone(now, connection)
  }

  received(now: Instant, connection: ConnectionId, bytes: Uint8Array): void {
    this.now = now
    const peer = this.peers.get(connection)
    if (peer === undefined || peer.phase === 'connecting') return
    peer.wire.receiveBytes(now, bytes)
    // Each pass consumes a whole frame, so the loop is bounded by the bytes received.
    while (this.peers.get(connection) === peer) {
      const next = peer.wire.nextMessage()
      if (!next.ok) {
        this.close(peer, false, true)
        break
      }
      if (next.value === NEED_DATA) break
      this.onMessage(peer, next.value)
    }
    this.afterInput()
  }

  writeBlocked(_now: Instant, connection: ConnectionId): void {
    const peer = this.peers.get(connection)
    if (peer !== undefined) peer.blocked = true
  }

  writable(now: Instant, connection: ConnectionId): void {
    this.now = now
    const peer = this.peers.get(connection)
    if (peer === undefined) return
    peer.blocked = false
    this.requests.requestMore(peer)
    this.afterInput()
  }

  timeout(now: Instant): void {
    this.now = now
    for (const peer of [...this.peers.values()]) this.tick(peer)
    this.requests.requestAll()
    this.afterInput()
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const peer of this.peers.values()) next = earliest(next, peer.deadline(this.config))
    return next
  }

  takeOutputs(): StreamOutput<MetadataEvent>[] {
    return this.outputs.splice(0)
  }

  inspect(): MetadataView {
    let ready = 0
    for (const peer of this.peers.values()) if (peer.phase === 'ready') ready++
    return {
      candidates: this.book.candidateCount,
      connections: this.peers.size,
      ready,
      ...this.requests.inspect(),
      done: this.finished,
    }
  }

  // ---- for requests.ts --------------------------------------------------------------------

  private emit(event: MetadataEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  /** Flushes what the peer has queued, then closes; `ban` keeps its host from coming back. */
  private close(peer: MetadataPeer, graceful: boolean, ban = false): void {
    if (this.peers.get(peer.id) !== peer) return
    this.flush(peer)
    this.forget(peer)
    this.outputs.push({ type: 'close', connection: peer.id, graceful })
    if (ban) this.book.ban(peer.remote.host)
  }

  /** Success: hands out the metadata and the peers, then closes everything gracefully. */
  private finish(infoBytes: Uint8Array): void {
    this.finished = true
    this.emit({ type: 'metadata_received', infoBytes })
    this.emit({ type: 'peers_known', addresses: this.book.knownAddresses() })
    for (const peer of [...this.peers.values()]) this.close(peer, peer.phase !== 'connecting')
  }

  // ---- connections ------------------------------------------------------------------------

  private gone(now: Instant, connection: ConnectionId): void {
    this.now = now
    const peer = this.peers.get(connection)
    if (peer === undefined) return
    this.forget(peer)
    this.requests.requestAll()
    this.afterInput()
  }

  private forget(peer: MetadataPeer): void {
    this.peers.delete(peer.id)
    this.requests.left(peer)
  }

  private afterInput(): void {
    this.dialMore()
    for (const peer of this.peers.values()) this.flush(peer)
    if (this.finished || !this.failureArmed) return
    if (this.book.candidateCount > 0 || this.peers.size > 0) return
    this.failureArmed = false
    this.emit({ type: 'metadata_failed', reason: 'peers_exhausted' })
  }

  private dialMore(): void {
    while (!this.finished && this.peers.size < this.config.connectionsMax) {
      const address = this.book.take(this.random)
      if (address === undefined) return
      if (this.isConnectedTo(address)) continue
      const peer = new MetadataPeer(this.allocate(), true, address, this.now)
      this.peers.set(peer.id, peer)
      this.outputs.push({ type: 'connect', connection: peer.id, to: address })
    }
  }

  private isConnectedTo(address: Address): boolean {
    for (const peer of this.peers.values()) {
      if (peer.listenAddress !== undefined && sameAddress(peer.listenAddress, address)) return true
    }
    return false
  }

  private allocate(): ConnectionId {
    return this.nextConnection++ as ConnectionId
  }

  private flush(peer: MetadataPeer): void {
    const bytes = peer.takeBytes()
    if (bytes !== undefined) this.outputs.push({ type: 'write', connection: peer.id, bytes })
  }

  /** Connect, handshake and inactivity deadlines, request timeouts and keep-alives. */
  private tick(peer: MetadataPeer): void {
    const { config, now } = this
    if (peer.expired(now, config)) return this.close(peer, false)
    if (peer.phase !== 'ready' || !this.requests.expire(peer)) return
    if (after(peer.lastSentAt, config.keepAliveInterval) <= now) {
      peer.send(now, { type: 'keep_alive' })
    }
  }

  // ---- messages ---------------------------------------------------------------------------

  private onMessage(peer: MetadataPeer, message: WireMessage): void {
    switch (message.type) {
      case 'handshake':
        return this.onHandshake(peer, message)
      case 'extended':
        return this.requests.onExtended(peer, message)
      default:
        // We have no pieces to trade: availability, choking and block traffic mean nothing
        // here. The wire already bounded each frame, so ignoring them costs nothing.
        return
    }
  }

  private onHandshake(peer: MetadataPeer, handshake: Handshake): void {
    if (!equalBytes(handshake.infoHash, this.infoHash)) return this.close(peer, false)
    if (equalBytes(handshake.peerId, this.peerId)) return this.close(peer, false)
    peer.phase = 'extending'
    if (peer.listenAddress !== undefined) this.book.remember(peer.listenAddress)
    // Without BEP 10 the peer cannot send metadata; it still helps the swarm later.
    if (!supportsExtensionProtocol(handshake.reserved)) return this.close(peer, true)
    peer.fast = supportsFastExtension(handshake.reserved)
    greet(peer, this.now, this.config)
  }

  private sendHandshake(peer: MetadataPeer): void {
    peer.send(this.now, ourHandshake(this.infoHash, this.peerId))
  }
}
