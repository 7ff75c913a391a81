import type { Random } from '../../../core/random.js'
import type { Bitfield } from './bitfield.js'
import { PIECE_NONE, PIECE_PARTIAL, type Downloads } from './downloads.js'
import type { Block } from './geometry.js'
import { BLOCK_REQUESTED, type PartialPiece } from './partial-piece.js'
import { PRIORITY_SKIP, PRIORITY_TOP, type PieceOrder } from './piece-order.js'

/**
 * Which blocks to request from one peer, among the pieces it has:
 * 1. Priority first: no piece is taken while a higher-priority piece the peer has is wanted.
 * 2. Within a level, rarest first, as libtorrent's picker: a partial piece (fewest peers
 *    have it first) is continued unless the peer has an untouched piece that fewer peers
 *    have; among equally rare pieces the partial one wins, so pieces complete, verify and
 *    become tradeable quickly. Once `partialPiecesMax` pieces are partial, or while fewer
 *    than `randomFirstPieces` are verified, or in sequential mode (lowest index), partial
 *    pieces come first whatever their rarity (libtorrent's `prioritize_partials`, which it
 *    turns on past 1.5 partial pieces per peer). Continuing partials regardless of rarity
 *    spends a seed's upload on pieces the leechers already trade among themselves: every
 *    leecher finishes the common pieces from the seed while the rare ones wait.
 * 3. Then a new piece: at random while fewer than `randomFirstPieces` are verified (a new
 *    peer needs something to trade soon, and the rarest piece is the slowest to get), the
 *    rarest with random tie-breaking afterwards, or the lowest index in sequential mode.
 * 4. Endgame, only when no wanted block is missing anywhere (libtorrent's strict end-game
 *    mode; as there, a wanted piece that no connected peer has keeps endgame off): blocks
 *    already requested from other peers, fewest requesters first, up to
 *    `Downloads.slots` outstanding requests per block. libtorrent sets no per-block cap but
 *    lets a peer take one busy block only when its queue is empty; a fixed cap keeps the
 *    duplicate traffic bounded whatever queue depth the core uses.
 * Picked blocks are marked requested by the peer at once, so the caller must send them or
 * report them cancelled.
 *
 * Cost per call: O(open partial pieces) per piece touched, plus, for a new piece, O(1)
 * expected when the peer has most pieces (see `PieceOrder.findRarest`); never a pass over
 * all pieces per block in the common case. Endgame picks walk the partial pieces' blocks,
 * which is fine for the few pieces left at the end.
 */
export interface PickOptions {
  /** Lowest index first (streaming) instead of random-first and rarest-first. */
  readonly sequential?: boolean
  /** Only these pieces: BEP 6 allowed-fast pieces while the peer chokes us. */
  readonly onlyPieces?: readonly number[]
  /** Whether endgame duplicates may be returned (default true). */
  readonly endgame?: boolean
  /**
   * With this many partial pieces or more, partial pieces come first whatever their rarity
   * (default: no limit). The swarm passes 1.5 per connected peer, as libtorrent does.
   */
  readonly partialPiecesMax?: number
  /**
   * When the peer has no free block we want (every block of its wanted pieces is requested
   * elsewhere or here), take blocks that exactly one other peer has requested, last blocks of
   * a piece first (default false). The peer unchoked us and would otherwise sit idle; the
   * blocks at the end of a piece are the ones its other source reaches last, so whichever
   * delivers first gets the other cancelled before it is sent, as two sources work a piece
   * from both ends. At most `SHARED_BLOCKS_MAX` per call; the duplicate cap (`Downloads.slots`)
   * applies as in endgame.
   */
  readonly shareBusy?: boolean
}

export interface PickContext {
  readonly order: PieceOrder
  readonly downloads: Downloads
  readonly random: Random
  readonly randomFirstPieces: number
  /** Starts an untouched piece, keeping `order` and `downloads` in step. */
  start(piece: number): PartialPiece
}

/**
 * Busy blocks one `shareBusy` pick takes: enough to keep a round trip of a slot busy, few
 * enough that the copies crossing the other source's deliveries stay rare.
 */
const SHARED_BLOCKS_MAX = 4

