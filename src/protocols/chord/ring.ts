/**
 * The Chord identifier circle: integers modulo 2^m, as bigints so that any m works, from the
 * lecture's 4-bit ring to the paper's 160 bits. Ids travel as big-endian byte strings of
 * ceil(m / 8) bytes; a value of 2^m or more is out of range and refused.
 */
/** '00'..'ff' by byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).padStart(2, '0'),
)

/** A lowercase hex digit's value from its character code. */
const nibble = (code: number): number => (code <= 57 ? code - 48 : code - 87)

export class Ring {
  readonly size: bigint
  readonly idBytes: number

  constructor(readonly bits: number) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 256) {
      throw new RangeError(`ring bits must be an integer in 1..256, got ${bits}`)
    }
    this.size = 1n << BigInt(bits)
    this.idBytes = Math.ceil(bits / 8)
  }

  // The arithmetic below assumes ids in range (0 <= id < 2^m, as `fromBytes` guarantees) and
  // avoids bigint division and intermediate results: a profile of 2,000 nodes spent 14 % of
  // its time in `distance` (two `%` and four new bigints a call) and 15 % collecting them.

  /** (a + b) mod 2^m, for a and b in range (b up to 2^m). */
  add(a: bigint, b: bigint): bigint {
    const sum = a + b
    return sum >= this.size ? sum - this.size : sum
  }

  /** Clockwise distance from `from` to `to`: 0 when equal. */
  distance(from: bigint, to: bigint): bigint {
    return to >= from ? to - from : to - from + this.size
  }

  /** x in the open arc (a, b) going clockwise; when a == b the arc is the whole ring but a. */
  inOpen(x: bigint, a: bigint, b: bigint): boolean {
    if (a === b) return x !== a
    // Comparisons only: no bigint is created.
    return a < b ? a < x && x < b : a < x || x < b
  }

  /** x in the half-open arc (a, b]; when a == b the arc is the whole ring. */
  inHalfOpen(x: bigint, a: bigint, b: bigint): boolean {
    if (a === b) return true
    return a < b ? a < x && x <= b : a < x || x <= b
  }

  /** start of finger i (1-based, as in the paper): n + 2^(i-1) mod 2^m. */
  fingerStart(n: bigint, i: number): bigint {
    return this.add(n, 1n << BigInt(i - 1))
  }

  contains(id: bigint): boolean {
    return id >= 0n && id < this.size
  }

  /** Through hex text: one conversion instead of a shift and a new bigint per byte. */
  toBytes(id: bigint): Uint8Array {
    const hex = this.hex(id)
    const out = new Uint8Array(this.idBytes)
    for (let i = 0; i < out.length; i++) {
      out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1))
    }
    return out
  }

  /** The id the bytes spell, or undefined when the length is wrong or the value >= 2^m. */
  fromBytes(bytes: Uint8Array): bigint | undefined {
    if (bytes.length !== this.idBytes) return undefined
    let hex = '0x'
    for (const b of bytes) hex += HEX_BYTE[b] as string
    const v = BigInt(hex)
    return v < this.size ? v : undefined
  }

  /** The top m bits of a digest (SHA-1 for 160): how keys and addresses become ids. */
  fromDigest(digest: Uint8Array): bigint {
    let v = 0n
    for (const b of digest) v = (v << 8n) | BigInt(b)
    const extra = BigInt(digest.length * 8 - this.bits)
    return extra >= 0n ? v >> extra : v << -extra
  }

  /** Lowercase hex, ceil(m / 8) bytes wide. */
  hex(id: bigint): string {
    return id.toString(16).padStart(this.idBytes * 2, '0')
  }
}
