import { type Address, isIPv4 } from '../../core/address.js'
import { fromUtf8Strict, utf8 } from '../../core/bytes.js'
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

/** Hosts' four octets, memoised: node lists repeat the same few thousand hosts endlessly. */
const OCTETS = new Map<string, Uint8Array>()
function ipv4Octets(host: string): Uint8Array {
  let octets = OCTETS.get(host)
  if (octets === undefined) {
    if (OCTETS.size >= 1 << 18) OCTETS.clear()
    octets = Uint8Array.from(host.split('.').map(Number))
    OCTETS.set(host, octets)
  }
  return octets
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

  /** IPv4 only: the overlays run on IPv4 (loopback and the simulator's addresses). */
  address(a: Address): this {
    const octets = ipv4Octets(a.host)
    this.room(octets.length)
    this.buffer.set(octets, this.length)
    this.length += octets.length
    return this.u16(a.port)
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}

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
    const host = [this.u8(), this.u8(), this.u8(), this.u8()].join('.')
    if (!isIPv4(host)) throw new WireFault('bad_address')
    return { host, port: this.u16() }
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
