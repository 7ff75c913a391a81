/**
 * BEP 52 hash transfer (`hash request` 21, `hashes` 22, `hash reject` 23) for v2 torrents.
 *
 * Serving: a peer that lacks a file's piece layer (it joined by magnet, whose info dictionary
 * carries only each file's `pieces root`) asks for it in pieces; we answer from the layers we
 * hold (the .torrent's, or those fetched here) with the nodes and the uncle hashes up to the
 * root (merkle/proof.ts), and reject what we cannot answer: unknown roots, ranges outside the
 * tree. Requests below the piece layer (16 KiB block hashes) and the block-hash requests we
 * send for failed pieces go to `BlockHashes` (block-hashes.ts).
 *
 * Fetching: when we lack layers (a v2 magnet), each file longer than one piece needs its
 * layer, asked for in 512-hash subtrees as libtorrent asks, each with a proof up to the
 * pieces root. An answer is used only once its hashes prove the root: a lying peer is cut
 * off, a rejecting one is not asked that range again. Only v2 peers are asked (`peer.v2`).
 * For a v2-only torrent, until every layer is in, `ctx.layersMissing` is above 0 and the swarm
 * does not download (a piece whose hash is unknown could not be verified, and its senders would
 * be blamed for it). A hybrid downloads meanwhile (from v1-only peers too): its pieces are
 * checked by SHA-1 until their layer arrives, and by both hashes from then on. The layers go
 * into `ctx.pieceLayerStore`, the map the storage's metainfo verifies pieces with.
 *
 * States of a wanted range: pending (not asked) -> asked (one peer, one request in flight)
 * -> done; a reject or a departed peer puts it back to pending. Invariants: a range is asked
 * of at most one peer at a time and never again of a peer that rejected it; a layer enters
 * the store whole and proven, never in part.
 */
import { toHex } from '../../../core/bytes.js'
import {
  answerable,
  MERKLE_HASH_BYTES,
  pieceLayerRequests,
  PieceTree,
  provesRoot,
  treeShape,
  type HashRange,
  type TreeShape,
} from '../merkle/index.js'
import { fileWithRoot } from '../metainfo/parse-v2.js'
import {
  decodeHashes,
  decodeHashRequest,
  encodeHashes,
  encodeHashRequest,
  HASH_REJECT_ID,
  HASH_REQUEST_ID,
  HASHES_ID,
  type HashRequest,
} from '../wire/hash-messages.js'
import type { BlockHashes } from './block-hashes.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'

/** One range of one file's piece layer that we still want. */
interface WantedRange {
  readonly need: LayerNeed
  readonly range: HashRange
  askedOf: Peer | undefined
  done: boolean
  /** Peers that rejected it: not asked again. */
  readonly refusedBy: Set<Peer>
}

/** A file whose piece layer we lack. */
interface LayerNeed {
  readonly root: Uint8Array
  readonly rootHex: string
  readonly shape: TreeShape
  readonly layer: Uint8Array
  remaining: number
}

export interface HashStats {
  served: number
  rejectedByUs: number
  rejectedByPeers: number
  received: number
  /** `hashes` we did not ask for (late answers after a peer's reject, duplicates): ignored. */
  unsolicited: number
}

export class HashExchange {
  readonly stats: HashStats = {
    served: 0,
    rejectedByUs: 0,
    rejectedByPeers: 0,
    received: 0,
    unsolicited: 0,
  }
  /** Trees built from layers we hold, per root, for answering (built on first request). */
  private readonly trees = new Map<string, PieceTree>()
  private readonly wanted: WantedRange[] = []
  /** Files whose layer this exchange fetches. */
  private layersFetching = 0
  /** Of those, the files whose layer is not in yet. */
  private layersLeft = 0
  /** Whether missing layers hold back downloading (v2-only; a hybrid has its SHA-1s). */
  private readonly holdsDownloads: boolean

  constructor(
    private readonly ctx: SwarmContext,
    /** Every layer is in (`files` were fetched): the swarm may download. */
    private readonly layersComplete: (files: number) => void,
    private readonly blocks: BlockHashes,
  ) {
    const { metainfo: m, pieceLayerStore } = ctx
    this.holdsDownloads = m.version === 'v2'
    if (m.version === 'v1' || pieceLayerStore === undefined || ctx.sha256 === undefined) return
    for (const file of m.files) {
      const root = file.piecesRoot
      if (root === undefined || file.pad || file.length <= m.pieceLength) continue
      const rootHex = toHex(root)
      if (pieceLayerStore.has(rootHex)) continue
      const shape = treeShape(file.length, m.pieceLength)
      const ranges = pieceLayerRequests(shape)
      const layer = new Uint8Array(shape.pieces * MERKLE_HASH_BYTES)
      const need: LayerNeed = { root, rootHex, shape, layer, remaining: ranges.length }
      for (const range of ranges) {
        this.wanted.push({ need, range, askedOf: undefined, done: false, refusedBy: new Set() })
      }
      if (this.holdsDownloads) ctx.layersMissing++
      this.layersFetching++
      this.layersLeft++
    }
  }

  /** Handles message ids 21..23; false for any other unknown id. */
  onMessage(peer: Peer, id: number, payload: Uint8Array): boolean {
    if (id === HASH_REQUEST_ID) this.onRequest(peer, payload)
    else if (id === HASHES_ID) this.onHashes(peer, payload)
    else if (id === HASH_REJECT_ID) this.onReject(peer, payload)
    else return false
    return true
  }

