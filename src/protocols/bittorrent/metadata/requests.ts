/**
 * Which peer is asked for which ut_metadata piece, and what happens to the answers. Peers are
 * admitted once their extended handshake offers ut_metadata with a `metadata_size` the others
 * agree on; each has at most `requestsPerPeerMax` requests out. A reject or a timeout sends the
 * piece back to the pool and that peer is not asked for it again. When every piece is in, the
 * SHA-1 of the whole must be the info-hash: otherwise every contributor is banned (one of them
 * lied, and we cannot tell which) and the fetch starts over with the rest.
 */
import type { Address } from '../../../core/address.js'
import type { ConnectionId } from '../../../core/core.js'
import type { Hashing } from '../../../core/env.js'
import type { Id160 } from '../../../core/id.js'
import { after, type Instant } from '../../../core/time.js'
import { verifyInfoDict } from '../metainfo/index.js'
import {
  decodeExtension,
  encodeMetadataMessage,
  METADATA_BYTES_MAX,
  UT_METADATA,
  type ExtendedHandshake,
  type MetadataMessage,
  type WireMessage,
} from '../wire/index.js'
import { MetadataAssembly } from './assembly.js'
import type { PeerBook } from './peer-book.js'
import type { MetadataConfig } from './config.js'
import type { MetadataEvent } from './events.js'
import { LOCAL_EXTENSIONS } from './greeting.js'
import type { MetadataPeer } from './peer.js'

type Extended = Extract<WireMessage, { type: 'extended' }>

/** What the requests need from the core that owns the connections. */
export interface RequestsHost {
  readonly config: MetadataConfig
  readonly peers: ReadonlyMap<ConnectionId, MetadataPeer>
  readonly book: PeerBook
  now(): Instant
  emit(event: MetadataEvent): void
  close(peer: MetadataPeer, graceful: boolean, ban?: boolean): void
  finish(infoBytes: Uint8Array): void
}

export class MetadataRequests {
  private assembly: MetadataAssembly<MetadataPeer> | undefined = undefined
  /** Peers dropped for disagreeing on the size: dialled again if that size proves wrong. */
  private disputed: Address[] = []

  constructor(
    private readonly host: RequestsHost,
    private readonly infoHash: Id160,
    private readonly hashing: Hashing,
  ) {}

  inspect(): { metadataSize: number | undefined; piecesReceived: number; pieceCount: number } {
    const assembly = this.assembly
    if (assembly === undefined) return { metadataSize: undefined, piecesReceived: 0, pieceCount: 0 }
    return {
      metadataSize: assembly.totalSize,
      piecesReceived: assembly.receivedCount,
      pieceCount: assembly.pieceCount,
    }
  }

  /** The peer's extended handshake: admits it when it offers ut_metadata we can use. */
  private offered(peer: MetadataPeer, handshake: ExtendedHandshake): void {
    const { host } = this
    const { port, metadataSize: size } = handshake
    if (!peer.outbound && peer.listenAddress === undefined && port !== undefined && port > 0) {
      peer.listenAddress = { host: peer.remote.host, port }
      host.book.remember(peer.listenAddress)
    }
    const id = handshake.extensions.get(UT_METADATA) ?? 0
    const usable = id > 0 && size !== undefined && size > 0 && size <= METADATA_BYTES_MAX
    if (!usable) return host.close(peer, true)
    // A repeated handshake may move the id, but a peer that changes the size is not credible.
    if (peer.phase === 'ready' && size !== peer.metadataSize) return host.close(peer, false, true)
    peer.utMetadataId = id
    peer.metadataSize = size
    if (peer.phase === 'ready') return
    if (!this.adoptSize(size)) {
      const listen = peer.listenAddress
      if (listen !== undefined && this.disputed.length < host.config.candidatesMax) {
        this.disputed.push(listen)
      }
      return host.close(peer, true)
    }
    peer.phase = 'ready'
    this.requestMore(peer)
  }

  /** A BEP 10 message; a payload that does not decode is a fault that bans the peer. */
  onExtended(peer: MetadataPeer, message: Extended): void {
    const decoded = decodeExtension(message, LOCAL_EXTENSIONS, this.assembly?.totalSize)
    if (!decoded.ok) return this.host.close(peer, false, true)
    const extension = decoded.value
    if (extension.type === 'extended_handshake') return this.offered(peer, extension.handshake)
    if (extension.type === 'ut_metadata') this.onMetadata(peer, extension.message)
  }

  private onMetadata(peer: MetadataPeer, message: MetadataMessage): void {
    switch (message.msgType) {
      case 'request':
        // BEP 9: without the metadata we must reject; skipped under backpressure, as a peer
        // that floods requests deserves no buffer space.
        if (peer.utMetadataId > 0 && !peer.blocked) {
          this.send(peer, { msgType: 'reject', piece: message.piece })
        }
        return
      case 'data':
        return this.onData(peer, message.piece, message.data)
      case 'reject':
        return this.onReject(peer, message.piece)
      case 'unknown':
        return
    }
  }