/** Partial pieces allowed before they come first whatever their rarity, however few peers. */
const PARTIAL_PIECES_MIN = 4

/** libtorrent's limit: past 1.5 partial pieces per connected peer, partial pieces come first. */
export const partialPiecesLimit = (peers: number): number =>
  Math.max(PARTIAL_PIECES_MIN, Math.ceil(1.5 * peers))

export function pickBlocks(
  ctx: PickContext,
  peer: number,
  has: Bitfield,
  count: number,
  options: PickOptions = {},
): Block[] {
  const out: Block[] = []
  if (count <= 0) return out
  const sequential = options.sequential === true
  const only = options.onlyPieces === undefined ? undefined : new Set(options.onlyPieces)
  const partialsFirst =
    sequential ||
    ctx.downloads.have.count < ctx.randomFirstPieces ||
    ctx.downloads.partialCount >= (options.partialPiecesMax ?? Number.POSITIVE_INFINITY)
  if (only === undefined) pickNormal(ctx, peer, has, count, sequential, partialsFirst, out)
  else pickAllowed(ctx, peer, has, count, [...only], sequential, out)
  if (out.length < count && options.endgame !== false && inEndgame(ctx.order, ctx.downloads)) {
    pickEndgame(ctx.order, ctx.downloads, peer, has, count, only, out)
  }
  if (out.length === 0 && options.shareBusy === true && ctx.downloads.slots > 1) {
    pickShared(ctx.order, ctx.downloads, peer, has, Math.min(count, SHARED_BLOCKS_MAX), only, out)
  }
  return out
}

/** True when every wanted block is requested, received or verified. O(open pieces). */
export function inEndgame(order: PieceOrder, downloads: Downloads): boolean {
  if (order.size > 0) return false
  for (const piece of downloads.openPieces()) {
    if (order.priority(piece) !== PRIORITY_SKIP) return false
  }
  return true
}

function pickNormal(
  ctx: PickContext,
  peer: number,
  has: Bitfield,
  count: number,
  sequential: boolean,
  partialsFirst: boolean,
  out: Block[],
): void {
  // Each round either finishes taking an open partial piece or starts a new one.
  while (out.length < count) {
    const partial = bestOpenPartial(ctx, has, sequential)
    const fresh = freshPiece(ctx, has, partial, sequential, partialsFirst)
    if (fresh !== -1) takeMissing(ctx.downloads, peer, ctx.start(fresh), count, out)
    else if (partial !== -1) {
      takeMissing(ctx.downloads, peer, ctx.downloads.partial(partial) as PartialPiece, count, out)
    } else return
  }
}

/** The open partial piece the peer has that comes first in the policy order, or -1. */
function bestOpenPartial(ctx: PickContext, has: Bitfield, sequential: boolean): number {
  const { order } = ctx
  let best = -1
  for (const piece of ctx.downloads.openPieces()) {
    if (order.priority(piece) === PRIORITY_SKIP || !has.get(piece)) continue
    if (best === -1 || before(order, piece, best, sequential)) best = piece
  }
  return best
}

function before(order: PieceOrder, a: number, b: number, sequential: boolean): boolean {
  const byPriority = order.priority(b) - order.priority(a)
  if (byPriority !== 0) return byPriority < 0
  if (!sequential) {
    const byRarity = order.availability(a) - order.availability(b)
    if (byRarity !== 0) return byRarity < 0
  }
  return a < b
}

/**
 * An untouched piece to start instead of continuing `partial`: one of a higher priority
 * level; in sequential mode, one of the same level with a lower index; otherwise, unless
 * partials come first, a strictly rarer one of the same level. -1 if none.
 */
function freshPiece(
  ctx: PickContext,
  has: Bitfield,
  partial: number,
  sequential: boolean,
  partialsFirst: boolean,
): number {
  const { order, random } = ctx
  const floor = partial === -1 ? PRIORITY_SKIP + 1 : order.priority(partial)
  const randomFirst = ctx.downloads.have.count < ctx.randomFirstPieces
  for (let level = PRIORITY_TOP; level >= floor; level--) {
    const sameLevel = partial !== -1 && level === floor
    if (sameLevel && !sequential) {
      if (partialsFirst) break
      const rarest = order.findRarest(level, has, random)
      return rarest !== -1 && order.availability(rarest) < order.availability(partial) ? rarest : -1
    }
    const found = sequential
      ? order.findFirst(level, sameLevel ? partial : order.pieceCount, has)
      : randomFirst
        ? order.findRandom(level, has, random)
        : order.findRarest(level, has, random)
    if (found !== -1) return found
  }
  return -1
}

