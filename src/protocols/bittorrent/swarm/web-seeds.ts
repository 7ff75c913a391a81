/**
 * Web seeds (BEP 19) as download sources of the swarm core: each one has a picker id of its
 * own (allocated like a connection id, so it never names a connection) and takes blocks from
 * the same picker as the peers, so a web seed and the peers never fetch the same block
 * outside endgame, and its blocks go through the same `write_block` -> `verify_piece` path.
 * libtorrent likewise runs a web seed as a peer connection with a request queue.
 *
 * A web seed is not in the picker's availability counts: those describe connected peers (the
 * rarest-first order and `checkAvailability` rely on that), and a web seed that has every
 * piece would only flatten them. Picking takes the seed's "has" explicitly (all pieces).
 *
 * The HTTP side (which URL, Range requests, back-off) is the driver's and `webseed/`'s; this
 * module only answers "which blocks next", takes the bytes, and reports bad pieces.
 */
import { Bitfield, type Block } from '../picker/index.js'
import type { SwarmContext } from './context.js'

export interface WebSeedHooks {
  /** An accepted block of `piece` from the source went to storage (blame bookkeeping). */
  accepted(contributor: { readonly pickerId: number }, piece: number): void
  /** Peers that still had the block requested get `cancel` (an endgame duplicate). */
  cancel(peerId: number, piece: number, begin: number): void
  /** Blocks went back to missing: starving peers may take them. */
  released(): void
}

export class WebSeedSources {
  /** Live sources by picker id; a banned or removed source leaves this map. */
  private readonly sources = new Set<number>()
  /** Sources banned by a failed piece, for the driver to see (`isBanned`). */
  private readonly banned = new Set<number>()
  private readonly everything: Bitfield
  private readonly ref = { piece: 0, begin: 0 }

  constructor(
    private readonly ctx: SwarmContext,
    private readonly hooks: WebSeedHooks,
  ) {
    this.everything = Bitfield.full(ctx.pieceCount)
  }

  /** A new source; returns its id for the other calls. */
  add(): number {
    const id = this.ctx.allocateConnection() as number
    this.sources.add(id)
    return id
  }

  /** Web seeds attached (banned ones included until removed). */
  get count(): number {
    return this.sources.size
  }

  isBanned(id: number): boolean {
    return this.banned.has(id)
  }

  /**
   * Up to `count` blocks for the source to fetch, marked requested by it in the picker (the
   * caller must deliver them or `release` them). Empty when the download needs nothing.
   */
  pick(id: number, count: number): Block[] {
    const { ctx } = this
    if (!this.sources.has(id) || !ctx.downloading || count < 1) return []
    return ctx.picker.pickBlocks(id, this.everything, count, {
      sequential: ctx.config.sequential === true,
    })
  }

  /**
   * A block the source fetched. Returns whether it was kept (false: a duplicate, a block no
   * longer requested, or the source is gone). `bytes` must not change until written.
   */
  block(id: number, piece: number, begin: number, bytes: Uint8Array): boolean {
    const { ctx } = this
    if (!this.sources.has(id) || !ctx.downloading) return false
    this.ref.piece = piece
    this.ref.begin = begin
    const result = ctx.picker.blockReceived(id, this.ref)
    for (const other of result.cancel) this.hooks.cancel(other, piece, begin)
    if (!result.accepted) return false
    ctx.downloadedBytes += bytes.length
    ctx.downloadMeter.add(ctx.now, bytes.length)
    ctx.pendingWriteBytes += bytes.length
    ctx.emit({ type: 'write_block', piece, begin, bytes })
    this.hooks.accepted({ pickerId: id }, piece)
    return true
  }

  /** Blocks the source will not deliver (a failed fetch): they may be picked again. */
  release(id: number, blocks: readonly Block[]): void {
    let released = 0
    for (const block of blocks) {
      if (this.ctx.picker.blockRequestCancelled(id, block)) released++
    }
    if (released > 0) this.hooks.released()
  }

  /** The source is dropped (gave up, or the driver closes): its requests return to missing. */
  remove(id: number): void {
    if (!this.sources.delete(id)) return
    if (this.ctx.picker.peerGone(id) > 0) this.hooks.released()
  }

  /**
   * A piece failed its hash check with these contributors (picker ids). A web seed among
   * them is banned: a server that sent wrong bytes once will send them again (libtorrent
   * drops such a web seed too). Returns the ids banned.
   */
  pieceFailed(contributors: readonly number[]): number[] {
    const banned: number[] = []
    for (const id of contributors) {
      if (!this.sources.has(id)) continue
      this.remove(id)
      this.banned.add(id)
      banned.push(id)
    }
    return banned
  }

  /** Whether `id` names a web seed source (live or banned). */
  owns(id: number): boolean {
    return this.sources.has(id) || this.banned.has(id)
  }
}
