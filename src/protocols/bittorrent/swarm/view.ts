/**
 * What `SwarmCore.inspect()` returns: a read-only snapshot of each connection's BEP 3 flags,
 * requests both ways and allowed-fast sets, plus the torrent-level state the invariant
 * checkers (`invariants.ts`) and tests need. Built on demand, O(peers + pieces): call it at
 * checkpoints, not per message.
 */
import type { Address } from '../../../core/address.js'
import type { ConnectionId } from '../../../core/core.js'
import type { Bitfield, PiecePicker } from '../picker/index.js'
import type { SwarmConfig } from './config.js'
import type { SwarmContext } from './context.js'
import type { IgnoredCounts } from './dispatch.js'
import type { HolepunchCounts } from './holepunch.js'
import type { SwarmStats } from './events.js'
import type { PeerPhase } from './peer.js'

export interface PeerView {
  readonly connection: ConnectionId
  readonly address: Address
  readonly phase: PeerPhase
  readonly outbound: boolean
  readonly fast: boolean
  readonly amChoking: boolean
  readonly amInterested: boolean
  readonly peerChoking: boolean
  readonly peerInterested: boolean
  readonly isSeed: boolean
  readonly snubbed: boolean
  /** The peer's pieces (live: read only). */
  readonly has: Bitfield
  /** Our requests outstanding to the peer, by our count and by the picker's. */
  readonly outstandingRequests: number
  readonly pickerOutstandingRequests: number
  /** Requests we sent while it choked us, outside its allowed-fast set. */
  readonly requestsWhileChoked: number
  /** Its requests queued with us, and those being read from storage. */
  readonly uploadQueued: number
  readonly uploadReading: number
  readonly allowedFastIn: readonly number[]
  readonly allowedFastOut: readonly number[]
  readonly downloadRate: number
  readonly uploadRate: number
  /** Bytes the rate meters counted since the connection opened. */
  readonly downloadedBytes: number
  readonly uploadedBytes: number
  /** `v` from its extended handshake, when it sent one. */
  readonly client: string | undefined
}

export interface SwarmView {
  readonly peers: readonly PeerView[]
  readonly bannedHosts: readonly string[]
  /** Our verified pieces (a copy). */
  readonly have: Bitfield
  /** Pieces confirmed by `pieceVerified(ok)` or given at start (a copy). */
  readonly confirmed: Bitfield
  readonly complete: boolean
  readonly storageFailed: boolean
  /** Live: read only. */
  readonly picker: PiecePicker
  readonly config: SwarmConfig
  readonly halfOpen: number
  /**
   * Incoming connections closed at once (full table, banned or full host): after a listener
   * admitted them, each had paid for its handshake (MSE) for nothing.
   */
  readonly incomingRefused: number
  /** Peers the choking module counts as unchoked. */
  readonly unchoked: number
  readonly readsInFlight: number
  readonly pendingWriteBytes: number
  /** Blocks dropped because their sender was never asked for them. */
  readonly unrequestedBlocks: number
  readonly ignored: Readonly<IgnoredCounts>
  /** BEP 55 messages sent, relayed, refused, connects taken, errors heard (`holepunch.ts`). */
  readonly holepunch: Readonly<HolepunchCounts>
  readonly stats: SwarmStats
}

export interface ModuleCounts {
  readonly halfOpen: number
  readonly incomingRefused: number
  readonly unchoked: number
  readonly readsInFlight: number
  readonly ignored: Readonly<IgnoredCounts>
  readonly holepunch: Readonly<HolepunchCounts>
  readonly stats: SwarmStats
}

export function viewOf(ctx: SwarmContext, counts: ModuleCounts): SwarmView {
  const { downloads } = ctx.picker.inspect()
  const peers: PeerView[] = []
  for (const peer of ctx.peers.values()) {
    peers.push({
      connection: peer.id,
      address: peer.address,
      phase: peer.phase,
      outbound: peer.outbound,
      fast: peer.fast,
      amChoking: peer.amChoking,
      amInterested: peer.amInterested,
      peerChoking: peer.peerChoking,
      peerInterested: peer.peerInterested,
      isSeed: peer.isSeed,
      snubbed: peer.snubbed,
      has: peer.has,
      outstandingRequests: peer.requests.size,
      pickerOutstandingRequests: downloads.outstandingOf(peer.pickerId).size,
      requestsWhileChoked: peer.requestsWhileChoked,
      uploadQueued: peer.uploadQueued.size,
      uploadReading: peer.uploadReading.size,
      allowedFastIn: [...peer.allowedFastInList],
      allowedFastOut: [...peer.allowedFastOut],
      downloadRate: peer.downloadMeter.rate(ctx.now),
      uploadRate: peer.uploadMeter.rate(ctx.now),
      downloadedBytes: peer.downloadMeter.total,
      uploadedBytes: peer.uploadMeter.total,
      client: peer.client,
    })
  }
  return {
    peers,
    bannedHosts: [...ctx.reputation.bannedHosts],
    have: ctx.picker.haveBitfield(),
    confirmed: ctx.confirmed.copy(),
    complete: ctx.complete,
    storageFailed: ctx.storageFailed,
    picker: ctx.picker,
    config: ctx.config,
    pendingWriteBytes: ctx.pendingWriteBytes,
    unrequestedBlocks: ctx.unrequestedBlocks,
    ...counts,
  }
}