  /** Fills the peer's request slots with open pieces it has not refused. */
  requestMore(peer: MetadataPeer): void {
    const { assembly, host } = this
    if (assembly === undefined || peer.phase !== 'ready' || peer.blocked) return
    while (peer.requests.size < host.config.requestsPerPeerMax) {
      const piece = assembly.pick((p) => peer.refused.has(p))
      if (piece === undefined) return
      assembly.request(piece, peer)
      peer.requests.set(piece, after(host.now(), host.config.requestTimeout))
      this.send(peer, { msgType: 'request', piece })
    }
  }

  requestAll(): void {
    for (const peer of [...this.host.peers.values()]) this.requestMore(peer)
  }

  /** Expires the peer's overdue requests; false when that closed the peer. */
  expire(peer: MetadataPeer): boolean {
    let expired = false
    for (const [piece, at] of [...peer.requests]) {
      if (at > this.host.now()) continue
      this.giveUp(peer, piece)
      expired = true
    }
    // One stall that lapses several requests at once counts once.
    if (expired) peer.timeouts++
    if (peer.timeouts < this.host.config.requestTimeoutsMax && !this.isUseless(peer)) return true
    this.host.close(peer, false)
    return false
  }

  /** The peer is gone: its requests go back to the pool. */
  left(peer: MetadataPeer): void {
    for (const piece of peer.requests.keys()) this.assembly?.release(piece, peer)
    peer.requests.clear()
  }

  private onData(peer: MetadataPeer, piece: number, data: Uint8Array): void {
    const assembly = this.assembly
    // Unrequested or late (after a timeout) data is dropped: the piece went elsewhere.
    if (assembly === undefined || !peer.requests.delete(piece)) return
    if (!assembly.store(piece, data, peer)) return
    if (assembly.complete) return this.verify(assembly)
    this.requestMore(peer)
  }

  private onReject(peer: MetadataPeer, piece: number): void {
    if (!peer.requests.has(piece)) return
    this.giveUp(peer, piece)
    peer.rejects++
    if (peer.rejects >= this.host.config.rejectsMax || this.isUseless(peer)) {
      this.host.close(peer, true)
    }
    this.requestAll()
  }

  private giveUp(peer: MetadataPeer, piece: number): void {
    peer.requests.delete(piece)
    peer.refused.add(piece)
    this.assembly?.release(piece, peer)
  }

  /** Nothing in flight and every missing piece already refused by this peer. */
  private isUseless(peer: MetadataPeer): boolean {
    const assembly = this.assembly
    if (assembly === undefined || peer.requests.size > 0) return false
    return !assembly.hasMissing((piece) => peer.refused.has(piece))
  }

  /** Whether `size` can be fetched now; it starts the assembly when none is under way. */
  private adoptSize(size: number): boolean {
    const current = this.assembly
    if (current !== undefined && current.totalSize === size) return true
    for (const peer of this.host.peers.values()) if (peer.phase === 'ready') return false
    // Nobody connected vouches for the old size any more, and it may have been the lie.
    this.restart(new MetadataAssembly(size))
    return true
  }

  private verify(assembly: MetadataAssembly<MetadataPeer>): void {
    const { host } = this
    const bytes = assembly.bytes()
    if (verifyInfoDict(bytes, this.infoHash, this.hashing)) return host.finish(bytes.slice())
    const blamed = assembly.contributors()
    host.emit({
      type: 'metadata_hash_failed',
      blamed: blamed.map((peer) => peer.listenAddress ?? peer.remote),
    })
    for (const peer of blamed) {
      host.book.ban(peer.remote.host)
      host.close(peer, false)
    }
    // The survivors agreed on this size; it may still be right, so they start over with it.
    let anyReady = false
    for (const peer of host.peers.values()) if (peer.phase === 'ready') anyReady = true
    this.restart(anyReady ? new MetadataAssembly(assembly.totalSize) : undefined)
    this.requestAll()
  }

  /** A new assembly (or none): old refusals no longer apply and disputed peers get a chance. */
  private restart(next: MetadataAssembly<MetadataPeer> | undefined): void {
    this.assembly = next
    for (const peer of this.host.peers.values()) peer.refused.clear()
    for (const address of this.disputed.splice(0)) this.host.book.add(address)
  }

  private send(peer: MetadataPeer, message: MetadataMessage): void {
    const payload = encodeMetadataMessage(message)
    peer.send(this.host.now(), { type: 'extended', extendedId: peer.utMetadataId, payload })
  }
}