function takeMissing(
  downloads: Downloads,
  peer: number,
  partial: PartialPiece,
  count: number,
  out: Block[],
): void {
  for (let index = partial.nextMissing(); index !== -1 && out.length < count;) {
    downloads.request(peer, partial, index, out)
    index = partial.nextMissing(index + 1)
  }
}

/** Allowed-fast: the same order, restricted to a small set of pieces. O(set log set). */
function pickAllowed(
  ctx: PickContext,
  peer: number,
  has: Bitfield,
  count: number,
  only: number[],
  sequential: boolean,
  out: Block[],
): void {
  const { order, downloads } = ctx
  const pickable = only.filter((piece) => {
    if (!Number.isInteger(piece) || piece < 0 || piece >= order.pieceCount) return false
    if (!has.get(piece) || order.priority(piece) === PRIORITY_SKIP) return false
    const state = downloads.state(piece)
    return state === PIECE_NONE || (downloads.partial(piece)?.missing ?? 0) > 0
  })
  const started = (piece: number): number => (downloads.state(piece) === PIECE_PARTIAL ? 0 : 1)
  pickable.sort((a, b) => {
    if (order.priority(a) !== order.priority(b)) return order.priority(b) - order.priority(a)
    if (started(a) !== started(b)) return started(a) - started(b)
    return before(order, a, b, sequential) ? -1 : 1
  })
  for (const piece of pickable) {
    if (out.length >= count) return
    const partial = downloads.partial(piece) ?? ctx.start(piece)
    takeMissing(downloads, peer, partial, count, out)
  }
}

/** Duplicates of requested blocks, fewest requesters first. O(partial pieces * blocks). */
function pickEndgame(
  order: PieceOrder,
  downloads: Downloads,
  peer: number,
  has: Bitfield,
  count: number,
  only: ReadonlySet<number> | undefined,
  out: Block[],
): void {
  for (let requesters = 1; requesters < downloads.slots; requesters++) {
    for (const partial of downloads.partialPieces()) {
      const piece = partial.piece
      if (downloads.state(piece) !== PIECE_PARTIAL || !has.get(piece)) continue
      if (order.priority(piece) === PRIORITY_SKIP || (only !== undefined && !only.has(piece))) {
        continue
      }
      for (let index = 0; index < partial.blockCount; index++) {
        if (partial.state(index) !== BLOCK_REQUESTED) continue
        if (partial.requesterCount(index) !== requesters || partial.hasRequester(index, peer)) {
          continue
        }
        downloads.request(peer, partial, index, out)
        if (out.length >= count) return
      }
    }
  }
}

/**
 * Blocks one other peer has requested, from the end of each piece, oldest partial piece first
 * (the closest to completion, so to being tradeable). O(partial pieces) when the tails are
 * requested, as they are while a piece is being fetched; O(their blocks) at worst.
 */
function pickShared(
  order: PieceOrder,
  downloads: Downloads,
  peer: number,
  has: Bitfield,
  count: number,
  only: ReadonlySet<number> | undefined,
  out: Block[],
): void {
  for (const partial of downloads.partialPieces()) {
    const piece = partial.piece
    if (downloads.state(piece) !== PIECE_PARTIAL || !has.get(piece)) continue
    if (order.priority(piece) === PRIORITY_SKIP || (only !== undefined && !only.has(piece))) {
      continue
    }
    for (let index = partial.blockCount - 1; index >= 0; index--) {
      const state = partial.state(index)
      if (state !== BLOCK_REQUESTED) continue
      if (partial.requesterCount(index) !== 1 || partial.hasRequester(index, peer)) continue
      downloads.request(peer, partial, index, out)
      if (out.length >= count) return
    }
  }
}
