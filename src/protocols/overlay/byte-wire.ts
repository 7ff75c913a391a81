import { type Address, isValidPort } from '../../core/address.js'
import { fromUtf8Strict, utf8 } from '../../core/bytes.js'
import { ipToBytes, readIpv4, readIpv6 } from '../../core/ip-bytes.js'
import { err, ok, type Result } from '../../core/result.js'

/**
 * A small bounded binary writer and reader for the overlay codecs (CAN, Pastry). The reader
 * never reads past its input: every read checks the remaining length and a failed check
 * throws `WireFault`, which the codec's `decode` catches and returns as a value. Nothing here
 * allocates in proportion to a length field before that length has been checked against the
 * bytes actually present.
 */
export class WireFault extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

/** Hosts' address bytes (4 or 16), memoised: node lists repeat the same hosts endlessly. */
const HOST_BYTES = new Map<string, Uint8Array>()
function hostBytes(host: string): Uint8Array {
  let bytes = HOST_BYTES.get(host)
  if (bytes === undefined) {
    const parsed = ipToBytes(host)
    // Only the cores' own addresses are written, and those are sockets' IP literals.
    if (parsed === undefined) throw new RangeError(`not an IP literal: ${host}`)
    if (HOST_BYTES.size >= 1 << 18) HOST_BYTES.clear()
    bytes = parsed
    HOST_BYTES.set(host, bytes)
  }
  return bytes
}

export class ByteWriter {
  private buffer = new Uint8Array(256)
  private length = 0

  private room(extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < this.length + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buffer.subarray(0, this.length))
    this.buffer = next
  }

  u8(value: number): this {
    this.room(1)
    this.buffer[this.length++] = value & 0xff
    return this
  }

  u16(value: number): this {
    return this.u8(value >>> 8).u8(value)
  }

  u32(value: number): this {
    return this.u16(value >>> 16).u16(value & 0xffff)
  }

  /** A length-prefixed (u16) byte string. */
  bytes(value: Uint8Array): this {
    this.u16(value.length)
    return this.raw(value)
  }

  raw(value: Uint8Array): this {
    this.room(value.length)
    this.buffer.set(value, this.length)
    this.length += value.length
    return this
  }

  text(value: string): this {
    return this.bytes(utf8(value))
  }

  /** An address: `family u8 (4 or 6) | 4 or 16 address bytes | port u16`, as Chord's. */
  address(a: Address): this {
    const bytes = hostBytes(a.host)
    this.u8(bytes.length === 4 ? 4 : 6)
    this.room(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
    return this.u16(a.port)
  }

  /**
   * `hex.length / 2` bytes spelled by lowercase or uppercase hex text, written in place (ids
   * held as hex go out without an intermediate array a field).
   */
  hex(hex: string): this {
    const count = hex.length >>> 1
    this.room(count)
    for (let i = 0; i < count; i++) {
      this.buffer[this.length++] =
        (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1))
    }
    return this
  }

  /** Empties the writer for the next message, keeping its buffer (one writer, many encodes). */
  reset(): this {
    this.length = 0
    return this
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}

/** A hex digit's value from its character code (either case). */
const hexDigit = (code: number): number => (code <= 57 ? code - 48 : (code | 0x20) - 87)

/** windows-1252 (WHATWG "latin1"): one character a byte, every byte its own, natively fast. */
const BYTES_AS_TEXT = new TextDecoder('latin1')

export class ByteReader {
  private offset = 0

  constructor(private readonly input: Uint8Array) {}

  private need(count: number): void {
    if (this.offset + count > this.input.length) throw new WireFault('truncated')
  }

  u8(): number {
    this.need(1)
    return this.input[this.offset++] as number
  }

  u16(): number {
    return (this.u8() << 8) | this.u8()
  }

  u32(): number {
    return this.u16() * 0x10000 + this.u16()
  }

  bytes(max: number): Uint8Array {
    const length = this.u16()
    if (length > max) throw new WireFault('too_long')
    return this.raw(length)
  }

  /** Where the next read starts (for `since`). */
  get position(): number {
    return this.offset
  }

  /** Moves past `length` bytes, checked like a read. */
  skip(length: number): void {
    this.need(length)
    this.offset += length
  }

  /** Goes back to `position` (from `position`), to read again what was skipped. */
  rewind(position: number): void {
    this.offset = Math.min(position, this.offset)
  }

  /** The bytes from `position` to here as a string, one character a byte: a key for interning. */
  since(position: number): string {
    return BYTES_AS_TEXT.decode(this.input.subarray(position, this.offset))
  }

  raw(length: number): Uint8Array {
    this.need(length)
    const out = this.input.slice(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  text(max: number): string {
    const text = fromUtf8Strict(this.bytes(max))
    if (text === undefined) throw new WireFault('bad_utf8')
    return text
  }

  address(): Address {
    const family = this.u8()
    if (family !== 4 && family !== 6) throw new WireFault('bad_address')
    const size = family === 4 ? 4 : 16
    this.need(size)
    const host =
      family === 4 ? readIpv4(this.input, this.offset) : readIpv6(this.input, this.offset)
    this.offset += size
    const port = this.u16()
    if (!isValidPort(port)) throw new WireFault('bad_address')
    return { host, port }
  }

  /** A boolean byte: 0 or 1, anything else is malformed. */
  flag(): boolean {
    const b = this.u8()
    if (b > 1) throw new WireFault('bad_flag')
    return b === 1
  }

  /** One of `values`, by its index in a byte. */
  oneOf<T>(values: readonly T[]): T {
    const value = values[this.u8()]
    if (value === undefined) throw new WireFault('bad_enum')
    return value
  }

  /** A count prefix (u8) checked against `max`. */
  count(max: number): number {
    const n = this.u8()
    if (n > max) throw new WireFault('too_many')
    return n
  }

  end(): void {
    if (this.offset !== this.input.length) throw new WireFault('trailing_bytes')
  }
}

/** Why a datagram did not decode: a `WireFault` code, or `oversized`. */
export interface WireDecodeError {
  readonly code: string
}

/**
 * Decodes one datagram with `body`: refuses it above `maxBytes`, requires every byte to be
 * read, and returns a fault as a value (a hostile datagram never throws out of a codec).
 */
export function decodeDatagram<M>(
  bytes: Uint8Array,
  maxBytes: number,
  body: (r: ByteReader) => M,
): Result<M, WireDecodeError> {
  if (bytes.length > maxBytes) return err({ code: 'oversized' })
  try {
    const r = new ByteReader(bytes)
    const message = body(r)
    r.end()
    return ok(message)
  } catch (error) {
    if (error instanceof WireFault) return err({ code: error.code })
    throw error
  }
}
