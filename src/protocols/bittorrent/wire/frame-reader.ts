/**
 * Splits a peer's byte stream into frames: first (optionally) the 68-byte handshake, then
 * length-prefixed messages. Knows nothing about sockets or message ids.
 *
 * Memory and copies: a frame that lies inside one pushed chunk is returned as a `subarray` view
 * of it (zero-copy: the 16 KiB `piece` blocks that make up nearly all traffic). Only a frame
 * that spans chunks is copied, once, into a buffer of exactly its size, allocated when its length
 * prefix has been read and checked against `frameBytesMax`: a hostile length costs nothing. The
 * reader never modifies or reuses pushed chunks, so the views stay valid as long as the caller
 * leaves the chunks alone.
 */
import { readUint32BE } from '../../../core/bytes.js'
import { NEED_DATA, type NeedData } from '../../../core/core.js'
import { assert } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import { wireError, type WireError } from './errors.js'
import { isHandshakeStart } from './handshake.js'
import { FRAME_BYTES_CEILING, HANDSHAKE_BYTES, LENGTH_PREFIX_BYTES } from './limits.js'

export type FrameResult = Result<Uint8Array | NeedData, WireError>

/**
 * A frame handed out in two views instead of one copy: `head` (exactly the bytes asked for)
 * ends one pushed chunk, `tail` is the rest of the body, at the start of the next.
 */
export interface SplitFrame {
  readonly head: Uint8Array
  readonly tail: Uint8Array
}

export type SplitFrameResult = Result<Uint8Array | SplitFrame | NeedData, WireError>

const NEED: FrameResult = ok(NEED_DATA)
const KEEP_ALIVE: FrameResult = ok(new Uint8Array(0))
/** `\x13Bit` read as a length prefix: the peer sent a second handshake. */
const HANDSHAKE_AS_LENGTH = 0x13426974

export interface FrameReaderOptions {
  /** Expect the 68-byte BEP 3 handshake before the first length-prefixed frame. */
  readonly handshakeFirst?: boolean
}

export class FrameReader {
  /** Chunks not yet fully read; reading continues at `offset` in the first. */
  private readonly chunks: Uint8Array[] = []
  private offset = 0
  private unread = 0
  private awaitingHandshake: boolean
  /** Length of the frame being read, or -1 while its length prefix is still to come. */
  private bodyLength = -1
  /** The frame being assembled from several chunks. */
  private partial: Uint8Array | undefined = undefined
  private partialFilled = 0
  private failure: WireError | undefined = undefined
  private frameBytesMax = 0
  /** The body being read is the handshake's (never split: it is decoded whole). */
  private handshakeBody = false

  constructor(frameBytesMax: number, options: FrameReaderOptions = {}) {
    this.setFrameBytesMax(frameBytesMax)
    this.awaitingHandshake = options.handshakeFirst ?? false
  }

  /** Changes the bound for frames whose length prefix has not been read yet. */
  setFrameBytesMax(frameBytesMax: number): void {
    assert(
      Number.isInteger(frameBytesMax) && frameBytesMax > 0 && frameBytesMax <= FRAME_BYTES_CEILING,
      `frameBytesMax ${frameBytesMax} not in 1..${FRAME_BYTES_CEILING}`,
    )
    this.frameBytesMax = frameBytesMax
  }

  /** Bytes received and not yet returned as frames (for receive backpressure). */
  get bufferedBytes(): number {
    return this.unread + this.partialFilled
  }

  /** Appends a chunk. Do not modify it afterwards: frames may be views into it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.unread += chunk.length
  }

  /**
   * The next frame without its length prefix (the handshake comes whole; a keep-alive is an
   * empty frame), `NEED_DATA` until one is complete, or an error. Errors are final: every later
   * call returns the same one.
   */
  next(): FrameResult {
    if (this.failure !== undefined) return err(this.failure)
    if (this.bodyLength < 0) {
      const early = this.awaitingHandshake ? this.startHandshake() : this.startFrame()
      if (early !== undefined) return early
    }
    return this.partial === undefined ? this.readBody() : this.fillPartial()
  }

