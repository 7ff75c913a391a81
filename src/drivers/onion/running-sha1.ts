/**
 * SHA-1 (FIPS 180-4) in JavaScript, as the running digest of Tor's relay cells. The state is
 * five words and a partial block, so "the digest if this cell were added" (`peekWith`) costs
 * one pass over the cell with a copied state and no allocation beyond the 20-byte answer;
 * `commitPeek` then adopts that state instead of hashing the cell again. node:crypto's Hash
 * can only do this with a `copy()` (a new Hash object per cell) and hashing the cell twice.
 * Checked against node:crypto's SHA-1 over arbitrary splits (running-sha1.test.ts).
 */
import { sha1Compress } from '../../core/crypto/sha1.js'
import type { RunningDigest } from '../../protocols/onion/crypto-port.js'

class Sha1State {
  readonly h = new Int32Array(5)
  readonly block = new Uint8Array(64)
  readonly blockView = new DataView(this.block.buffer)
  used = 0
  /** Bytes fed in all (SHA-1 appends the length in bits). */
  length = 0

  copyFrom(other: Sha1State): void {
    this.h.set(other.h)
    this.block.set(other.block)
    this.used = other.used
    this.length = other.length
  }
}

function feed(state: Sha1State, bytes: Uint8Array): void {
  let offset = 0
  state.length += bytes.length
  if (state.used > 0) {
    const take = Math.min(64 - state.used, bytes.length)
    state.block.set(bytes.subarray(0, take), state.used)
    state.used += take
    offset = take
    if (state.used < 64) return
    sha1Compress(state.h, state.block, 0)
    state.used = 0
  }
  if (offset + 64 <= bytes.length) {
    for (; offset + 64 <= bytes.length; offset += 64) sha1Compress(state.h, bytes, offset)
  }
  if (offset < bytes.length) {
    state.block.set(bytes.subarray(offset), 0)
    state.used = bytes.length - offset
  }
}

/** The digest of `state` (which is consumed: padding goes into it). */
function finish(state: Sha1State): Uint8Array {
  const bits = state.length * 8
  const block = state.block
  block[state.used] = 0x80
  block.fill(0, state.used + 1)
  if (state.used >= 56) {
    sha1Compress(state.h, state.block, 0)
    block.fill(0)
  }
  state.blockView.setUint32(56, Math.floor(bits / 0x1_0000_0000))
  state.blockView.setUint32(60, bits >>> 0)
  sha1Compress(state.h, state.block, 0)
  const out = new Uint8Array(20)
  const outView = new DataView(out.buffer)
  for (let i = 0; i < 5; i++) outView.setInt32(4 * i, state.h[i] as number)
  return out
}

export class JsRunningSha1 implements RunningDigest {
  private readonly state = new Sha1State()
  /** The state after the last `peekWith`, held for `commitPeek`. */
  private readonly peeked = new Sha1State()
  private readonly scratch = new Sha1State()
  private peekValid = false

  constructor(seed: Uint8Array) {
    this.state.h.set([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0])
    feed(this.state, seed)
  }

  update(bytes: Uint8Array): void {
    this.peekValid = false
    feed(this.state, bytes)
  }

  current(): Uint8Array {
    this.scratch.copyFrom(this.state)
    return finish(this.scratch)
  }

  advance(bytes: Uint8Array): Uint8Array {
    this.update(bytes)
    return this.current()
  }

  peekWith(bytes: Uint8Array): Uint8Array {
    this.peeked.copyFrom(this.state)
    feed(this.peeked, bytes)
    this.peekValid = true
    this.scratch.copyFrom(this.peeked)
    return finish(this.scratch)
  }

  commitPeek(): void {
    if (!this.peekValid) throw new Error('commitPeek without a peekWith since the last update')
    this.state.copyFrom(this.peeked)
    this.peekValid = false
  }
}
