import type { Instant } from '../../core/time.js'
import { encodePacket, HEADER_BYTES, PacketType, type UtpPacket } from './header.js'
import { Ledbat } from './ledbat.js'
import { PmtuSearch } from './pmtu.js'
import { RttEstimator } from './rtt.js'
import { ReceiveBuffer } from './receive-buffer.js'
import { SELECTIVE_ACK_BYTES_MAX, selectivelyAcked } from './selective-ack.js'
import { micros32, seqAdd, seqBefore, seqDistance } from './seq.js'
import { SendQueue } from './send-queue.js'
import {
  DEFAULT_UTP_CONFIG,
  SEND_HIGH_WATER_BYTES,
  type UtpCloseReason,
  type UtpConfig,
  type UtpEvent,
  type UtpState,
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
 */

interface Outgoing {
  readonly seq: number
  readonly type: PacketType
  readonly payload: Uint8Array
  sentAt: Instant
  transmissions: number
  /** Selectively acked: not in flight, not to be resent, awaiting the cumulative ack. */
  sacked: boolean
  /** Set once a fast retransmit resent it, so three more sacks do not resend it again. */
  fastResent: boolean
  /** The size it was padded to as a path MTU probe, until its fate (acked or lost) is known. */
  probeBytes: number | undefined
}

export class UtpConnection {
  state: UtpState
  readonly recvId: number
  readonly sendId: number
  readonly ledbat: Ledbat
  readonly rtt = new RttEstimator()
  readonly pmtu: PmtuSearch
  /** Set when the close came from our side (`end`, `reset`): the first cause wins. */
  private closeReason: UtpCloseReason | undefined

  private seqNr: number
  private synSeq = 0
  private readonly outstanding: Outgoing[] = []
  private inFlightBytes = 0
  private readonly unsent = new SendQueue()
  private blockedWriter = false
  private peerWindow: number
  private lastAckSeen = -1
  private duplicateAcks = 0

  private readonly inbound: ReceiveBuffer
  private advertisedWindow: number
  private localEnding = false
  private finSent = false
  private finAcked = false
  private replyMicros = 0
  private ackDue = false
  private lastSent: Instant
  private retransmitAt: Instant | undefined
  private synResends = 0
  /**
   * Set after a black hole while we wait for the far side's ack of an ack request: the
   * packets it does not have are then cut again at the size the path now carries.
   */
  private repacketizePending = false

  private readonly packets: Uint8Array[] = []
  private readonly events: UtpEvent[] = []

  private constructor(
    private readonly config: UtpConfig,
    recvId: number,
    sendId: number,
    seqNr: number,
    now: Instant,
  ) {
    this.recvId = recvId
    this.sendId = sendId
    this.seqNr = seqNr
    this.state = 'syn_sent'
    this.lastSent = now
    this.pmtu = new PmtuSearch({
      floorBytes: config.packetBytesFloor,
      ceilingBytes: config.packetBytesCeiling,
    })
    this.ledbat = new Ledbat({
      packetBytes: config.packetBytesCeiling,
      windowBytesMax: config.sendWindowBytesMax,
    })
    this.peerWindow = config.packetBytesCeiling
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

  get payloadBytesMax(): number {
    return this.pmtu.current - HEADER_BYTES
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
    const oldest = this.outstanding.find((o) => !o.sacked)
    if (oldest === undefined) {
      // Nothing in flight: a zero window probe, so a lost window update cannot stall us.
      this.retransmitAt = undefined
      if (this.unsent.bytes > 0 || (this.localEnding && !this.finSent)) {
        this.peerWindow = Math.max(this.peerWindow, this.payloadBytesMax)
        this.pump(now)
      }
      return
    }
    if (oldest.transmissions > this.config.resendsMax) return this.close('timeout')
    if (this.repacketizePending) {
      oldest.transmissions++
      return this.requestAck(oldest, now)
    }
    if (
      oldest.probeBytes !== undefined &&
      this.outstanding.every((o) => o === oldest || o.sacked)
    ) {
      // Only the probe went unanswered: its size does not fit; the path is not congested.
      this.resend(oldest, now)
      this.retransmitAt = (now + this.rtt.rto) as Instant
      return
    }
    if (this.pmtu.timedOut(HEADER_BYTES + oldest.payload.length)) {
      // Black hole: packets of this size no longer pass. Ask what arrived, then cut again.
      this.repacketizePending = true
      oldest.transmissions++
      return this.requestAck(oldest, now)
    }
    this.ledbat.timedOut()
    // Everything unacked counts as lost: it will be resent as the window reopens.
    this.inFlightBytes = 0
    for (const entry of this.outstanding) if (!entry.sacked) entry.sentAt = -1 as Instant
    this.resend(oldest, now)
    this.retransmitAt = (now + this.rtt.rto) as Instant
  }

  private resend(entry: Outgoing, now: Instant): void {
    if (entry.probeBytes !== undefined) {
      // A probe resent is a probe lost; its data goes again unpadded.
      this.pmtu.probeLost(entry.probeBytes)
      this.events.push({ type: 'mtu_probe_lost', bytes: entry.probeBytes })
      entry.probeBytes = undefined
    }
    if (entry.sentAt < 0) this.inFlightBytes += entry.payload.length
    entry.transmissions++
    entry.sentAt = now
    this.emitPacket(entry.type, entry.seq, entry.payload, now)
  }

  private notePeer(packet: UtpPacket, now: Instant): void {
    this.replyMicros = (micros32(now) - packet.timestampMicros) >>> 0
    this.peerWindow = packet.windowBytes
    this.ledbat.delaySample(now, packet.timestampDiffMicros)
  }

  private handleAck(packet: UtpPacket, now: Instant): void {
    let ackedBytes = 0
    let newlyAcked = false
    while (this.outstanding.length > 0) {
      const first = this.outstanding[0] as Outgoing
      if (seqBefore(packet.ack, first.seq)) break
      // Acks for what we never sent are bogus; ignore them.
      if (seqDistance(first.seq, packet.ack) >= this.outstanding.length) break
      this.outstanding.shift()
      newlyAcked = true
      if (!first.sacked) {
        this.delivered(first)
        ackedBytes += first.payload.length
        if (first.sentAt >= 0) this.inFlightBytes -= first.payload.length
        if (first.transmissions === 1 && first.sentAt >= 0) this.rtt.sample(now - first.sentAt)
      }
      if (first.type === PacketType.fin) this.finAcked = true
    }
    if (packet.selectiveAck !== undefined && this.outstanding.length > 0) {
      ackedBytes += this.applySelectiveAck(packet.ack, packet.selectiveAck, now)
    }
    if (newlyAcked) {
      this.rtt.progress()
      this.duplicateAcks = 0
    } else if (
      !this.repacketizePending &&
      packet.type === PacketType.state &&
      packet.ack === this.lastAckSeen &&
      this.outstanding.length > 0
    ) {
      // Three duplicate acks: the packet after the ack is lost (fast retransmit).
      if (++this.duplicateAcks === 3) this.fastRetransmit(this.outstanding[0] as Outgoing, now)
    }
    this.lastAckSeen = packet.ack
    this.ledbat.acked(ackedBytes)
    this.retransmitAt = this.outstanding.some((o) => !o.sacked)
      ? ((now + this.rtt.rto) as Instant)
      : this.unsent.bytes > 0 && this.peerWindow < this.payloadBytesMax
        ? ((now + this.rtt.rto) as Instant)
        : undefined
  }

  private applySelectiveAck(ack: number, mask: Uint8Array, now: Instant): number {
    const first = (this.outstanding[0] as Outgoing).seq
    let ackedBytes = 0
    let highestSacked = -1
    for (const seq of selectivelyAcked(ack, mask)) {
      const index = seqDistance(first, seq)
      if (index >= this.outstanding.length) continue
      const entry = this.outstanding[index] as Outgoing
      highestSacked = Math.max(highestSacked, index)
      if (entry.sacked) continue
      entry.sacked = true
      this.delivered(entry)
      ackedBytes += entry.payload.length
      if (entry.sentAt >= 0) this.inFlightBytes -= entry.payload.length
      if (entry.transmissions === 1 && entry.sentAt >= 0) this.rtt.sample(now - entry.sentAt)
    }
    // A packet with three or more sacked packets after it is lost (libutp's rule).
    let sackedAfter = 0
    for (let index = highestSacked; index >= 0; index--) {
      const entry = this.outstanding[index] as Outgoing
      if (entry.sacked) sackedAfter++
      else if (sackedAfter >= 3 && !entry.fastResent) this.fastRetransmit(entry, now)
    }
    return ackedBytes
  }

  private fastRetransmit(entry: Outgoing, now: Instant): void {
    if (entry.sacked || this.repacketizePending) return
    entry.fastResent = true
    // A lost probe says its size does not fit, not that the path is congested.
    if (entry.probeBytes === undefined) this.ledbat.lost(now, this.rtt.srtt ?? this.rtt.rto)
    if (entry.sentAt >= 0) this.inFlightBytes -= entry.payload.length
    entry.sentAt = -1 as Instant
    this.resend(entry, now)
  }

  /** Packetizes queued bytes while the congestion and receive windows allow. */
  private pump(now: Instant): void {
    if (this.state !== 'connected' || this.repacketizePending) return
    // Resend what a timeout declared lost, oldest first, before anything new.
    for (const entry of this.outstanding) {
      if (entry.sentAt >= 0 || entry.sacked) continue
      if (!this.windowAllows(entry.payload.length)) return
      this.resend(entry, now)
      this.retransmitAt ??= (now + this.rtt.rto) as Instant
    }
    while (this.unsent.bytes > 0) {
      const size = Math.min(this.payloadBytesMax, this.unsent.bytes)
      if (!this.windowAllows(size)) break
      const probe = this.pmtu.probeSize(now)
      if (probe !== undefined && probe - HEADER_BYTES - size >= 2) {
        this.pmtu.probeSent(probe)
        this.sendNew(PacketType.data, this.unsent.take(size), now, probe)
      } else {
        this.sendData(this.unsent.take(size), now)
      }
    }
    if (this.blockedWriter && this.unsent.bytes <= SEND_HIGH_WATER_BYTES / 2) {
      this.blockedWriter = false
      this.events.push({ type: 'drain' })
    }
    if (this.localEnding && !this.finSent && this.unsent.bytes === 0) {
      this.finSent = true
      this.sendNew(PacketType.fin, new Uint8Array(), now)
    }
  }

  private windowAllows(size: number): boolean {
    const window = Math.min(this.ledbat.window, this.peerWindow)
    // One packet may always be in flight, or a tiny window would stall the connection.
    return this.inFlightBytes === 0
      ? this.peerWindow >= size || this.peerWindow >= this.payloadBytesMax
      : this.inFlightBytes + size <= window
  }

  private sendData(payload: Uint8Array, now: Instant): void {
    this.sendNew(PacketType.data, payload, now)
  }

  private sendNew(type: PacketType, payload: Uint8Array, now: Instant, probeBytes?: number): void {
    const entry: Outgoing = {
      seq: this.seqNr,
      type,
      payload,
      sentAt: now,
      transmissions: 1,
      sacked: false,
      fastResent: false,
      probeBytes,
    }
    this.seqNr = seqAdd(this.seqNr, 1)
    this.outstanding.push(entry)
    this.inFlightBytes += payload.length
    const padding = probeBytes === undefined ? 0 : probeBytes - HEADER_BYTES - payload.length
    this.emitPacket(type, entry.seq, payload, now, this.sendId, padding)
    this.retransmitAt ??= (now + this.rtt.rto) as Instant
  }

  private sendState(now: Instant): void {
    this.emitPacket(PacketType.state, this.seqNr, new Uint8Array(), now)
  }

  private emitPacket(
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

  /** A packet acked or sacked: a probe that passed, or a size the path still carries. */
  private delivered(entry: Outgoing): void {
    if (entry.probeBytes !== undefined) {
      this.pmtu.probeAcked(entry.probeBytes)
      entry.probeBytes = undefined
    } else if (entry.transmissions === 1) {
      this.pmtu.acked(HEADER_BYTES + entry.payload.length)
    }
  }

  /**
   * Asks the far side what it has: a DATA packet without payload on the sequence number
   * before the oldest unacked one, which it has delivered, so it answers with a STATE carrying
   * its cumulative and selective ack and keeps nothing.
   */
  private requestAck(oldest: Outgoing, now: Instant): void {
    this.emitPacket(PacketType.data, seqAdd(oldest.seq, -1), new Uint8Array(), now)
    this.retransmitAt = (now + this.rtt.rto) as Instant
  }

  /**
   * After a black hole: the packets the far side does not have (after the last one it
   * selectively acked, all within what its selective ack can show) go back to the send queue
   * and are cut again at the size the path carries now, on the same sequence numbers.
   * Sequence numbers it may hold beyond its selective ack's reach are never reused: if the
   * tail reaches that far, nothing is cut again (the old packets are resent as they are).
   */
  private repacketize(): void {
    this.repacketizePending = false
    let start = this.outstanding.length
    while (start > 0 && !(this.outstanding[start - 1] as Outgoing).sacked) start--
    const visible = SELECTIVE_ACK_BYTES_MAX * 8 + 1
    const tail = this.outstanding.slice(start)
    const last = tail.at(-1)
    if (last === undefined) return
    if (seqDistance(seqAdd(this.lastAckSeen, 1), last.seq) >= visible) return
    this.outstanding.splice(start)
    for (const entry of tail) if (entry.sentAt >= 0) this.inFlightBytes -= entry.payload.length
    this.seqNr = (tail[0] as Outgoing).seq
    if (tail.some((entry) => entry.type === PacketType.fin)) this.finSent = false
    this.unsent.unshiftAll(tail.filter((e) => e.type === PacketType.data).map((e) => e.payload))
    this.retransmitAt = undefined
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

  private close(reason: UtpCloseReason): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.retransmitAt = undefined
    this.events.push({ type: 'closed', reason })
  }
}
