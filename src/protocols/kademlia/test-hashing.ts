/**
 * Tests in this folder need SHA-1 but may not import node:crypto or drivers from a protocol
 * file; this is a small pure SHA-1 (FIPS 180-4) for them, with a placeholder SHA-256.
 */
import type { Hashing } from '../../core/env.js'

function sha1(data: Uint8Array): Uint8Array {
  const length = data.length
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6)
  padded.set(data)
  padded[length] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(padded.length - 4, (length * 8) >>> 0)
  view.setUint32(padded.length - 8, Math.floor((length * 8) / 0x1_0000_0000))
  let [h0, h1, h2, h3, h4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
  const w = new Uint32Array(80)
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4)
    for (let i = 16; i < 80; i++) {
      const x =
        (w[i - 3] as number) ^ (w[i - 8] as number) ^ (w[i - 14] as number) ^ (w[i - 16] as number)
      w[i] = (x << 1) | (x >>> 31)
    }
    let [a, b, c, d, e] = [h0, h1, h2, h3, h4]
    for (let i = 0; i < 80; i++) {
      const [f, k] =
        i < 20
          ? [(b & c) | (~b & d), 0x5a827999]
          : i < 40
            ? [b ^ c ^ d, 0x6ed9eba1]
            : i < 60
              ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc]
              : [b ^ c ^ d, 0xca62c1d6]
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + (w[i] as number)) >>> 0
      e = d
      d = c
      c = ((b << 30) | (b >>> 2)) >>> 0
      b = a
      a = temp
    }
    h0 = (h0 + a) >>> 0
    h1 = (h1 + b) >>> 0
    h2 = (h2 + c) >>> 0
    h3 = (h3 + d) >>> 0
    h4 = (h4 + e) >>> 0
  }
  const out = new Uint8Array(20)
  const outView = new DataView(out.buffer)
  ;[h0, h1, h2, h3, h4].forEach((h, i) => outView.setUint32(i * 4, h))
  return out
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

export class NodeHashingForTests implements Hashing {
  sha1(parts: readonly Uint8Array[]): Uint8Array {
    return sha1(concat(parts))
  }

  sha256(parts: readonly Uint8Array[]): Uint8Array {
    // Not needed by the DHT; 32 bytes of SHA-1 keep the shape.
    const h = sha1(concat(parts))
    return concat([h, h.subarray(0, 12)])
  }
}
