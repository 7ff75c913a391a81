/**
 * Bounds-checked reading of cell bodies. Every read past the end sets `failed` instead of
 * throwing, so decoders check once at the end and hostile input never crashes them.
 */
export class ByteReader {
  private offset = 0
  failed = false

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  u8(): number {
    return this.take(1)[0] ?? 0
  }

  u16(): number {
    const b = this.take(2)
    return ((b[0] ?? 0) << 8) | (b[1] ?? 0)
  }

  u32(): number {
    const b = this.take(4)
    return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) {
      this.failed = true
      this.offset = this.bytes.length
      return new Uint8Array(length < 0 ? 0 : length)
    }
    const out = this.bytes.slice(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  rest(): Uint8Array {
    return this.take(this.remaining)
  }
}

/** Concatenates fixed-width fields while encoding. */
export class ByteWriter {
  private readonly parts: number[] = []

  u8(value: number): this {
    this.parts.push(value & 0xff)
    return this
  }

  u16(value: number): this {
    return this.u8(value >>> 8).u8(value)
  }

  u32(value: number): this {
    return this.u8(value >>> 24)
      .u8(value >>> 16)
      .u8(value >>> 8)
      .u8(value)
  }

  bytes(value: Uint8Array): this {
    for (const byte of value) this.parts.push(byte)
    return this
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}
