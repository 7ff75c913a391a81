/**
 * BEP 52 block hashes (base layer 0): finding the bad 16 KiB blocks of a failed v2 piece, and
 * answering peers that ask us the same of a piece we have.
 *
 * Narrowing a failed piece (libtorrent 2.0's `verify_block_hashes`): instead of dropping the
 * whole piece, the swarm keeps it aside (the picker holds it in its hashing state, so nothing
 * of it is requested) and asks for two lists of leaves: the hashes of the blocks we stored
 * (the driver reads the piece back: `hash_blocks` -> `SwarmCore.pieceBlockHashes`), and the
 * block hashes from one v2 peer that has the piece, which must hash up to the piece hash we
 * already know (a peer cannot lie about them). The leaves that differ are the bad blocks: only
 * they are downloaded again, and only their senders are blamed. Whenever that cannot be done
 * (no v2 peer has the piece, every one refused or let `BLOCK_HASH_TIMEOUT` pass, our read
 * failed, or every block matches: a hybrid whose SHA-1 disagrees with its merkle tree), the
 * piece fails whole as before.
 *
 * Serving: a request below the piece layer under one piece we have is answered from that
 * piece's blocks read back from disk, once they hash up to the piece hash (a piece that
 * changed on disk is refused, never served as proof); the uncles above the piece come from
 * the file's piece tree. Requests wait for the read in a bounded queue; past it, or for a
 * piece we lack, the answer is `hash reject`.
 *
 * States of a narrowing: asking (one peer at a time; a reject, a departure or the timeout moves
 * on to the next v2 peer that has the piece, never one asked before) and reading (ours), in
 * either order; done when both lists are in. Invariants: at most one narrowing per piece;
 * a piece being narrowed is in the picker's hashing state until it is resolved.
 */
import { equalBytes } from '../../../core/bytes.js'
import { elapsed, seconds, type Instant } from '../../../core/time.js'
import {
  answerFromBlocks,
  blockLayerRequest,
  blockRangePiece,
  leavesProvePiece,
  MERKLE_BLOCK_BYTES,
  pieceRootLayer,
  pieceSubtree,
  splitHashes,
  treeShape,
  type HashRange,
  type PieceTree,
  type TreeShape,
} from '../merkle/index.js'
import { v2PieceOf, type V2Piece } from '../metainfo/index.js'
import {
  encodeHashes,
  encodeHashRequest,
  HASH_REJECT_ID,
  HASH_REQUEST_ID,
  HASHES_ID,
  type HashRequest,
  type Hashes,
} from '../wire/hash-messages.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'

/** How long one peer may take to answer our block-hash request before another is asked. */
export const BLOCK_HASH_TIMEOUT = seconds(10)
/** Block-hash requests from peers waiting for a read (libtorrent asks one per failed piece). */
export const SERVE_QUEUE_MAX = 64

export interface BlockHashOutcomes {
  /** The bad blocks of `piece` (picker block indices) are known: re-request those only. */
  blocksBad(piece: number, blocks: readonly number[]): void
  /** No narrowing possible: the piece fails whole. */
  pieceBad(piece: number): void
}

interface Narrowing {
  readonly piece: number
  readonly v2: V2Piece & { readonly expected: Uint8Array }
  readonly shape: TreeShape
  readonly request: HashRequest
  /** Picker ids of the peers that delivered its blocks: asked last (they may be the culprits). */
  readonly contributors: ReadonlySet<number>
  ours: Uint8Array[] | undefined
  theirs: Uint8Array[] | undefined
  askedOf: Peer | undefined
  askedAt: Instant
  readonly asked: Set<Peer>
}

interface WaitingRequest {
  readonly peer: Peer
  readonly request: HashRequest
  readonly shape: TreeShape
  readonly tree: PieceTree | undefined
}

export interface BlockHashStats {
  /** Failed pieces narrowed down to their bad blocks. */
  narrowed: number
  /** Failed pieces that could not be narrowed, and failed whole. */
  unnarrowed: number
  /** Blocks downloaded again because their hash differed. */
  blocksBad: number
  /** Block-hash requests we answered / refused. */
  served: number
  refused: number
}

export class BlockHashes {
  readonly stats: BlockHashStats = {
    narrowed: 0,
    unnarrowed: 0,
    blocksBad: 0,
    served: 0,
    refused: 0,
  }
  private readonly narrowing = new Map<number, Narrowing>()
  private readonly waiting = new Map<number, WaitingRequest[]>()
  private waitingCount = 0
  /** Pieces whose blocks the driver is reading for us (one `hash_blocks` per piece at a time). */
  private readonly reading = new Set<number>()

  constructor(
    private readonly ctx: SwarmContext,
    private readonly outcomes: BlockHashOutcomes,
  ) {}

