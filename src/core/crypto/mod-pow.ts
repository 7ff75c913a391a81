import type { DhGroup, KeyAgreement } from '../env.js'

/** Bits per window of `modPowWindowed`: 16 odd powers precomputed, ~1 product per 6 bits. */
const WINDOW_BITS = 5

/**
 * `base ** exponent % modulus` by left-to-right sliding windows: squarings for every bit, one
 * product per window of up to `WINDOW_BITS` bits that starts and ends with a 1.
 */
export function modPowWindowed(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (exponent === 0n) return 1n % modulus
  const b = base % modulus
  const square = (b * b) % modulus
  // odd[i] = b^(2i + 1)
  const odd: bigint[] = [b]
  for (let i = 1; i < 1 << (WINDOW_BITS - 1); i++) {
    odd.push(((odd[i - 1] as bigint) * square) % modulus)
  }
  const bits = exponent.toString(2)
  let result = 1n
  let i = 0
  while (i < bits.length) {
    if (bits[i] === '0') {
      result = (result * result) % modulus
      i++
      continue
    }
    let end = Math.min(bits.length, i + WINDOW_BITS)
    while (bits[end - 1] === '0') end--
    for (let k = i; k < end; k++) result = (result * result) % modulus
    const value = parseInt(bits.slice(i, end), 2)
    result = (result * (odd[(value - 1) >> 1] as bigint)) % modulus
    i = end
  }
  return result
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

/** Big-endian, left-padded with zeros to `length` bytes (a short secret keeps its zeros). */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let v = value
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/**
 * Key agreement in plain BigInt arithmetic: the simulator's default (it never imports a
 * driver) and the reference the native port is tested against.
 */
export class BigIntKeyAgreement implements KeyAgreement {
  dhSecret(group: DhGroup, privateKey: Uint8Array, otherPublic: Uint8Array): Uint8Array {
    const prime = bytesToBigInt(group.prime)
    const secret = modPowWindowed(bytesToBigInt(otherPublic), bytesToBigInt(privateKey), prime)
    return bigIntToBytes(secret, group.prime.length)
  }
}
