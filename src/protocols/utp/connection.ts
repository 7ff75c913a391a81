import type { Instant } from '../../core/time.js'
import { encodePacket, PacketType, type UtpPacket } from './header.js'
import { ReceiveBuffer } from './receive-buffer.js'
import { micros32, seqAdd } from './seq.js'
import { UtpSender } from './sender.js'
import {
  DEFAULT_UTP_CONFIG,
  SEND_HIGH_WATER_BYTES,
  type UtpCloseReason,
  type UtpConfig,
  type UtpEvent,
} from './config.js'

/**
 * One uTP connection (BEP 29), sans-IO: packets and time go in, encoded packets and events
 * come out (`takePackets`, `takeEvents`); the driver sends the one and acts on the other, and
 * calls `timeout` at `nextTimeout()`.
 *
 * Connection ids: the initiator picks `recvId` at random and sends with `sendId = recvId + 1`;
 * its SYN carries `recvId`. The acceptor of a SYN with id X receives on X + 1 and sends on X.
 * Sequence numbers: the SYN takes the initiator's first one; the acceptor answers with a
 * STATE whose `seq` is the first it will use for data (so the initiator's `ack` starts at that
 * minus one), as libutp and libtorrent do. DATA and FIN take a sequence number; STATE does not.
 *
 * Packet size: data is cut to what path MTU discovery (pmtu.ts) has confirmed. A probe is a
 * DATA packet of the normal size padded (an extension the far side skips) to the size under
 * test, so when it is lost its data goes again unpadded, in a packet the path carries.
 *
 * The sending half (windows, acks, retransmission, re-cutting after a black hole) is
 * `UtpSender` (sender.ts); this class is the handshake, the receiving half and the close.
 */

export class UtpConnection extends UtpSender {
  readonly recvId: number
  /** Set when the close came from our side (`end`, `reset`): the first cause wins. */
  private closeReason: UtpCloseReason | undefined

  private synSeq = 0
  private readonly inbound: ReceiveBuffer
  private advertisedWindow: number
  private replyMicros = 0
  private ackDue = false
  private lastSent: Instant
  private synResends = 0
  private readonly packets: Uint8Array[] = []

  private constructor(
    config: UtpConfig,
    recvId: number,
    sendId: number,
    seqNr: number,
    now: Instant,
  ) {
    super(config, sendId, seqNr)
    this.recvId = recvId
    this.lastSent = now
    this.advertisedWindow = config.receiveBufferBytes
    this.inbound = new ReceiveBuffer(config.reorderPacketsMax, (event) => this.events.push(event))
  }

  /** Opens a connection: queues the SYN. `recvId` is random, 16 bits. */
  static connect(
    recvId: number,
    now: Instant,
    config: UtpConfig = DEFAULT_UTP_CONFIG,
  ): UtpConnection {
    const connection = new UtpConnection(config, recvId & 0xffff, (recvId + 1) & 0xffff, 1, now)
    connection.synSeq = 1
    connection.seqNr = 2
    connection.sendSyn(now)
    return connection
  }

  /** Answers a SYN: queues the STATE that accepts it. `initialSeq` is random, 16 bits. */
  static accept(
    syn: UtpPacket,
    initialSeq: number,
    now: Instant,
    config: UtpConfig = DEFAULT_UTP_CONFIG,
  ): UtpConnection {
    const connection = new UtpConnection(
      config,
      (syn.connectionId + 1) & 0xffff,
      syn.connectionId,
      initialSeq & 0xffff,
      now,
    )
    connection.state = 'connected'
    connection.inbound.ackNr = syn.seq
    connection.notePeer(syn, now)
    connection.sendState(now)
    return connection
  }

  /** The UDP payload of a full data packet now (what path MTU discovery has confirmed). */
  get packetBytes(): number {
    return this.pmtu.current
  }

  /**
   * A path MTU learned outside the connection (the kernel's, from ICMP "fragmentation needed"),
   * as the UDP payload it allows: no probe goes above it until the next re-probe.
   */
  pathMtuHint(packetBytes: number): void {
    this.pmtu.hint(packetBytes)
  }

  /** Bytes written but not yet packetized. */
  get bufferedBytes(): number {
    return this.unsent.bytes
  }

  get bytesInFlight(): number {
    return this.inFlightBytes
  }

  // --- the application side -------------------------------------------------------------

  /** Queues bytes; false when the unsent queue is above the high-water mark. */
  write(bytes: Uint8Array, now: Instant): boolean {
    if (this.state === 'closed' || this.localEnding) return true
    if (bytes.length > 0) {
      this.unsent.push(bytes)
    }
    this.pump(now)
    const full = this.unsent.bytes > SEND_HIGH_WATER_BYTES
    if (full) this.blockedWriter = true
    return !full
  }

  /** Graceful close: what is queued goes out, then a FIN. */
  end(now: Instant): void {
    if (this.state === 'closed' || this.localEnding) return
    this.localEnding = true
    // After the far side's FIN this is the automatic answer (no half-open streams): 'end'.
    this.closeReason ??= this.inbound.remoteEnded ? 'end' : 'local'
    this.pump(now)
  }

  /** Abortive close: a RESET, and the connection is gone. */
  reset(now: Instant): void {
    if (this.state === 'closed') return
    this.emitPacket(PacketType.reset, this.seqNr, new Uint8Array(), now)
    this.close('local')
  }

