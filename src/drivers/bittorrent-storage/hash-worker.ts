/**
 * The worker side of `WorkerPieceHashing`: SHA-1 (or the BEP 52 merkle root) of each piece
 * posted to it, answered in order. The piece's buffer goes back with the digest (transferred,
 * not copied) so that the main thread can reuse it for the next piece of the same length.
 */
import { parentPort } from 'node:worker_threads'
import type { V2PieceShape } from '../../protocols/bittorrent/storage/index.js'
import { pieceDigest } from './piece-digest.js'

export interface HashRequest {
  readonly buffer: ArrayBuffer
  readonly length: number
  /** Present for a BEP 52 piece hash (a merkle root) instead of SHA-1. */
  readonly v2?: V2PieceShape
}

export interface HashResponse {
  readonly digest: Uint8Array
  readonly buffer: ArrayBuffer
}

parentPort?.on('message', (request: HashRequest) => {
  const response: HashResponse = {
    digest: pieceDigest([new Uint8Array(request.buffer, 0, request.length)], request.v2),
    buffer: request.buffer,
  }
  parentPort?.postMessage(response, [request.buffer])
})
