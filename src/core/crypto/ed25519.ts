import type { Signing } from '../env.js'
import { sha512 } from './sha512.js'

/**
 * Ed25519 (RFC 8032) in plain TypeScript with BigInt arithmetic, for worlds that may not load
 * a crypto library (the simulator). Slow next to OpenSSL (a few milliseconds to sign, about
 * twice that to verify) and not constant-time: never use it for real keys. Verification is
 * cofactorless and compares the recomputed R byte for byte, as OpenSSL does, so both
 * implementations accept and refuse the same signatures.
 */

const P = 2n ** 255n - 19n
const L = 2n ** 252n + 27742317777372353535851937790883648493n
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n
const D2 = (2n * D) % P
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n

/** A point in extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z. */
interface Point {
  readonly x: bigint
  readonly y: bigint
  readonly z: bigint
  readonly t: bigint
}

const mod = (a: bigint, m: bigint = P): bigint => {
  const r = a % m
  return r < 0n ? r + m : r
}

function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = mod(base)
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P
    b = (b * b) % P
    e >>= 1n
  }
  return result
}

const invert = (a: bigint): bigint => pow(a, P - 2n)

const BASE_Y = mod(4n * invert(5n))
const BASE_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202n
const BASE: Point = { x: BASE_X, y: BASE_Y, z: 1n, t: mod(BASE_X * BASE_Y) }
const IDENTITY: Point = { x: 0n, y: 1n, z: 1n, t: 0n }

function add(p: Point, q: Point): Point {
  const a = mod((p.y - p.x) * (q.y - q.x))
  const b = mod((p.y + p.x) * (q.y + q.x))
  const c = mod(p.t * D2 * q.t)
  const d = mod(2n * p.z * q.z)
  const e = b - a
  const f = d - c
  const g = d + c
  const h = b + a
  return { x: mod(e * f), y: mod(g * h), z: mod(f * g), t: mod(e * h) }
}

function double(p: Point): Point {
  const a = mod(p.x * p.x)
  const b = mod(p.y * p.y)
  const c = mod(2n * p.z * p.z)
  const h = a + b
  const e = h - mod((p.x + p.y) * (p.x + p.y))
  const g = a - b
  const f = c + g
  return { x: mod(e * f), y: mod(g * h), z: mod(f * g), t: mod(e * h) }
}

function multiply(p: Point, scalar: bigint): Point {
  let result = IDENTITY
  let addend = p
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend)
    addend = double(addend)
  }
  return result
}

const negate = (p: Point): Point => ({ x: mod(-p.x), y: p.y, z: p.z, t: mod(-p.t) })

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

function toLittleEndian32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = n
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

function encode(p: Point): Uint8Array {
  const zInverse = invert(p.z)
  const x = mod(p.x * zInverse)
  const y = mod(p.y * zInverse)
  const out = toLittleEndian32(y)
  out[31] = (out[31] as number) | (Number(x & 1n) << 7)
  return out
}

/** The point a 32-byte encoding names, or undefined when it names none (RFC 8032 5.1.3). */
function decode(bytes: Uint8Array): Point | undefined {
  if (bytes.length !== 32) return undefined
  const sign = (bytes[31] as number) >> 7
  const y = littleEndian(bytes) & ((1n << 255n) - 1n)
  if (y >= P) return undefined
  const y2 = (y * y) % P
  const u = mod(y2 - 1n)
  const v = mod(D * y2 + 1n)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n))
  const vx2 = mod(v * x * x)
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1)
  else if (vx2 !== u) return undefined
  if (x === 0n && sign === 1) return undefined
  if (Number(x & 1n) !== sign) x = P - x
  return { x, y, z: 1n, t: mod(x * y) }
}

const concat = (...parts: Uint8Array[]): Uint8Array[] => parts

/** The clamped secret scalar and the nonce prefix a seed expands to. */
function expand(seed32: Uint8Array): { scalar: bigint; prefix: Uint8Array } {
  if (seed32.length !== 32) throw new RangeError('an ed25519 seed is 32 bytes')
  const h = sha512([seed32])
  const low = h.slice(0, 32)
  low[0] = (low[0] as number) & 248
  low[31] = ((low[31] as number) & 127) | 64
  return { scalar: littleEndian(low), prefix: h.subarray(32) }
}

const reduce = (digest: Uint8Array): bigint => littleEndian(digest) % L

function signWithScalar(scalar: bigint, prefix: Uint8Array, message: Uint8Array): Uint8Array {
  const publicKey = encode(multiply(BASE, scalar))
  const r = reduce(sha512(concat(prefix, message)))
  const rEncoded = encode(multiply(BASE, r))
  const k = reduce(sha512(concat(rEncoded, publicKey, message)))
  const s = (r + k * scalar) % L
  const signature = new Uint8Array(64)
  signature.set(rEncoded, 0)
  signature.set(toLittleEndian32(s), 32)
  return signature
}

/**
 * An Ed25519 key given in expanded form (RFC 8032 5.1.5 after hashing): the 32-byte
 * little-endian secret scalar and the 32-byte nonce prefix. Tor's relays need it: the
 * `ntor-onion-key-crosscert` is signed with the Ed25519 key whose scalar is the relay's
 * clamped Curve25519 onion secret, a key no seed expands to, so a seed-only API (OpenSSL's)
 * cannot sign with it. Not constant-time (see above): acceptable for a signature made once
 * per descriptor on the relay's own machine.
 */
export interface ExpandedEd25519Key {
  readonly scalar: Uint8Array
  readonly prefix: Uint8Array
}

export function expandedPublicKey(key: ExpandedEd25519Key): Uint8Array {
  if (key.scalar.length !== 32) throw new RangeError('an ed25519 scalar is 32 bytes')
  return encode(multiply(BASE, littleEndian(key.scalar)))
}

export function signExpanded(key: ExpandedEd25519Key, message: Uint8Array): Uint8Array {
  if (key.scalar.length !== 32 || key.prefix.length !== 32)
    throw new RangeError('an expanded ed25519 key is a 32-byte scalar and a 32-byte prefix')
  return signWithScalar(littleEndian(key.scalar), key.prefix, message)
}

export class PureEd25519 implements Signing {
  publicKeyOf(seed32: Uint8Array): Uint8Array {
    return encode(multiply(BASE, expand(seed32).scalar))
  }

  sign(seed32: Uint8Array, message: Uint8Array): Uint8Array {
    const { scalar, prefix } = expand(seed32)
    return signWithScalar(scalar, prefix, message)
  }

  verify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean {
    if (publicKey32.length !== 32 || signature64.length !== 64) return false
    const a = decode(publicKey32)
    if (a === undefined) return false
    const rEncoded = signature64.subarray(0, 32)
    const s = littleEndian(signature64.subarray(32))
    if (s >= L) return false
    const k = reduce(sha512(concat(rEncoded, publicKey32, message)))
    // R' = [s]B - [k]A, compared as bytes with the signature's R.
    const expected = encode(add(multiply(BASE, s), multiply(negate(a), k)))
    for (let i = 0; i < 32; i++) if (expected[i] !== rEncoded[i]) return false
    return true
  }
}