  /** The reader consumed `bytes` of what `data` events delivered: the window reopens. */
  consumed(bytes: number, now: Instant): void {
    this.inbound.consumed(bytes)
    const before = this.advertisedWindow
    const after = this.receiveWindow()
    // A sender stalled on our closed window learns at once that it may go on.
    if (before < this.packetBytes && after >= this.packetBytes) this.sendState(now)
  }

  // --- the network side -------------------------------------------------------------------

  receive(packet: UtpPacket, now: Instant): void {
    if (this.state === 'closed') {
      // Our last ack of their FIN may have been lost: ack the resent FIN again.
      if (packet.type === PacketType.fin && this.inbound.remoteEnded) this.sendState(now)
      return
    }
    if (packet.type === PacketType.reset) return this.close('reset')
    if (packet.type === PacketType.syn) {
      // Our STATE answering it was lost: answer again.
      if (packet.seq === this.inbound.ackNr) this.ackDue = true
      return
    }
    if (this.state === 'syn_sent') {
      if (packet.ack !== this.synSeq) return
      this.state = 'connected'
      this.inbound.ackNr = seqAdd(packet.seq, -1)
      this.events.push({ type: 'connected' })
    }
    this.notePeer(packet, now)
    this.handleAck(packet, now)
    // The far side's answer to our ack request: what it lacks is now known.
    if (this.repacketizePending && packet.type === PacketType.state) this.repacketize()
    if (packet.type === PacketType.data || packet.type === PacketType.fin) {
      this.ackDue = true
      this.inbound.receive(packet)
    }
    this.pump(now)
    this.maybeFinish(now)
  }

  /** Sends what is due now: a pending ack, packets the windows allow. */
  flush(now: Instant): void {
    if (this.state === 'closed') return
    this.pump(now)
    if (this.ackDue) this.sendState(now)
  }

  nextTimeout(): Instant | undefined {
    if (this.state === 'closed') return undefined
    const keepalive = (this.lastSent + this.config.keepaliveMs) as Instant
    if (this.retransmitAt === undefined) return keepalive
    return this.retransmitAt < keepalive ? this.retransmitAt : keepalive
  }

  timeout(now: Instant): void {
    if (this.state === 'closed') return
    if (this.retransmitAt !== undefined && now >= this.retransmitAt) this.retransmitTimeout(now)
    if (this.isClosed()) return
    if (now >= this.lastSent + this.config.keepaliveMs) this.sendState(now)
  }

  /** A method rather than a field test, so that narrowing does not survive a call that closes. */
  isClosed(): boolean {
    return this.state === 'closed'
  }

  takePackets(): Uint8Array[] {
    return this.packets.splice(0)
  }

  takeEvents(): UtpEvent[] {
    return this.events.splice(0)
  }

  // --- internals ----------------------------------------------------------------------------

  private sendSyn(now: Instant): void {
    this.emitPacket(PacketType.syn, this.synSeq, new Uint8Array(), now, this.recvId)
    this.retransmitAt = (now + this.rtt.rto) as Instant
  }

  private retransmitTimeout(now: Instant): void {
    this.rtt.backOff()
    if (this.state === 'syn_sent') {
      if (++this.synResends > this.config.synResendsMax) return this.close('timeout')
      return this.sendSyn(now)
    }
    this.dataTimedOut(now)
  }

  private notePeer(packet: UtpPacket, now: Instant): void {
    this.replyMicros = (micros32(now) - packet.timestampMicros) >>> 0
    this.peerWindow = packet.windowBytes
    this.ledbat.delaySample(now, packet.timestampDiffMicros)
  }

  private sendState(now: Instant): void {
    this.emitPacket(PacketType.state, this.seqNr, new Uint8Array(), now)
  }

  protected emitPacket(
    type: PacketType,
    seq: number,
    payload: Uint8Array,
    now: Instant,
    connectionId = this.sendId,
    paddingBytes = 0,
  ): void {
    const window = this.receiveWindow()
    const selectiveAck = type === PacketType.state ? this.inbound.selectiveAck() : undefined
    this.packets.push(
      encodePacket(
        {
          type,
          connectionId,
          timestampMicros: micros32(now),
          timestampDiffMicros: this.replyMicros,
          windowBytes: window,
          seq,
          ack: this.inbound.ackNr,
          ...(selectiveAck === undefined ? {} : { selectiveAck }),
          payload,
        },
        paddingBytes,
      ),
    )
    this.lastSent = now
    // Every packet carries the ack, so a pending bare ack is no longer needed.
    this.ackDue = false
  }

  private receiveWindow(): number {
    const window = Math.max(0, this.config.receiveBufferBytes - this.inbound.heldBytes)
    this.advertisedWindow = window
    return window
  }

  /** Both FINs through (ours acked, theirs delivered): the connection is done. */
  private maybeFinish(now: Instant): void {
    if (this.state === 'closed') return
    if (!(this.inbound.remoteEnded && this.finSent && this.finAcked)) return
    // Their FIN must hear its ack, or they would resend it into a closed connection.
    if (this.ackDue) this.sendState(now)
    this.close(this.closeReason ?? 'end')
  }

  protected close(reason: UtpCloseReason): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.retransmitAt = undefined
    this.events.push({ type: 'closed', reason })
  }
}
