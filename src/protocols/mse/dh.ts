/**
 * The MSE Diffie-Hellman group: the 768-bit prime P, generator 2 (the spec's values). Keys
 * are BigInts and travel as 96-byte big-endian numbers.
 *
 * Cost: every MSE connection makes each end compute G^X (its key pair) and Y^X (the secret),
 * 768-bit exponentiations with 160-bit exponents, in BigInt arithmetic (no port: it is
 * computation, and the core must run unchanged in the simulator). Plain square-and-multiply
 * took 1.4-1.8 ms each here, and a 1,000-peer simulated swarm, which opens ~40,000 connections
 * in its first virtual seconds, spent half its CPU in it. So:
 * - G^X reads a table of G^(d * 256^w) for every byte value d and byte position w of the
 *   exponent (built once per process, 5,100 products, ~0.5 MB): one product per exponent
 *   byte, 20 instead of ~240;
 * - Y^X uses a sliding window of 5 bits: ~190 products instead of ~240.
 */
export const DH_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
)
export const DH_GENERATOR = 2n
/** Bytes of a public key or shared secret on the wire. */
export const DH_KEY_BYTES = 96
/** The spec asks for at least 128 bits of private key; libtorrent uses 160. */
export const DH_PRIVATE_BYTES = 20

/** Square-and-multiply, right to left: the reference the faster paths are tested against. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  let e = exponent
  while (e > 0n) {
    if ((e & 1n) === 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

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

/**
 * G^(d * 256^w) mod P for exponent bytes w < DH_PRIVATE_BYTES (least significant first) and
 * byte values d = 1..255, at `[w * 255 + d - 1]`; built on first use.
 */
let generatorTable: bigint[] | undefined

function tableOfGenerator(): bigint[] {
  if (generatorTable !== undefined) return generatorTable
  const table: bigint[] = []
  let unit = DH_GENERATOR % DH_PRIME // G^(256^w)
  for (let w = 0; w < DH_PRIVATE_BYTES; w++) {
    let power = unit
    table.push(power)
    for (let d = 2; d <= 255; d++) {
      power = (power * unit) % DH_PRIME
      table.push(power)
    }
    unit = (power * unit) % DH_PRIME // G^(256 * 256^w)
  }
  generatorTable = table
  return table
}

/** G^X mod P: one table product per nonzero byte of X; the general path past 20 bytes. */
export function generatorPow(exponent: bigint): bigint {
  if (exponent < 0n || exponent >= 1n << BigInt(8 * DH_PRIVATE_BYTES)) {
    return modPowWindowed(DH_GENERATOR, exponent, DH_PRIME)
  }
  const table = tableOfGenerator()
  let result = 1n
  let e = exponent
  for (let w = 0; e > 0n; w++) {
    const d = Number(e & 0xffn)
    if (d !== 0) result = (result * (table[w * 255 + d - 1] as bigint)) % DH_PRIME
    e >>= 8n
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

export interface DhKeyPair {
  readonly privateKey: bigint
  /** G^X mod P, 96 bytes. */
  readonly publicKey: Uint8Array
}

export function dhKeyPair(privateBytes: Uint8Array): DhKeyPair {
  const privateKey = bytesToBigInt(privateBytes)
  const publicKey = bigIntToBytes(generatorPow(privateKey), DH_KEY_BYTES)
  return { privateKey, publicKey }
}

/**
 * The shared secret S from the other side's public key, or undefined for a degenerate key
 * (0, 1, P-1 or not below P), which would make S guessable.
 */
export function dhSecret(privateKey: bigint, otherPublic: Uint8Array): Uint8Array | undefined {
  const y = bytesToBigInt(otherPublic)
  if (y <= 1n || y >= DH_PRIME - 1n) return undefined
  return bigIntToBytes(modPowWindowed(y, privateKey, DH_PRIME), DH_KEY_BYTES)
}
