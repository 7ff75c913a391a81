/**
 * From stored blocks to verified pieces, and who to blame when a piece is bad. Storage and
 * hashing are the driver's: we emit `write_block` (from `Requests`), count bytes until
 * `blockWritten`, emit `verify_piece` when the picker says a piece is whole, and act on
 * `pieceVerified`: announce it (`have`) or hand the failed piece's contributors to
 * `Reputation`, closing and banning the hosts it condemns.
 *
 * Receive backpressure: when more than `writeQueueBytesMax` bytes wait for storage, every
 * connection stops reading (`pause_reading`) until the backlog halves, so a slow disk slows
 * the peers down instead of filling memory with blocks.
 */
import type { Address } from '../../../core/address.js'
import type { ConnectionId } from '../../../core/core.js'
import { assert } from '../../../core/errors.js'
import { PIECE_HASHING } from '../picker/index.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'
import type { Requests } from './requests.js'

/** Contributors tracked per piece in flight; a piece has at most its block count of them. */
export class Verification {
  /** Pieces in flight -> the picker ids of peers that delivered accepted blocks. */
  private readonly contributors = new Map<number, number[]>()
  private readingPaused = false

  /** Told the picker ids behind every failed piece (web seeds ban themselves there). */
  onPieceFailed: (contributors: readonly number[]) => void = () => undefined
  /**
   * Offered every failed piece first: true when it looks for the bad blocks (BEP 52 block
   * hashes, `block-hashes.ts`) and will call `blocksFailed` or `pieceFailed` later.
   */
  narrow: (piece: number, contributors: readonly number[]) => boolean = () => false

  constructor(
    private readonly ctx: SwarmContext,
    private readonly requests: Requests,
  ) {}

  /** A block of `piece` from `peer` (a connection or a web seed) went to storage. */
  blockAccepted(peer: { readonly pickerId: number }, piece: number): void {
    let list = this.contributors.get(piece)
    if (list === undefined) {
      list = []
      this.contributors.set(piece, list)
    }
    if (!list.includes(peer.pickerId)) list.push(peer.pickerId)
    if (!this.readingPaused && this.ctx.pendingWriteBytes > this.ctx.config.writeQueueBytesMax) {
      this.setReading(false)
    }
  }

  blockWritten(piece: number, begin: number, length: number): void {
    const { ctx } = this
    this.written(length)
    if (ctx.picker.blockWritten({ piece, begin })) ctx.emit({ type: 'verify_piece', piece })
  }

  blockWriteFailed(piece: number, begin: number, length: number, message: string): void {
    const { ctx } = this
    this.written(length)
    ctx.picker.blockWriteFailed({ piece, begin })
    if (ctx.storageFailed) return
    ctx.storageFailed = true
    ctx.emit({ type: 'storage_error', message })
    this.requests.stopDownloading()
  }

  pieceVerified(piece: number, ok: boolean): void {
    const { ctx } = this
    assert(ctx.picker.pieceState(piece) === PIECE_HASHING, `piece ${piece} was not being hashed`)
    const contributors = this.contributors.get(piece) ?? []
    this.contributors.delete(piece)
    if (!ok) {
      if (this.narrow(piece, contributors)) return
      return this.pieceFailed(piece)
    }
    const wasWanted = ctx.picker.piecePriority(piece) > 0
    ctx.picker.pieceVerified(piece)
    if (wasWanted) ctx.wantedMissing--
    ctx.confirmed.set(piece)
    ctx.emit({ type: 'piece_verified', piece })
    const hosts = new Set<string>()
    for (const id of contributors) {
      const address = this.addressOf(id)
      if (address !== undefined) hosts.add(address.host)
    }
    for (const host of hosts) {
      const wasOnParole = ctx.reputation.isOnParole(host)
      ctx.reputation.piecePassed(host, hosts.size === 1)
      if (wasOnParole) this.updateParole(host)
    }
    this.requests.pieceVerified(piece, wasWanted)
    if (wasWanted && ctx.complete) this.completed()
  }

  /**
   * Piece priorities changed (`wantedMissing` already recounted): completes when the last
   * wanted pieces were just skipped, or downloads again when missing pieces became wanted.
   */
  prioritiesChanged(wasComplete: boolean): void {
    const { ctx } = this
    this.requests.prioritiesChanged()
    if (!wasComplete && ctx.complete) this.completed()
  }

