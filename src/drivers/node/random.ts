import { randomFillSync } from 'node:crypto'
import type { Random } from '../../core/random.js'

/**
 * Production randomness from the OS CSPRNG (node:crypto), for values an attacker must not
 * predict: node ids, DHT tokens, transaction ids, onion keys.
 *
 * `int` and `float` draw from a pooled buffer refilled POOL_BYTES at a time, so a draw costs a
 * few array reads instead of a call into the OS. Node's own `crypto.randomInt` caches the same
 * way. Small `bytes` requests come from the pool too; large ones are filled directly.
 */

/** Bytes fetched from the OS per refill. */
const POOL_BYTES = 4096
/** `bytes(length)` requests up to this size are served from the pool. */
const POOLED_REQUEST_BYTES_MAX = 256
const TWO_POW_32 = 0x1_0000_0000
const TWO_POW_53 = 2 ** 53

export class CryptoRandom implements Random {
  private readonly pool = new Uint8Array(POOL_BYTES)
  private readonly view = new DataView(this.pool.buffer)
  /** Next unused byte; starting at the end makes the first draw fill the pool. */
  private offset = POOL_BYTES

  /** Uniform integer in [0, bound); `bound` must be a positive safe integer. */
  int(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound <= 0) {
      throw new RangeError(`Random.int bound must be a positive safe integer, got ${bound}`)
    }
    // Rejection sampling: drop the draws above the largest multiple of `bound`, so every
    // residue is equally likely (no modulo bias).
    if (bound <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % bound)
      for (;;) {
        const value = this.next32()
        if (value < limit) return value % bound
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % bound)
    for (;;) {
      const value = this.next53()
      if (value < limit) return value % bound
    }
  }

  /** Uniform in [0, 1), with all 53 bits of a double's mantissa random. */
  float(): number {
    return this.next53() / TWO_POW_53
  }

  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`Random.bytes length must be a non-negative integer, got ${length}`)
    }
    const out = new Uint8Array(length)
    if (length > POOLED_REQUEST_BYTES_MAX) return randomFillSync(out)
    this.reserve(length)
    const end = this.offset + length
    out.set(this.pool.subarray(this.offset, end))
    // Key material should not linger in the pool after it was handed out.
    this.pool.fill(0, this.offset, end)
    this.offset = end
    return out
  }

  /** A new, independent CSPRNG stream. The label does not matter: nothing here is seeded. */
  fork(_label: string): CryptoRandom {
    return new CryptoRandom()
  }

  private next32(): number {
    this.reserve(4)
    const value = this.view.getUint32(this.offset)
    this.offset += 4
    return value
  }

  /** A uniform integer in [0, 2^53). */
  private next53(): number {
    this.reserve(8)
    const high = this.view.getUint32(this.offset) >>> 11
    const low = this.view.getUint32(this.offset + 4)
    this.offset += 8
    return high * TWO_POW_32 + low
  }

  /** Makes sure `count` unused bytes follow `offset`, refilling the whole pool when not. */
  private reserve(count: number): void {
    if (this.offset + count <= POOL_BYTES) return
    randomFillSync(this.pool)
    this.offset = 0
  }
}
