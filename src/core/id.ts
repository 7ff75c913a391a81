/**
 * 160-bit identifiers: Kademlia/Mainline node ids, Chord and Pastry ids, BitTorrent
 * info-hashes. An `Id160` is a plain 20-byte `Uint8Array` with a brand, not a class: ids arrive
 * in compact node lists and leave in messages as bytes, and routing-table hot loops (the
 * simulator runs 100,000 nodes) compare them byte by byte without allocating. `compareDistance`
 * orders two ids by XOR distance to a target without building either distance.
 *
 * Treat ids as immutable. `idFromBytes` copies, so an id never aliases a packet buffer.
 */
import { compareBytes, equalBytes, fromHex, toHex } from './bytes.js'
import { assert } from './errors.js'
import type { Random } from './random.js'

export type Id160 = Uint8Array & { readonly __brand: 'Id160' }

export const ID_BYTES = 20
export const ID_BITS = 160

/** 2^160: the size of the Chord ring. */
const RING = 1n << 160n

/** A copy of `bytes` as an id, or undefined unless it is exactly 20 bytes. */
export function idFromBytes(bytes: Uint8Array): Id160 | undefined {
  return bytes.length === ID_BYTES ? (bytes.slice() as Id160) : undefined
}

/** Parses 40 hex digits (either case). */
export function idFromHex(text: string): Id160 | undefined {
  if (text.length !== ID_BYTES * 2) return undefined
  return fromHex(text) as Id160 | undefined
}

/** Lowercase hex; the same function as `bytes.ts`'s, re-exported for id callers. */
export { toHex }

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const BASE32_VALUES: readonly number[] = (() => {
  const values = new Array<number>(128).fill(-1)
  for (let i = 0; i < BASE32.length; i++) {
    values[BASE32.charCodeAt(i)] = i
    values[BASE32.toLowerCase().charCodeAt(i)] = i
  }
  return values
})()

/**
 * RFC 4648 base32, uppercase, without `=` padding (a 20-byte id is exactly 32 chars). Magnet
 * links may carry `xt=urn:btih:` in this form.
 */
export function toBase32(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32[(buffer >>> bits) & 31]
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
}

/** Parses 32 base32 chars (either case, no padding). */
export function idFromBase32(text: string): Id160 | undefined {
  if (text.length !== 32) return undefined
  const out = new Uint8Array(ID_BYTES)
  let buffer = 0
  let bits = 0
  let at = 0
  for (let i = 0; i < text.length; i++) {
    const value = BASE32_VALUES[text.charCodeAt(i)] ?? -1
    if (value < 0) return undefined
    buffer = ((buffer << 5) | value) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[at++] = (buffer >>> bits) & 0xff
    }
  }
  return out as Id160
}

export const compareIds = (a: Id160, b: Id160): number => compareBytes(a, b)
export const equalIds = (a: Id160, b: Id160): boolean => equalBytes(a, b)

/** Bit `index` of the id, 0 being the most significant bit of the first byte. */
export function idBit(id: Id160, index: number): 0 | 1 {
  return (((id[index >>> 3] as number) >>> (7 - (index & 7))) & 1) as 0 | 1
}

/** The Kademlia distance `a XOR b`, as 20 bytes that compare with `compareBytes`. */
export function xorDistance(a: Id160, b: Id160): Uint8Array {
  const out = new Uint8Array(ID_BYTES)
  for (let i = 0; i < ID_BYTES; i++) out[i] = (a[i] as number) ^ (b[i] as number)
  return out
}

/**
 * Negative when `a` is closer to `target` than `b` by XOR distance, positive when farther, 0
 * when `a` and `b` are equal. Allocates nothing: use it to sort contacts in lookups.
 */
export function compareDistance(target: Id160, a: Id160, b: Id160): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const t = target[i] as number
    const diff = (t ^ (a[i] as number)) - (t ^ (b[i] as number))
    if (diff !== 0) return diff
  }
  return 0
}

/** Leading bits `a` and `b` share (0..160): the Kademlia bucket index counts from this. */
export function commonPrefixLength(a: Id160, b: Id160): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const diff = (a[i] as number) ^ (b[i] as number)
    if (diff !== 0) return i * 8 + Math.clz32(diff) - 24
  }
  return ID_BITS
}

export function idToBigInt(id: Id160): bigint {
  return BigInt(`0x${toHex(id)}`)
}

/** The id of `value` modulo 2^160, so ring arithmetic (`n + 2^k`, `n - 1`) wraps around. */
export function bigIntToId(value: bigint): Id160 {
  const reduced = ((value % RING) + RING) % RING
  return fromHex(reduced.toString(16).padStart(ID_BYTES * 2, '0')) as Id160
}

/** Clockwise distance from `from` to `to` on the 2^160 ring (Chord): `(to - from) mod 2^160`. */
export function ringDistance(from: Id160, to: Id160): bigint {
  return (idToBigInt(to) - idToBigInt(from) + RING) % RING
}

/** `ringDistance` as 20 big-endian bytes, without bigints, for comparisons in hot loops. */
export function ringDistanceBytes(from: Id160, to: Id160): Uint8Array {
  const out = new Uint8Array(ID_BYTES)
  let borrow = 0
  for (let i = ID_BYTES - 1; i >= 0; i--) {
    const diff = (to[i] as number) - (from[i] as number) - borrow
    borrow = diff < 0 ? 1 : 0
    out[i] = diff & 0xff
  }
  return out
}

export function randomId(random: Random): Id160 {
  return random.bytes(ID_BYTES) as Id160
}

/**
 * A random id sharing exactly `prefixLength` leading bits with `base` (0..160; 160 means `base`
 * itself): the bits before are `base`'s, the next one is flipped, the rest are random. Kademlia
 * refreshes the bucket of ids at that prefix length by looking one of these up.
 */
export function randomIdInBucket(base: Id160, prefixLength: number, random: Random): Id160 {
  assert(
    Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= ID_BITS,
    `prefixLength must be an integer in 0..160, got ${prefixLength}`,
  )
  if (prefixLength === ID_BITS) return base.slice() as Id160
  const out = random.bytes(ID_BYTES)
  const index = prefixLength >>> 3
  out.set(base.subarray(0, index))
  const kept = (0xff00 >>> (prefixLength & 7)) & 0xff
  const flipped = 0x80 >>> (prefixLength & 7)
  const baseByte = base[index] as number
  const randomByte = out[index] as number
  out[index] = (baseByte & kept) | (~baseByte & flipped) | (randomByte & ~(kept | flipped) & 0xff)
  return out as Id160
}