  /** Bans `host` for the torrent's lifetime and closes its connections. */
  ban(host: string, reason: string): void {
    const { ctx } = this
    ctx.reputation.ban(host, reason)
    ctx.candidates.removeHost(host)
    let address: Address = { host, port: 0 }
    for (const peer of [...ctx.peers.values()]) {
      if (peer.remote.host !== host) continue
      address = peer.address
      ctx.close(peer, 'banned', false)
    }
    ctx.emit({ type: 'peer_banned', address, reason })
  }

  /**
   * Block hashes named the bad blocks of a failed piece: only they are downloaded again, and
   * only their senders are blamed, each as the sole cause of a failure (the proof is theirs
   * alone); the peers whose blocks were good are not suspects.
   */
  blocksFailed(piece: number, blocks: readonly number[]): void {
    const { ctx } = this
    const senders = ctx.picker.blocksFailed(piece, blocks)
    this.onPieceFailed(senders)
    const blamed: Address[] = []
    for (const id of senders) {
      const address = this.addressOf(id)
      if (address !== undefined && !blamed.some((a) => a.host === address.host)) {
        blamed.push(address)
      }
    }
    ctx.emit({ type: 'piece_failed', piece, blamed, badBlocks: blocks.length })
    for (const address of blamed) {
      const reason = ctx.reputation.pieceFailed(address.host, true)
      if (reason !== undefined) this.ban(address.host, reason)
      else this.updateParole(address.host)
    }
    this.requests.kickStarved()
  }

  /** The failed piece is downloaded again whole; every contributor is a suspect. */
  pieceFailed(piece: number): void {
    const { ctx } = this
    const blamed: Address[] = []
    const contributors = ctx.picker.pieceFailed(piece)
    this.onPieceFailed(contributors)
    for (const id of contributors) {
      const address = this.addressOf(id)
      if (address !== undefined && !blamed.some((a) => a.host === address.host)) {
        blamed.push(address)
      }
    }
    ctx.emit({ type: 'piece_failed', piece, blamed })
    // Blocks a host delivered before we banned it are still in partial pieces: when such a
    // piece fails, the banned host explains it, and its co-contributors are not suspects.
    if (blamed.some((a) => ctx.reputation.isBanned(a.host))) return this.requests.kickStarved()
    for (const address of blamed) {
      const reason = ctx.reputation.pieceFailed(address.host, blamed.length === 1)
      if (reason !== undefined) this.ban(address.host, reason)
      else this.updateParole(address.host)
    }
    this.requests.kickStarved()
  }

  /** Copies the host's parole state onto its connections. O(peers), on changes only. */
  updateParole(host: string): void {
    const onParole = this.ctx.reputation.isOnParole(host)
    for (const peer of this.ctx.peers.values()) {
      if (peer.remote.host === host) peer.onParole = onParole
    }
  }

  /**
   * Every wanted piece is verified. Requests still out (for pieces skipped meanwhile) are
   * released; seeds have nothing more for us (nor we for them when we have everything).
   */
  private completed(): void {
    const { ctx } = this
    ctx.emit({ type: 'download_completed' })
    for (const peer of [...ctx.peers.values()]) {
      if (peer.phase !== 'open') continue
      if (peer.isSeed) ctx.close(peer, 'both_seeds')
    }
    this.requests.stopDownloading()
  }

  private written(length: number): void {
    const { ctx } = this
    ctx.pendingWriteBytes -= length
    assert(ctx.pendingWriteBytes >= 0, 'more bytes written than handed to storage')
    if (this.readingPaused && ctx.pendingWriteBytes <= ctx.config.writeQueueBytesMax / 2) {
      this.setReading(true)
    }
  }

  /** Pauses or resumes reading on every connection. O(peers), only on transitions. */
  private setReading(on: boolean): void {
    const { ctx } = this
    this.readingPaused = !on
    for (const peer of ctx.peers.values()) this.applyReading(peer)
  }

  /** Brings one connection in line with the swarm-wide reading state (new ones too). */
  applyReading(peer: Peer): void {
    if (peer.phase === 'connecting' || peer.phase === 'closed') return
    if (peer.readingPaused === this.readingPaused) return
    peer.readingPaused = this.readingPaused
    const type = this.readingPaused ? 'pause_reading' : 'resume_reading'
    this.ctx.output({ type, connection: peer.id })
  }

  private addressOf(id: number): Address | undefined {
    return this.ctx.peers.get(id as ConnectionId)?.address ?? this.ctx.departed.get(id)
  }
}