  /** The peer said what it has: ask it for the ranges no live peer is answering. */
  peerReady(peer: Peer): void {
    if (this.layersLeft === 0 || peer.phase !== 'open' || !peer.v2) return
    for (const want of this.wanted) {
      if (want.done || want.refusedBy.has(peer)) continue
      if (want.askedOf !== undefined && want.askedOf.phase !== 'closed') continue
      want.askedOf = peer
      this.send(peer, HASH_REQUEST_ID, encodeHashRequest(requestOf(want)))
    }
  }

  private onRequest(peer: Peer, payload: Uint8Array): void {
    const decoded = decodeHashRequest(payload)
    if (!decoded.ok) return this.ctx.fault(peer, 'malformed', `hash request: ${decoded.error}`)
    const request = decoded.value
    const file = this.fileOf(request.piecesRoot)
    const tree = this.treeOf(request.piecesRoot)
    if (file !== undefined) {
      const { shape, firstPiece } = file
      if (this.blocks.onRequest(peer, request, shape, tree, firstPiece)) return
    }
    if (tree === undefined || !answerable(tree.shape, request)) {
      this.stats.rejectedByUs++
      return this.send(peer, HASH_REJECT_ID, encodeHashRequest(request))
    }
    this.stats.served++
    this.send(peer, HASHES_ID, encodeHashes({ ...request, hashes: tree.answer(request) }))
  }

  private onHashes(peer: Peer, payload: Uint8Array): void {
    const decoded = decodeHashes(payload)
    if (!decoded.ok) return this.ctx.fault(peer, 'malformed', `hashes: ${decoded.error}`)
    const message = decoded.value
    if (this.blocks.onHashes(peer, message)) return
    const want = this.askedOf(peer, message)
    if (want === undefined) {
      this.stats.unsolicited++
      return
    }
    const { need, range } = want
    const sha256 = this.ctx.sha256
    if (sha256 === undefined) return
    if (!provesRoot(need.shape, need.root, range, message.hashes, { sha256 })) {
      want.askedOf = undefined
      return this.ctx.fault(peer, 'malformed', 'hashes that do not prove their pieces root')
    }
    this.stats.received++
    want.done = true
    want.askedOf = undefined
    const real = Math.min(range.length, need.shape.pieces - range.index)
    need.layer.set(
      message.hashes.subarray(0, real * MERKLE_HASH_BYTES),
      range.index * MERKLE_HASH_BYTES,
    )
    need.remaining--
    if (need.remaining > 0) return
    this.ctx.pieceLayerStore?.set(need.rootHex, need.layer)
    if (this.holdsDownloads) this.ctx.layersMissing--
    this.layersLeft--
    if (this.layersLeft === 0) this.layersComplete(this.layersFetching)
  }

  private onReject(peer: Peer, payload: Uint8Array): void {
    const decoded = decodeHashRequest(payload)
    if (!decoded.ok) return this.ctx.fault(peer, 'malformed', `hash reject: ${decoded.error}`)
    if (this.blocks.onReject(peer, decoded.value)) return void this.stats.rejectedByPeers++
    const want = this.askedOf(peer, decoded.value)
    if (want === undefined) return
    this.stats.rejectedByPeers++
    want.askedOf = undefined
    want.refusedBy.add(peer)
    // Another open peer may have it.
    for (const other of this.ctx.peers.values()) {
      if (want.askedOf !== undefined) break
      if (other !== peer) this.peerReady(other)
    }
  }

  /** The wanted range `message` answers, if we asked `peer` for exactly that. */
  private askedOf(peer: Peer, message: HashRequest): WantedRange | undefined {
    const rootHex = toHex(message.piecesRoot)
    return this.wanted.find(
      (want) =>
        want.askedOf === peer &&
        !want.done &&
        want.need.rootHex === rootHex &&
        sameRange(want.range, message),
    )
  }

  /** The shape of the (non-empty) file whose pieces root is `root`, and its first piece. */
  private fileOf(root: Uint8Array): { shape: TreeShape; firstPiece: number } | undefined {
    const m = this.ctx.metainfo
    if (m.version === 'v1') return undefined
    const index = fileWithRoot(m.files, root)
    const file = index === undefined ? undefined : m.files[index]
    if (file === undefined || file.length === 0) return undefined
    return {
      shape: treeShape(file.length, m.pieceLength),
      firstPiece: Math.floor(file.offset / m.pieceLength),
    }
  }

  /** The tree of the file whose pieces root is `root`, when we hold its layer. */
  private treeOf(root: Uint8Array): PieceTree | undefined {
    const { ctx } = this
    const sha256 = ctx.sha256
    if (sha256 === undefined || ctx.metainfo.version === 'v1') return undefined
    const rootHex = toHex(root)
    const cached = this.trees.get(rootHex)
    if (cached !== undefined) return cached
    const layer = ctx.metainfo.pieceLayers.get(rootHex) ?? ctx.pieceLayerStore?.get(rootHex)
    const index = fileWithRoot(ctx.metainfo.files, root)
    const file = index === undefined ? undefined : ctx.metainfo.files[index]
    if (layer === undefined || file === undefined) return undefined
    const tree = new PieceTree(treeShape(file.length, ctx.metainfo.pieceLength), layer, {
      sha256,
    })
    this.trees.set(rootHex, tree)
    return tree
  }

  private send(peer: Peer, id: number, payload: Uint8Array): void {
    this.ctx.send(peer, { type: 'unknown', id, payload })
  }
}

const requestOf = (want: WantedRange): HashRequest => ({
  piecesRoot: want.need.root,
  ...want.range,
})

const sameRange = (a: HashRange, b: HashRange): boolean =>
  a.baseLayer === b.baseLayer &&
  a.index === b.index &&
  a.length === b.length &&
  a.proofLayers === b.proofLayers
