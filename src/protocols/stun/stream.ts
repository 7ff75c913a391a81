import { concatBytes, readUint16BE } from '../../core/bytes.js'
import { HEADER_BYTES } from './constants.js'

/**
 * STUN over a stream (RFC 5389 section 7.2.2, RFC 8489 section 6.2.2): messages follow each
 * other with no framing of their own, each one's length known from its 20-byte header (the
 * 16-bit message length at offset 2, a multiple of 4, plus the header). A reader only has to
 * wait for that many bytes. A stream whose next bytes cannot start a STUN message (the two top
 * bits set, or a length that is not a multiple of 4) is not a STUN stream: the reader refuses
 * it and the connection should be closed.
 */
export const STUN_STREAM_MESSAGE_MAX = HEADER_BYTES + 0xfffc

export class StunStreamReader {
  private pending: Uint8Array = new Uint8Array(0)
  private brokenValue = false

  /** True once the stream carried something that is not a STUN message. */
  get broken(): boolean {
    return this.brokenValue
  }

  /** The whole messages completed by `chunk` (copies at offset 0), in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.brokenValue) return []
    const data = this.pending.length === 0 ? chunk : concatBytes([this.pending, chunk])
    const messages: Uint8Array[] = []
    let at = 0
    while (data.length - at >= 4) {
      const first = data[at] ?? 0
      const length = readUint16BE(data, at + 2)
      if ((first & 0xc0) !== 0 || length % 4 !== 0) {
        this.brokenValue = true
        this.pending = new Uint8Array(0)
        return messages
      }
      const total = HEADER_BYTES + length
      if (data.length - at < total) break
      messages.push(new Uint8Array(data.subarray(at, at + total)))
      at += total
    }
    this.pending = new Uint8Array(data.subarray(at))
    return messages
  }

  /** Bytes of a message not yet complete (at most one message). */
  get buffered(): number {
    return this.pending.length
  }
}