  /**
   * Piece `piece` failed its hash. Returns true when it is being narrowed down (its outcome
   * comes later through `outcomes`), false when it must fail whole now.
   */
  pieceFailed(piece: number, contributors: readonly number[]): boolean {
    const v2 = this.v2PieceOf(piece)
    if (v2 === undefined || this.ctx.sha256 === undefined || this.narrowing.has(piece)) return false
    const root = this.ctx.metainfo.files[v2.fileIndex]?.piecesRoot
    if (root === undefined) return false
    const shape = treeShape(v2.fileLength, this.ctx.metainfo.pieceLength)
    const range = blockLayerRequest(shape, v2.pieceInFile)
    if (range === undefined || v2.dataLength <= MERKLE_BLOCK_BYTES) return false
    const narrowing: Narrowing = {
      piece,
      v2,
      shape,
      request: { piecesRoot: root, ...range },
      contributors: new Set(contributors),
      ours: undefined,
      theirs: undefined,
      askedOf: undefined,
      askedAt: this.ctx.now,
      asked: new Set(),
    }
    if (!this.askNext(narrowing)) return false
    this.narrowing.set(piece, narrowing)
    this.read(piece)
    return true
  }

  /** Whether piece `piece` is set aside while its bad blocks are looked for. */
  isNarrowing(piece: number): boolean {
    return this.narrowing.has(piece)
  }

  /**
   * A peer's hash request below the piece layer. Returns false when it is not one (the caller
   * handles it); otherwise it is answered now, later (after a read), or rejected.
   */
  onRequest(
    peer: Peer,
    request: HashRequest,
    shape: TreeShape,
    tree: PieceTree | undefined,
    firstPiece: number,
  ): boolean {
    if (request.baseLayer >= pieceRootLayer(shape)) return false
    const pieceInFile = blockRangePiece(shape, request)
    const piece = pieceInFile === undefined ? undefined : firstPiece + pieceInFile
    if (
      piece === undefined ||
      !this.ctx.picker.hasPiece(piece) ||
      (shape.height > shape.pieceLayer && tree === undefined) ||
      this.waitingCount >= SERVE_QUEUE_MAX
    ) {
      this.reject(peer, request)
      return true
    }
    let list = this.waiting.get(piece)
    if (list === undefined) {
      list = []
      this.waiting.set(piece, list)
    }
    list.push({ peer, request, shape, tree })
    this.waitingCount++
    this.read(piece)
    return true
  }

  /** `hashes` from `peer`: true when it answers our block-hash request (used or a fault). */
  onHashes(peer: Peer, message: Hashes): boolean {
    const narrowing = this.askedOf(peer, message)
    if (narrowing === undefined) return false
    const sha256 = this.ctx.sha256
    if (sha256 === undefined) return true
    const { request, v2 } = narrowing
    if (!leavesProvePiece(message.hashes, request.length, v2.expected, { sha256 })) {
      narrowing.askedOf = undefined
      this.ctx.fault(peer, 'malformed', 'block hashes that do not prove their piece')
      this.moveOn(narrowing)
      return true
    }
    narrowing.askedOf = undefined
    narrowing.theirs = splitHashes(message.hashes.slice())
    this.conclude(narrowing)
    return true
  }

  /** `hash reject` from `peer`: true when it refuses our block-hash request. */
  onReject(peer: Peer, request: HashRequest): boolean {
    const narrowing = this.askedOf(peer, request)
    if (narrowing === undefined) return false
    narrowing.askedOf = undefined
    this.moveOn(narrowing)
    return true
  }

  /**
   * The driver's answer to `hash_blocks`: the SHA-256 of each 16 KiB block of the file's bytes
   * in the piece, as stored; undefined when the read failed.
   */
  blocksRead(piece: number, leaves: readonly Uint8Array[] | undefined): void {
    if (!this.reading.delete(piece)) return
    this.serveWaiting(piece, leaves)
    const narrowing = this.narrowing.get(piece)
    if (narrowing === undefined) return
    if (leaves === undefined || leaves.length === 0) return this.giveUp(narrowing)
    narrowing.ours = [...leaves]
    this.conclude(narrowing)
  }

  /** A peer left: whatever it was asked goes to another. */
  peerLeft(peer: Peer): void {
    for (const narrowing of [...this.narrowing.values()]) {
      if (narrowing.askedOf !== peer) continue
      narrowing.askedOf = undefined
      this.moveOn(narrowing)
    }
    for (const [piece, list] of this.waiting) {
      const kept = list.filter((entry) => entry.peer !== peer)
      this.waitingCount -= list.length - kept.length
      if (kept.length === 0) this.waiting.delete(piece)
      else this.waiting.set(piece, kept)
    }
  }

  /** Once a second: a peer that let the timeout pass is given up on for this piece. */
  tick(): void {
    for (const narrowing of [...this.narrowing.values()]) {
      if (narrowing.askedOf === undefined) continue
      if (elapsed(narrowing.askedAt, this.ctx.now) < BLOCK_HASH_TIMEOUT) continue
      narrowing.askedOf = undefined
      this.moveOn(narrowing)
    }
  }

