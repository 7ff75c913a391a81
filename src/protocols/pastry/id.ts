/**
 * Pastry ids: 128-bit numbers on a ring, written as 32 hex digits (b = 4: a digit is a
 * routing-table column). Arithmetic is BigInt; the hex form is the map key and the wire form.
 */
export const ID_BITS = 128
export const DIGITS = 32
const RING = 1n << 128n
const HALF = 1n << 127n

export type PastryId = string

/** Parsed ids, memoised: routing compares the same few hundred ids over and over. */
const parsed = new Map<PastryId, bigint>()
export function idValue(id: PastryId): bigint {
  let value = parsed.get(id)
  if (value === undefined) {
    if (parsed.size >= 1 << 18) parsed.clear()
    value = BigInt('0x' + id)
    parsed.set(id, value)
  }
  return value
}
export const idOf = (value: bigint): PastryId => value.toString(16).padStart(DIGITS, '0')
export const digitAt = (id: PastryId, index: number): number => nibble(id.charCodeAt(index))

export function sharedPrefix(a: PastryId, b: PastryId): number {
  let i = 0
  while (i < DIGITS && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}

/** Numeric distance on the ring (the shorter way round). */
export function ringDistance(a: PastryId, b: PastryId): bigint {
  const d = (idValue(a) - idValue(b) + RING) % RING
  return d > HALF ? RING - d : d
}

/** Steps clockwise (increasing ids) from `from` to `to`. */
export const clockwise = (from: PastryId, to: PastryId): bigint =>
  (idValue(to) - idValue(from) + RING) % RING

/** '00'..'ff' by byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).padStart(2, '0'),
)

export function idFromBytes(bytes: Uint8Array): PastryId {
  let out = ''
  for (let i = 0; i < 16; i++) out += HEX_BYTE[bytes[i] ?? 0] as string
  return out
}

/** A hex digit's value from its character code (ids are lowercase; uppercase read too). */
function nibble(code: number): number {
  if (code <= 57) return code - 48
  return (code | 0x20) - 87
}

/** `id` is 32 hex digits (every id in the core is); no substring or parseInt per byte. */
export function idToBytes(id: PastryId): Uint8Array {
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) {
    out[i] = (nibble(id.charCodeAt(2 * i)) << 4) | nibble(id.charCodeAt(2 * i + 1))
  }
  return out
}

/**
 * The id as a fraction of the ring from its first 13 hex digits (52 bits, exact in a double):
 * cheap ordering for leaf sets and ranges, where a 2^-52 error cannot matter at any real size.
 */
const fractions = new Map<PastryId, number>()
export function idFraction(id: PastryId): number {
  // Memoised like `idValue`: leaf-set upkeep asks for the same ids' fractions constantly.
  let fraction = fractions.get(id)
  if (fraction === undefined) {
    if (fractions.size >= 1 << 18) fractions.clear()
    fraction = parseInt(id.slice(0, 13), 16) / 2 ** 52
    fractions.set(id, fraction)
  }
  return fraction
}

/** Clockwise steps as a fraction of the ring (approximate, see `idFraction`). */
export function clockwiseFraction(from: PastryId, to: PastryId): number {
  const d = idFraction(to) - idFraction(from)
  return d < 0 ? d + 1 : d
}

/** Is `a` strictly closer to `key` than `b`? Ties go to the smaller id, so all agree. */
export function closer(key: PastryId, a: PastryId, b: PastryId): boolean {
  // Fast path on 52-bit fractions; exact BigInt only when the two are too close to call.
  const fa = Math.abs(idFraction(key) - idFraction(a))
  const fb = Math.abs(idFraction(key) - idFraction(b))
  const ra = Math.min(fa, 1 - fa)
  const rb = Math.min(fb, 1 - fb)
  if (Math.abs(ra - rb) > 1e-12) return ra < rb
  const da = ringDistance(key, a)
  const db = ringDistance(key, b)
  return da < db || (da === db && a < b)
}
