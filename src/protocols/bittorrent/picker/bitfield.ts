import { assert } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'

/**
 * A fixed-length set of piece indices, stored in BitTorrent wire order (BEP 3 `bitfield`: the
 * high bit of byte 0 is piece 0) so that `toBytes` and `fromBytes` are plain copies. The count
 * of set bits is kept up to date on every change, so `count`, `hasAll` and `isEmpty` are O(1);
 * `nextSet` skips zero bytes, so walking a sparse field costs O(bytes / 8 + set bits).
 */
export class Bitfield {
  private readonly bits: Uint8Array
  private setCount = 0

  /** An empty field of `length` pieces. */
  constructor(readonly length: number) {
    assert(Number.isSafeInteger(length) && length >= 0, `bad bitfield length ${length}`)
    this.bits = new Uint8Array(Math.ceil(length / 8))
  }

  /** A field with every piece set: what a seed (or BEP 6 `have_all`) advertises. */
  static full(length: number): Bitfield {
    const field = new Bitfield(length)
    field.bits.fill(0xff)
    const spare = field.bits.length * 8 - length
    // Spare bits of the last byte stay zero, as the wire format requires.
    if (spare > 0) field.bits[field.bits.length - 1] = (0xff << spare) & 0xff
    field.setCount = length
    return field
  }

  /** A field with exactly the given pieces set. */
  static of(length: number, indices: Iterable<number>): Bitfield {
    const field = new Bitfield(length)
    for (const index of indices) field.set(index)
    return field
  }

  /**
   * Parses a peer's `bitfield` payload. A wrong length or a set spare bit is a remote fault
   * (BEP 3: "clients should drop the connection"), so it is a value, never an exception.
   */
  static fromBytes(bytes: Uint8Array, length: number): Result<Bitfield, string> {
    const expected = Math.ceil(length / 8)
    if (bytes.length !== expected) {
      return err(`bitfield has ${bytes.length} bytes, expected ${expected}`)
    }
    const spare = expected * 8 - length
    if (spare > 0 && ((bytes[expected - 1] as number) & ((1 << spare) - 1)) !== 0) {
      return err('bitfield has spare bits set')
    }
    const field = new Bitfield(length)
    field.bits.set(bytes)
    let count = 0
    for (const byte of field.bits) count += popcount8(byte)
    field.setCount = count
    return ok(field)
  }

  /** The wire payload (a copy, so the caller may hand it to a socket). */
  toBytes(): Uint8Array {
    return this.bits.slice()
  }

  copy(): Bitfield {
    const field = new Bitfield(this.length)
    field.bits.set(this.bits)
    field.setCount = this.setCount
    return field
  }

  get(index: number): boolean {
    return (((this.bits[index >> 3] as number) >> (7 - (index & 7))) & 1) === 1
  }

  /** Sets a piece; returns true if it was not set before. */
  set(index: number): boolean {
    this.checkIndex(index)
    const mask = 0x80 >> (index & 7)
    const byte = this.bits[index >> 3] as number
    if ((byte & mask) !== 0) return false
    this.bits[index >> 3] = byte | mask
    this.setCount++
    return true
  }

  /** Clears a piece; returns true if it was set before. */
  clear(index: number): boolean {
    this.checkIndex(index)
    const mask = 0x80 >> (index & 7)
    const byte = this.bits[index >> 3] as number
    if ((byte & mask) === 0) return false
    this.bits[index >> 3] = byte & ~mask
    this.setCount--
    return true
  }

  get count(): number {
    return this.setCount
  }

  hasAll(): boolean {
    return this.setCount === this.length
  }

  isEmpty(): boolean {
    return this.setCount === 0
  }

  /** The lowest set index at or after `from`, or -1. Skips zero bytes whole. */
  nextSet(from: number): number {
    if (from >= this.length) return -1
    let byteIndex = from >> 3
    // Mask off the bits before `from` in the first byte.
    let byte = (this.bits[byteIndex] as number) & (0xff >> (from & 7))
    while (byte === 0) {
      byteIndex++
      if (byteIndex >= this.bits.length) return -1
      byte = this.bits[byteIndex] as number
    }
    // clz32 of a byte counts 24 leading zeros of padding first.
    return byteIndex * 8 + Math.clz32(byte) - 24
  }

  /** The set indices in ascending order. */
  *ones(): IterableIterator<number> {
    for (let i = this.nextSet(0); i !== -1; i = this.nextSet(i + 1)) yield i
  }

  equals(other: Bitfield): boolean {
    if (other.length !== this.length || other.setCount !== this.setCount) return false
    for (let i = 0; i < this.bits.length; i++) if (this.bits[i] !== other.bits[i]) return false
    return true
  }

  private checkIndex(index: number): void {
    assert(Number.isInteger(index) && index >= 0 && index < this.length, `bad piece ${index}`)
  }
}

function popcount8(byte: number): number {
  let v = byte - ((byte >> 1) & 0x55)
  v = (v & 0x33) + ((v >> 2) & 0x33)
  return (v + (v >> 4)) & 0x0f
}