  private conclude(narrowing: Narrowing): void {
    const { ours, theirs, piece, v2 } = narrowing
    if (ours === undefined || theirs === undefined) return
    this.narrowing.delete(piece)
    const badLeaves: number[] = []
    for (let leaf = 0; leaf < ours.length; leaf++) {
      const expected = theirs[leaf]
      if (expected === undefined || !equalBytes(ours[leaf] as Uint8Array, expected)) {
        badLeaves.push(leaf)
      }
    }
    if (badLeaves.length === 0) return this.giveUp(narrowing)
    // Picker blocks may be smaller or larger than the 16 KiB leaves: reset every one a bad leaf
    // overlaps.
    const blockLength = this.ctx.geometry.blockLength
    const blocks = new Set<number>()
    for (const leaf of badLeaves) {
      const start = leaf * MERKLE_BLOCK_BYTES
      const end = Math.min(start + MERKLE_BLOCK_BYTES, v2.dataLength)
      for (let block = Math.floor(start / blockLength); block * blockLength < end; block++) {
        blocks.add(block)
      }
    }
    this.stats.narrowed++
    this.stats.blocksBad += badLeaves.length
    this.outcomes.blocksBad(
      piece,
      [...blocks].sort((a, b) => a - b),
    )
  }

  /** Asks the next peer, or gives up when none is left. */
  private moveOn(narrowing: Narrowing): void {
    if (!this.narrowing.has(narrowing.piece)) return
    if (!this.askNext(narrowing)) this.giveUp(narrowing)
  }

  private giveUp(narrowing: Narrowing): void {
    this.narrowing.delete(narrowing.piece)
    this.stats.unnarrowed++
    this.outcomes.pieceBad(narrowing.piece)
  }

  /** Sends the request to a v2 peer that has the piece and was not asked yet. */
  private askNext(narrowing: Narrowing): boolean {
    let chosen: Peer | undefined
    for (const peer of this.ctx.peers.values()) {
      if (peer.phase !== 'open' || !peer.v2 || narrowing.asked.has(peer)) continue
      if (!peer.has.get(narrowing.piece)) continue
      const better =
        chosen === undefined ||
        (narrowing.contributors.has(chosen.pickerId) && !narrowing.contributors.has(peer.pickerId))
      if (better) chosen = peer
    }
    if (chosen === undefined) return false
    narrowing.asked.add(chosen)
    narrowing.askedOf = chosen
    narrowing.askedAt = this.ctx.now
    this.ctx.send(chosen, {
      type: 'unknown',
      id: HASH_REQUEST_ID,
      payload: encodeHashRequest(narrowing.request),
    })
    return true
  }

  private askedOf(peer: Peer, message: HashRequest): Narrowing | undefined {
    for (const narrowing of this.narrowing.values()) {
      if (narrowing.askedOf !== peer) continue
      const { request } = narrowing
      if (equalBytes(request.piecesRoot, message.piecesRoot) && sameRange(request, message)) {
        return narrowing
      }
    }
    return undefined
  }

  private serveWaiting(piece: number, leaves: readonly Uint8Array[] | undefined): void {
    const list = this.waiting.get(piece)
    if (list === undefined) return
    this.waiting.delete(piece)
    this.waitingCount -= list.length
    const sha256 = this.ctx.sha256
    const expected = this.v2PieceOf(piece)?.expected
    for (const { peer, request, shape, tree } of list) {
      if (peer.phase !== 'open') continue
      const subtree =
        leaves === undefined || leaves.length === 0 || sha256 === undefined
          ? undefined
          : pieceSubtree(shape, leaves, { sha256 })
      const top = subtree?.[subtree.length - 1]?.[0]
      if (subtree === undefined || top === undefined || expected === undefined) {
        this.reject(peer, request)
        continue
      }
      if (!equalBytes(top, expected)) {
        this.reject(peer, request)
        continue
      }
      this.stats.served++
      const hashes = answerFromBlocks(shape, request, subtree, tree)
      this.ctx.send(peer, {
        type: 'unknown',
        id: HASHES_ID,
        payload: encodeHashes({ ...request, hashes }),
      })
    }
  }

  private reject(peer: Peer, request: HashRequest): void {
    this.stats.refused++
    this.ctx.send(peer, {
      type: 'unknown',
      id: HASH_REJECT_ID,
      payload: encodeHashRequest(request),
    })
  }

  /** Asks the driver for the block hashes of `piece`, unless a read is already out. */
  private read(piece: number): void {
    if (this.reading.has(piece)) return
    this.reading.add(piece)
    this.ctx.emit({ type: 'hash_blocks', piece })
  }

  /** The piece's v2 view with its expected hash, from the .torrent's layers or fetched ones. */
  private v2PieceOf(piece: number): (V2Piece & { readonly expected: Uint8Array }) | undefined {
    const m = this.ctx.metainfo
    if (m.version === 'v1') return undefined
    let v2 = v2PieceOf(m, piece)
    const store = this.ctx.pieceLayerStore
    if (v2 !== undefined && v2.expected === undefined && store !== undefined) {
      v2 = v2PieceOf(m, piece, store)
    }
    const expected = v2?.expected
    return v2 === undefined || expected === undefined ? undefined : { ...v2, expected }
  }
}

const sameRange = (a: HashRange, b: HashRange): boolean =>
  a.baseLayer === b.baseLayer &&
  a.index === b.index &&
  a.length === b.length &&
  a.proofLayers === b.proofLayers
