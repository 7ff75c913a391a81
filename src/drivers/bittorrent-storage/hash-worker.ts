/**
 * The worker side of `WorkerPieceHashing`: SHA-1 of each piece posted to it, answered in
 * order. The piece's buffer goes back with the digest (transferred, not copied) so that the
 * main thread can reuse it for the next piece of the same length.
 */
import { createHash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

export interface HashRequest {
  readonly buffer: ArrayBuffer
  readonly length: number
}

export interface HashResponse {
  readonly digest: Uint8Array
  readonly buffer: ArrayBuffer
}

parentPort?.on('message', (request: HashRequest) => {
  const digest = createHash('sha1')
    .update(new Uint8Array(request.buffer, 0, request.length))
    .digest()
  const response: HashResponse = { digest: new Uint8Array(digest), buffer: request.buffer }
  parentPort?.postMessage(response, [request.buffer])
})
