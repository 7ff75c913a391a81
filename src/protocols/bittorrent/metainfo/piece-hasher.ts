/**
 * Incremental v1 piece hashing for torrent creation, sans-IO: the caller reads the files in
 * payload order, in chunks of any size, and hands them to `update`; pieces are cut every
 * `pieceLength` bytes regardless of file boundaries, as BEP 3 defines them. A chunk that covers
 * a whole piece is hashed in place; otherwise its bytes are copied into one reusable piece
 * buffer, so the caller may reuse its read buffer as soon as `update` returns. The copy costs
 * far less than SHA-1 (which runs near 2 GB/s here).
 */
import { assert } from '../../../core/errors.js'
import type { Hashing } from '../../../core/env.js'
import { DEFAULT_METAINFO_LIMITS } from './limits.js'
import { PIECE_HASH_BYTES } from './types.js'

export class PieceHasher {
  private buffer: Uint8Array | undefined = undefined
  private filled = 0
  private readonly hashes: Uint8Array[] = []
  private total = 0
  private finished = false

  constructor(
    private readonly pieceLength: number,
    private readonly hashing: Hashing,
    /** Refuse to grow past this many pieces (the parser would refuse such a torrent). */
    private readonly pieceCountMax = DEFAULT_METAINFO_LIMITS.pieceCountMax,
  ) {
    assert(Number.isSafeInteger(pieceLength) && pieceLength > 0, `bad piece length ${pieceLength}`)
  }

  /** Pieces hashed so far (a trailing partial piece is hashed by `finish`). */
  get piecesHashed(): number {
    return this.hashes.length
  }

  /** Bytes fed so far. */
  get bytesFed(): number {
    return this.total
  }

  /** Feeds the next bytes of the payload. Call in payload order; not after `finish`. */
  update(chunk: Uint8Array): void {
    assert(!this.finished, 'update after finish')
    this.total += chunk.length
    let at = 0
    while (at < chunk.length) {
      if (this.filled === 0 && chunk.length - at >= this.pieceLength) {
        this.push(this.hashing.sha1([chunk.subarray(at, at + this.pieceLength)]))
        at += this.pieceLength
        continue
      }
      this.buffer ??= new Uint8Array(this.pieceLength)
      const take = Math.min(this.pieceLength - this.filled, chunk.length - at)
      this.buffer.set(chunk.subarray(at, at + take), this.filled)
      this.filled += take
      at += take
      if (this.filled === this.pieceLength) this.flush()
    }
  }

  /** Hashes the last, possibly shorter, piece and returns every digest back to back. */
  finish(): Uint8Array {
    assert(!this.finished, 'finish called twice')
    this.finished = true
    if (this.filled > 0) this.flush()
    const out = new Uint8Array(this.hashes.length * PIECE_HASH_BYTES)
    for (const [index, hash] of this.hashes.entries()) out.set(hash, index * PIECE_HASH_BYTES)
    return out
  }

  private flush(): void {
    this.push(this.hashing.sha1([(this.buffer as Uint8Array).subarray(0, this.filled)]))
    this.filled = 0
  }

  private push(hash: Uint8Array): void {
    assert(hash.length === PIECE_HASH_BYTES, `SHA-1 gave ${hash.length} bytes`)
    assert(this.hashes.length < this.pieceCountMax, `over ${this.pieceCountMax} pieces`)
    // A copy: the port does not promise a fresh array per call.
    this.hashes.push(hash.slice())
  }
}
