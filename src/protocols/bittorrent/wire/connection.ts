/**
 * One peer wire connection, h11-shaped (B5): the swarm core feeds it received bytes and pulls
 * messages until `NEED_DATA`, and queues messages whose bytes it then takes for the driver.
 * It only frames and codes: it knows whether the handshakes happened and counts bytes, and
 * leaves every choking, request and extension decision to the swarm core.
 *
 * States: `awaiting_handshake` until the peer's 68-byte handshake arrives, then `open`; any
 * remote fault moves it to `failed` for good (close the connection). Our own side must `send`
 * the handshake before anything else; breaking that order is a programmer error and throws.
 */
import { NEED_DATA, type NeedData, type StreamConnection } from '../../../core/core.js'
import { assert } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { Instant } from '../../../core/time.js'
import { decodeMessage, decodeSplitMessage, PIECE_HEAD_BYTES } from './codec.js'
import type { WireError } from './errors.js'
import { FrameReader } from './frame-reader.js'
import { decodeHandshake } from './handshake.js'
import { frameBytesMaxFor, LENGTH_PREFIX_BYTES, type FrameLimits } from './limits.js'
import type { Handshake, WireMessage } from './messages.js'
import { Outbox } from './outbox.js'

const NEED = ok(NEED_DATA)

export type PeerWireState = 'awaiting_handshake' | 'open' | 'failed'

/**
 * Bytes moved, split for rate measurement: *payload* is `piece` block data, the only bytes
 * that count toward download and upload rates (BEP 3 tit-for-tat); *protocol* is everything
 * else (handshake, length prefixes, ids, other messages, ut_metadata). Counted when a message is
 * decoded or queued; bytes of a frame still arriving are not counted yet.
 */
export interface WireByteCounters {
  payloadBytesDown: number
  protocolBytesDown: number
  payloadBytesUp: number
  protocolBytesUp: number
}

export class PeerWireConnection implements StreamConnection<WireMessage, WireMessage, WireError> {
  private readonly reader: FrameReader
  private readonly outbox = new Outbox()
  private limits: FrameLimits
  private peerHandshake: Handshake | undefined = undefined
  private handshakeSent = false
  private failure: WireError | undefined = undefined
  private lastReceived: Instant | undefined = undefined
  private readonly counters: WireByteCounters = {
    payloadBytesDown: 0,
    protocolBytesDown: 0,
    payloadBytesUp: 0,
    protocolBytesUp: 0,
  }

  /** `limits` bound incoming frames; see `frameBytesMaxFor` for what each contributes. */
  constructor(limits: FrameLimits = {}) {
    this.limits = limits
    this.reader = new FrameReader(frameBytesMaxFor(limits), { handshakeFirst: true })
  }

  get state(): PeerWireState {
    if (this.failure !== undefined) return 'failed'
    return this.peerHandshake === undefined ? 'awaiting_handshake' : 'open'
  }

  /** The peer's handshake, once received. */
  get remoteHandshake(): Handshake | undefined {
    return this.peerHandshake
  }

  /** Live counters (the same object every time; read, do not keep a copy to compare). */
  get byteCounters(): Readonly<WireByteCounters> {
    return this.counters
  }

  /** When bytes last arrived, for the swarm's keep-alive and idle timeouts. */
  get lastReceivedAt(): Instant | undefined {
    return this.lastReceived
  }

  /** Bytes queued by `send` and not yet taken: the swarm's send-side backpressure signal. */
  get outboxBytes(): number {
    return this.outbox.bytes
  }

  /** Received bytes not yet returned as messages: the swarm's receive-side backpressure. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes
  }

  /**
   * Call once the piece count is known (a magnet link's metadata arrived), to tighten the frame
   * bound from the largest possible bitfield to this torrent's.
   */
  setPieceCount(pieceCount: number): void {
    this.limits = { ...this.limits, pieceCount }
    this.reader.setFrameBytesMax(frameBytesMaxFor(this.limits))
  }

  /** Call for every chunk read from the socket, then drain `nextMessage`. Keep `chunk` intact. */
  receiveBytes(now: Instant, chunk: Uint8Array): void {
    this.lastReceived = now
    this.reader.push(chunk)
  }

  /**
   * The next message (the peer's handshake first), `NEED_DATA` when the bytes so far hold no
   * complete one, or a remote fault. After a fault every call returns it again.
   */
  nextMessage(): Result<WireMessage | NeedData, WireError> {
    if (this.failure !== undefined) return err(this.failure)
    // A `piece` whose block arrived as its own buffer is decoded from two views, uncopied.
    const frame = this.reader.nextSplitAt(PIECE_HEAD_BYTES)
    if (!frame.ok) return this.fail(frame.error)
    const bytes = frame.value
    if (bytes === NEED_DATA) return NEED
    if (!(bytes instanceof Uint8Array)) {
      const message = decodeSplitMessage(bytes.head, bytes.tail)
      if (!message.ok) return this.fail(message.error)
      const length = bytes.head.length + bytes.tail.length
      const payload = message.value.type === 'piece' ? message.value.block.length : 0
      this.counters.payloadBytesDown += payload
      this.counters.protocolBytesDown += LENGTH_PREFIX_BYTES + length - payload
      return message
    }
    if (this.peerHandshake === undefined) {
      const handshake = decodeHandshake(bytes)
      if (!handshake.ok) return this.fail(handshake.error)
      this.peerHandshake = handshake.value
      this.counters.protocolBytesDown += bytes.length
      return handshake
    }
    const message = decodeMessage(bytes)
    if (!message.ok) return this.fail(message.error)
    const payload = message.value.type === 'piece' ? message.value.block.length : 0
    this.counters.payloadBytesDown += payload
    this.counters.protocolBytesDown += LENGTH_PREFIX_BYTES + bytes.length - payload
    return message
  }

  /**
   * Queues `message` (our handshake first, exactly once). Byte fields are referenced, not
   * copied: do not modify a block after sending it.
   */
  send(message: WireMessage): void {
    const isHandshake = message.type === 'handshake'
    assert(isHandshake !== this.handshakeSent, isHandshake ? 'second handshake' : 'no handshake')
    const size = this.outbox.write(message)
    this.handshakeSent = true
    const payload = message.type === 'piece' ? message.block.length : 0
    this.counters.payloadBytesUp += payload
    this.counters.protocolBytesUp += size - payload
  }

  /** Everything `send` queued, in order, for the driver to write (as one writev if it can). */
  takeOutbox(): Uint8Array[] {
    return this.outbox.take()
  }

  private fail(error: WireError): Result<never, WireError> {
    this.failure = error
    return err(error)
  }
}
