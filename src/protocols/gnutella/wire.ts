/**
 * Little byte reader and writer for Gnutella payloads. Gnutella mixes byte orders: lengths,
 * ports, counts and speeds are little-endian, IPv4 addresses are in network order. The reader
 * never throws: reading past the end returns undefined, and the caller turns that into a
 * `malformed` fault.
 */
import { intToIpv4, ipv4ToInt } from '../../core/address.js'
import { concatBytes } from '../../core/bytes.js'

export class ByteReader {
  private offset = 0
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  u8(): number | undefined {
    if (this.remaining < 1) return undefined
    return this.bytes[this.offset++] as number
  }

  u16le(): number | undefined {
    if (this.remaining < 2) return undefined
    const b = this.bytes
    const value = (b[this.offset] as number) | ((b[this.offset + 1] as number) << 8)
    this.offset += 2
    return value
  }

  u32le(): number | undefined {
    if (this.remaining < 4) return undefined
    const b = this.bytes
    const o = this.offset
    const value =
      ((b[o] as number) |
        ((b[o + 1] as number) << 8) |
        ((b[o + 2] as number) << 16) |
        ((b[o + 3] as number) << 24)) >>>
      0
    this.offset += 4
    return value
  }

  ipv4(): string | undefined {
    const raw = this.take(4)
    if (raw === undefined) return undefined
    return `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}`
  }

  /** A view of the next `length` bytes (no copy). */
  take(length: number): Uint8Array | undefined {
    if (length < 0 || this.remaining < length) return undefined
    const out = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  /** Bytes up to the next NUL (excluded); the NUL is consumed. Undefined when there is none. */
  untilNul(): Uint8Array | undefined {
    const end = this.bytes.indexOf(0, this.offset)
    if (end < 0) return undefined
    const out = this.bytes.subarray(this.offset, end)
    this.offset = end + 1
    return out
  }

  rest(): Uint8Array {
    const out = this.bytes.subarray(this.offset)
    this.offset = this.bytes.length
    return out
  }
}

export class ByteWriter {
  private readonly parts: Uint8Array[] = []

  u8(value: number): this {
    this.parts.push(Uint8Array.of(value & 0xff))
    return this
  }

  u16le(value: number): this {
    this.parts.push(Uint8Array.of(value & 0xff, (value >>> 8) & 0xff))
    return this
  }

  u32le(value: number): this {
    this.parts.push(
      Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24),
    )
    return this
  }

  ipv4(host: string): this {
    const value = ipv4ToInt(host) ?? 0
    this.parts.push(
      Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff),
    )
    return this
  }

  bytes(value: Uint8Array): this {
    this.parts.push(value)
    return this
  }

  finish(): Uint8Array {
    return concatBytes(this.parts)
  }
}

export const isIpv4Text = (host: string): boolean => ipv4ToInt(host) !== undefined
export { intToIpv4 }
