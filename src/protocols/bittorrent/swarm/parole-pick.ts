/**
 * Request picking for a peer on parole (smart ban: a peer that sent data of a piece that failed
 * its hash downloads only pieces nobody else touches, so the next hash result is its alone).
 */
import { PIECE_NONE, type Block } from '../picker/index.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'

/** Whole pieces a parole peer may take per refill (it may overshoot its target by one). */
const PAROLE_PIECES_PER_REFILL_MAX = 8

/**
 * Parole: whole untouched pieces, each requested in full at once, so no other peer joins
 * them (the picker only shares pieces with missing blocks, and endgame is off here) and
 * their hash result is the peer's alone. Empty when there is no untouched piece it has:
 * then it picks normally, so a piece only a parole peer has still completes.
 */
export function pickParole(ctx: SwarmContext, peer: Peer, want: number): Block[] {
  const { picker, geometry } = ctx
  const out: Block[] = []
  for (let round = 0; out.length < want && round < PAROLE_PIECES_PER_REFILL_MAX; round++) {
    const piece = untouchedPiece(ctx, peer)
    if (piece === -1) break
    const count = geometry.blocksInPiece(piece)
    out.push(
      ...picker.pickBlocks(peer.pickerId, peer.has, count, {
        onlyPieces: [piece],
        endgame: false,
        sequential: ctx.config.sequential === true,
      }),
    )
  }
  return out
}

/** An untouched piece the peer has and may be asked for now, or -1. O(pieces) at worst. */
function untouchedPiece(ctx: SwarmContext, peer: Peer): number {
  const { picker, pieceCount } = ctx
  const has = peer.has
  let piece = has.nextSet(peer.paroleCursor)
  for (let scanned = 0; scanned <= pieceCount; scanned++) {
    if (piece === -1) piece = has.nextSet(0)
    if (piece === -1) return -1
    const allowed = !peer.peerChoking || peer.allowedFastIn.has(piece)
    if (allowed && picker.pieceState(piece) === PIECE_NONE && picker.piecePriority(piece) > 0) {
      peer.paroleCursor = piece + 1
      return piece
    }
    piece = has.nextSet(piece + 1)
  }
  return -1
}
