/**
 * Applies the choker (`choker/`, a pure function) to live connections: every `rechokeInterval`
 * we build one candidate per open peer from its rate meters and flags, ask `chooseUnchoked`,
 * and send the `choke` / `unchoke` messages it decides. The optimistic slot rotates inside
 * the choker every `optimisticInterval` (30 s: every third round). Between rounds, a peer
 * that becomes interested while a slot is free is unchoked at once, as libtorrent does, so a
 * new swarm does not idle for up to 10 s before its first upload.
 */
import { assert } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import type { Instant } from '../../../core/time.js'
import { chooseUnchoked, type ChokeCandidate, type ChokeOptions } from '../choker/index.js'
import { uploadSlotsOf } from './config.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'
import type { Uploads } from './uploads.js'

export class Choking {
  private optimistic: number | undefined = undefined
  private lastOptimisticAt: Instant | undefined = undefined
  private unchokedCount = 0
  /** An upload slot came free since the last round: rechoke at the next tick. */
  private slotFreed = false
  /** The choker's options with `slots` = the configured upload slots. */
  private readonly options: ChokeOptions

  constructor(
    private readonly ctx: SwarmContext,
    private readonly uploads: Uploads,
    private readonly random: Random,
  ) {
    this.options = { ...ctx.config.choke, slots: uploadSlotsOf(ctx.config) }
  }

  get unchoked(): number {
    return this.unchokedCount
  }

  rechoke(): void {
    const { ctx } = this
    this.slotFreed = false
    const candidates: ChokeCandidate[] = []
    for (const peer of ctx.peers.values()) {
      if (peer.phase === 'open') candidates.push(this.candidateOf(peer))
    }
    const decision = chooseUnchoked(
      candidates,
      {
        now: ctx.now,
        seeding: ctx.haveAll,
        pieceBytes: ctx.metainfo.pieceLength,
        ...(this.optimistic !== undefined ? { optimistic: this.optimistic } : {}),
        ...(this.lastOptimisticAt !== undefined ? { lastOptimisticAt: this.lastOptimisticAt } : {}),
      },
      this.options,
      this.random,
    )
    this.optimistic = decision.optimistic
    this.lastOptimisticAt = decision.optimisticAt
    for (const id of decision.toChoke) this.choke(this.peerOf(id))
    for (const id of decision.toUnchoke) this.unchoke(this.peerOf(id))
  }

  onInterested(peer: Peer): void {
    if (peer.peerInterested) return
    peer.peerInterested = true
    const freeSlot = this.unchokedCount < this.options.slots
    if (peer.amChoking && freeSlot && !peer.isSeed && !this.ctx.shutDown) this.unchoke(peer)
  }

  onNotInterested(peer: Peer): void {
    peer.peerInterested = false
    if (!peer.amChoking) this.slotFreed = true
  }

  /** The peer left: its slot is free. */
  peerLeft(peer: Peer): void {
    if (!peer.amChoking) {
      this.unchokedCount--
      this.slotFreed = true
    }
    if (this.optimistic === peer.pickerId) this.optimistic = undefined
  }

  /**
   * The batch tick: a slot freed by a departure or a peer losing interest is given out now
   * rather than at the next 10 s round (libtorrent triggers an unchoke pass the same way),
   * so a swarm whose first finishers leave does not idle its seeds.
   */
  tick(): void {
    if (this.slotFreed) this.rechoke()
  }

  private choke(peer: Peer): void {
    if (peer.amChoking) return
    peer.amChoking = true
    this.unchokedCount--
    this.ctx.send(peer, { type: 'choke' })
    this.uploads.choked(peer)
  }

  private unchoke(peer: Peer): void {
    if (!peer.amChoking) return
    peer.amChoking = false
    this.unchokedCount++
    peer.lastUnchokedAt = this.ctx.now
    peer.uploadedSinceUnchokeBytes = 0
    this.ctx.send(peer, { type: 'unchoke' })
    this.uploads.unchoked(peer)
  }

  private candidateOf(peer: Peer): ChokeCandidate {
    const { now } = this.ctx
    return {
      peer: peer.pickerId,
      amChoking: peer.amChoking,
      downloadRateFromPeer: peer.downloadMeter.rate(now),
      downloadedFromPeerBytes: peer.downloadMeter.total,
      uploadRateToPeer: peer.uploadMeter.rate(now),
      ...(peer.lastUnchokedAt !== undefined ? { lastUnchokedAt: peer.lastUnchokedAt } : {}),
      uploadedSinceUnchokeBytes: peer.uploadedSinceUnchokeBytes,
      interested: peer.peerInterested,
      isSeed: peer.isSeed,
      snubbed: peer.snubbed,
      connectedAt: peer.connectedAt,
    }
  }

  private peerOf(id: number): Peer {
    const peer = this.ctx.peers.get(id as Peer['id'])
    assert(peer !== undefined, `choker named unknown peer ${id}`)
    return peer
  }
}
