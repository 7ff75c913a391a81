/**
 * Splits a Gnutella byte stream (after the handshake) into descriptors. A payload length over
 * `payloadBytesMax` is fatal (the stream cannot be resynchronised, and buffering it is how a
 * hostile peer would take our memory); a payload that does not parse is dropped as a fault
 * and reading goes on with the next descriptor.
 */
import { NEED_DATA, type NeedData } from '../../core/core.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeBody, decodeHeader, HEADER_BYTES } from './descriptor-codec.js'
import type { Descriptor } from './messages.js'

export type FrameItem =
  | { readonly kind: 'descriptor'; readonly descriptor: Descriptor; readonly bytes: number }
  | { readonly kind: 'bad_payload'; readonly fault: RemoteFault; readonly bytes: number }

export class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0)

  constructor(private readonly payloadBytesMax: number) {}

  push(chunk: Uint8Array): void {
    if (this.buffer.length === 0) {
      this.buffer = chunk
      return
    }
    const joined = new Uint8Array(this.buffer.length + chunk.length)
    joined.set(this.buffer, 0)
    joined.set(chunk, this.buffer.length)
    this.buffer = joined
  }

  get buffered(): number {
    return this.buffer.length
  }

  /** The next descriptor, a dropped bad payload, NEED_DATA, or a fatal fault. */
  next(): Result<FrameItem | NeedData, RemoteFault> {
    if (this.buffer.length < HEADER_BYTES) return ok(NEED_DATA)
    const header = decodeHeader(this.buffer)
    if (header.payloadLength > this.payloadBytesMax) {
      return err({
        code: 'limit_exceeded',
        detail: `payload of ${header.payloadLength} bytes (max ${this.payloadBytesMax})`,
      })
    }
    const total = HEADER_BYTES + header.payloadLength
    if (this.buffer.length < total) return ok(NEED_DATA)
    const payload = this.buffer.subarray(HEADER_BYTES, total)
    this.buffer = this.buffer.subarray(total)
    const decoded = decodeBody(header, payload)
    return ok(
      decoded.ok
        ? { kind: 'descriptor', descriptor: decoded.value, bytes: total }
        : { kind: 'bad_payload', fault: decoded.error, bytes: total },
    )
  }
}