  /**
   * As `next`, except that a frame whose first `headBytes` body bytes end one pushed chunk,
   * and whose rest begins the next, comes back as a `SplitFrame` of two views, not a copy.
   * A sender that writes a `piece` head and its block as separate buffers (our outbox does)
   * and a transport that keeps write boundaries (the simulator) meet this case on every block.
   */
  nextSplitAt(headBytes: number): SplitFrameResult {
    if (this.failure !== undefined) return err(this.failure)
    if (this.bodyLength < 0) {
      const early = this.awaitingHandshake ? this.startHandshake() : this.startFrame()
      if (early !== undefined) return early
    }
    if (this.partial === undefined && !this.handshakeBody) {
      const split = this.splitBody(headBytes)
      if (split === NEED_DATA) return NEED
      if (split !== undefined) return ok(split)
    }
    return this.partial === undefined ? this.readBody() : this.fillPartial()
  }

  /** A split frame, NEED while its second view may still come, or undefined: read as usual. */
  private splitBody(headBytes: number): SplitFrame | NeedData | undefined {
    const head = this.chunks[0]
    if (head === undefined) return undefined
    const length = this.bodyLength
    const inHead = head.length - this.offset
    if (inHead !== headBytes || length <= headBytes) return undefined
    const next = this.chunks[1]
    // The head ends its chunk exactly: wait for the next chunk rather than start a copy.
    if (next === undefined) return NEED_DATA
    if (next.length < length - headBytes) return undefined
    const frame: SplitFrame = {
      head: head.subarray(this.offset),
      tail: next.subarray(0, length - headBytes),
    }
    this.consume(inHead)
    this.consume(length - headBytes)
    this.bodyLength = -1
    return frame
  }

  /** Checks pstrlen as soon as it arrives, so a non-BitTorrent peer fails at once. */
  private startHandshake(): FrameResult | undefined {
    const head = this.chunks[0]
    if (head === undefined) return NEED
    const pstrlen = head[this.offset] as number
    if (!isHandshakeStart(pstrlen)) return this.fail(wireError('bad_pstr', `pstrlen ${pstrlen}`))
    this.awaitingHandshake = false
    this.handshakeBody = true
    this.bodyLength = HANDSHAKE_BYTES
    return undefined
  }

  private startFrame(): FrameResult | undefined {
    if (this.unread < LENGTH_PREFIX_BYTES) return NEED
    const length = this.readLength()
    if (length === HANDSHAKE_AS_LENGTH) {
      return this.fail(wireError('unexpected_handshake', 'a second handshake'))
    }
    if (length > this.frameBytesMax) {
      return this.fail(wireError('frame_too_large', `${length} bytes over ${this.frameBytesMax}`))
    }
    if (length === 0) return KEEP_ALIVE
    this.bodyLength = length
    return undefined
  }

  /** The 4-byte prefix; the caller has checked that it is buffered. */
  private readLength(): number {
    const head = this.chunks[0] as Uint8Array
    if (head.length - this.offset >= LENGTH_PREFIX_BYTES) {
      const length = readUint32BE(head, this.offset)
      this.consume(LENGTH_PREFIX_BYTES)
      return length
    }
    let length = 0
    for (let i = 0; i < LENGTH_PREFIX_BYTES; i++) {
      length = length * 256 + ((this.chunks[0] as Uint8Array)[this.offset] as number)
      this.consume(1)
    }
    return length
  }

  /** A view when the whole body is in the first chunk; otherwise starts a copy. */
  private readBody(): FrameResult {
    const head = this.chunks[0]
    if (head === undefined) return NEED
    const length = this.bodyLength
    if (head.length - this.offset >= length) {
      const frame = head.subarray(this.offset, this.offset + length)
      this.consume(length)
      this.bodyLength = -1
      this.handshakeBody = false
      return ok(frame)
    }
    this.partial = new Uint8Array(length)
    this.partialFilled = 0
    return this.fillPartial()
  }

  private fillPartial(): FrameResult {
    const partial = this.partial as Uint8Array
    while (this.partialFilled < partial.length) {
      const head = this.chunks[0]
      if (head === undefined) return NEED
      const take = Math.min(head.length - this.offset, partial.length - this.partialFilled)
      partial.set(head.subarray(this.offset, this.offset + take), this.partialFilled)
      this.partialFilled += take
      this.consume(take)
    }
    this.partial = undefined
    this.partialFilled = 0
    this.bodyLength = -1
    this.handshakeBody = false
    return ok(partial)
  }

  private consume(bytes: number): void {
    this.offset += bytes
    this.unread -= bytes
    if (this.offset === (this.chunks[0] as Uint8Array).length) {
      this.chunks.shift()
      this.offset = 0
    }
  }

  private fail(error: WireError): FrameResult {
    this.failure = error
    return err(error)
  }
}
