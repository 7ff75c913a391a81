import { digestBlocks, wordsToBytes } from './blocks.js'

/** SHA-1 (FIPS 180-4) in plain TypeScript, over parts as if concatenated. */
export function sha1(parts: readonly Uint8Array[]): Uint8Array {
  const h = Int32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0)
  digestBlocks(parts, 64, 8, (bytes, offset) => sha1Compress(h, bytes, offset))
  return wordsToBytes(new Uint32Array(h.buffer))
}

const W = new Int32Array(80)

/**
 * One 64-byte block of `bytes` at `offset` into the state `h` (five words): the compression
 * function, shared by `sha1` and the onion's running digest (which keeps its own state to
 * peek at "the digest with this cell added" without hashing the cell twice).
 */
export function sha1Compress(h: Int32Array, bytes: Uint8Array, offset: number): void {
  const w = W
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4
    w[i] =
      ((bytes[j] as number) << 24) |
      ((bytes[j + 1] as number) << 16) |
      ((bytes[j + 2] as number) << 8) |
      (bytes[j + 3] as number)
  }
  for (let i = 16; i < 80; i++) {
    const x =
      (w[i - 3] as number) ^ (w[i - 8] as number) ^ (w[i - 14] as number) ^ (w[i - 16] as number)
    w[i] = (x << 1) | (x >>> 31)
  }
  let a = h[0] as number
  let b = h[1] as number
  let c = h[2] as number
  let d = h[3] as number
  let e = h[4] as number
  // Four loops, one per round function, rather than a branch in every round.
  for (let i = 0; i < 20; i++) {
    const t =
      (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + (w[i] as number)) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  for (let i = 20; i < 40; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + (w[i] as number)) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  for (let i = 40; i < 60; i++) {
    const t =
      (((a << 5) | (a >>> 27)) +
        ((b & c) | (b & d) | (c & d)) +
        e +
        0x8f1bbcdc +
        (w[i] as number)) |
      0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  for (let i = 60; i < 80; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + (w[i] as number)) | 0
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
