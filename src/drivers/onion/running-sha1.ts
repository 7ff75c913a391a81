/**
 * SHA-1 (FIPS 180-4) in JavaScript, as the running digest of Tor's relay cells. The state is
 * five words and a partial block, so "the digest if this cell were added" (`peekWith`) costs
 * one pass over the cell with a copied state and no allocation beyond the 20-byte answer;
 * `commitPeek` then adopts that state instead of hashing the cell again. node:crypto's Hash
 * can only do this with a `copy()` (a new Hash object per cell) and hashing the cell twice.
 * Checked against node:crypto's SHA-1 over arbitrary splits (running-sha1.test.ts).
 */
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

const W = new Int32Array(80)

/** One 64-byte block at `offset` of `view` into `h` (four round loops, no branch per round). */
function compress(h: Int32Array, view: DataView, offset: number): void {
  for (let i = 0; i < 16; i++) W[i] = view.getInt32(offset + 4 * i)
  for (let i = 16; i < 80; i++) {
    const x =
      (W[i - 3] as number) ^ (W[i - 8] as number) ^ (W[i - 14] as number) ^ (W[i - 16] as number)
    W[i] = (x << 1) | (x >>> 31)
  }
  let a = h[0] as number
  let b = h[1] as number
  let c = h[2] as number
  let d = h[3] as number
  let e = h[4] as number
  let t = 0
  for (let i = 0; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + (W[i] as number)) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  for (let i = 20; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + (W[i] as number)) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  for (let i = 40; i < 60; i++) {
    t =
      (((a << 5) | (a >>> 27)) +
        ((b & c) | (b & d) | (c & d)) +
        e +
        0x8f1bbcdc +
        (W[i] as number)) |
      0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  for (let i = 60; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + (W[i] as number)) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  h[0] = ((h[0] as number) + a) | 0
  h[1] = ((h[1] as number) + b) | 0
  h[2] = ((h[2] as number) + c) | 0
  h[3] = ((h[3] as number) + d) | 0
  h[4] = ((h[4] as number) + e) | 0
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
    compress(state.h, state.blockView, 0)
    state.used = 0
  }
  if (offset + 64 <= bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
    for (; offset + 64 <= bytes.length; offset += 64) compress(state.h, view, offset)
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
    compress(state.h, state.blockView, 0)
    block.fill(0)
  }
  state.blockView.setUint32(56, Math.floor(bits / 0x1_0000_0000))
  state.blockView.setUint32(60, bits >>> 0)
  compress(state.h, state.blockView, 0)
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
