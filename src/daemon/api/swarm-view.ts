import { addressKey } from '../../core/address.js'
import type { PeerView, SwarmView } from '../../protocols/bittorrent/swarm/index.js'

/**
 * What the dashboard shows of a running swarm, from the peer's read-only `swarmView`: one
 * character per piece and its availability for the piece map, and each connection's BEP 3
 * flags for the peer list. Pure: the routes and their tests call these.
 */

/** Piece states, one character each: none, partly downloaded, being hashed, verified. */
export const PIECE_CHARS = '0123'

/** The picker's per-piece state (0..3, PIECE_NONE..PIECE_VERIFIED) and availability. */
export interface PieceSource {
  readonly state: (piece: number) => number
  readonly availability: (piece: number) => number
}

export function pieceSourceOf(view: SwarmView): PieceSource {
  const { downloads } = view.picker.inspect()
  return {
    state: (piece) => downloads.state(piece),
    availability: (piece) => view.picker.availability(piece),
  }
}

export interface PieceMap {
  readonly pieces: number
  /** One of PIECE_CHARS per piece. */
  readonly states: string
  /** How many connected peers have each piece. */
  readonly availability: number[]
}

export function pieceMapOf(source: PieceSource, pieces: number): PieceMap {
  let states = ''
  const availability: number[] = []
  for (let piece = 0; piece < pieces; piece++) {
    states += PIECE_CHARS[source.state(piece)] ?? '0'
    availability.push(source.availability(piece))
  }
  return { pieces, states, availability }
}

export type PeerFlagsSource = Pick<
  PeerView,
  | 'address'
  | 'phase'
  | 'outbound'
  | 'fast'
  | 'amChoking'
  | 'amInterested'
  | 'peerChoking'
  | 'peerInterested'
  | 'isSeed'
  | 'snubbed'
  | 'downloadRate'
  | 'uploadRate'
  | 'downloadedBytes'
  | 'uploadedBytes'
  | 'client'
  | 'outstandingRequests'
  | 'uploadQueued'
> & { readonly has: { readonly count: number } }

/** The open connections with their flags and how much of the torrent each peer has (0..1). */
export function swarmPeersOf(peers: readonly PeerFlagsSource[], pieces: number) {
  return peers
    .filter((p) => p.phase === 'open')
    .map((p) => ({
      address: addressKey(p.address),
      ...(p.client === undefined ? {} : { client: p.client }),
      outbound: p.outbound,
      fast: p.fast,
      amChoking: p.amChoking,
      amInterested: p.amInterested,
      peerChoking: p.peerChoking,
      peerInterested: p.peerInterested,
      snubbed: p.snubbed,
      seed: p.isSeed,
      progress: pieces === 0 ? 0 : p.has.count / pieces,
      downloadRate: p.downloadRate,
      uploadRate: p.uploadRate,
      downloadedBytes: p.downloadedBytes,
      uploadedBytes: p.uploadedBytes,
      requests: p.outstandingRequests,
      queued: p.uploadQueued,
    }))
}
