/**
 * RFC 4571 framing, as RFC 6544 section 3 requires for ICE over TCP: every STUN message and
 * every application datagram on the stream is preceded by its length in two bytes (network
 * order), so the stream carries the same messages a UDP flow would. At most 65,535 bytes a frame.
 */
import { concatBytes, readUint16BE, writeUint16BE } from '../../core/bytes.js'

export const RFC4571_FRAME_MAX = 0xffff
const HEADER = 2

/** One frame: the length prefix and the bytes. Throws for more than 65,535 bytes (a bug). */
export function frameRfc4571(bytes: Uint8Array): Uint8Array {
  if (bytes.length > RFC4571_FRAME_MAX) throw new RangeError('an RFC 4571 frame holds 65535 bytes')
  const out = new Uint8Array(HEADER + bytes.length)
  writeUint16BE(out, 0, bytes.length)
  out.set(bytes, HEADER)
  return out
}

/**
 * Splits a byte stream into frames, whatever the reads' boundaries. A frame held back waits
 * for its last byte; `buffered` is bounded by one frame (65,537 bytes), so a peer cannot make
 * it grow without bound. Never throws: any bytes are some sequence of frames.
 */
export class Rfc4571Deframer {
  private pending: Uint8Array = new Uint8Array(0)

  /**
   * The frames completed by `chunk`, in order. Copies at offset 0, never views: the caller
   * may reuse its buffer (Node's Buffer.slice is a view), and the STUN codec wants offset 0.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.pending.length === 0 ? chunk : concatBytes([this.pending, chunk])
    const frames: Uint8Array[] = []
    let at = 0
    while (data.length - at >= HEADER) {
      const length = readUint16BE(data, at)
      if (data.length - at - HEADER < length) break
      frames.push(new Uint8Array(data.subarray(at + HEADER, at + HEADER + length)))
      at += HEADER + length
    }
    this.pending = new Uint8Array(data.subarray(at))
    return frames
  }

  /** Bytes of a frame not yet complete. */
  get buffered(): number {
    return this.pending.length
  }
}
