import type { Instant } from '../../core/time.js'
import {
  DEFAULT_UTP_CONFIG,
  SEND_HIGH_WATER_BYTES,
  type UtpCloseReason,
  type UtpConfig,
  type UtpEvent,
  type UtpState,
} from './config.js'
import { HEADER_BYTES, PacketType, type UtpPacket } from './header.js'
import { Ledbat } from './ledbat.js'
import { PmtuSearch } from './pmtu.js'
import { RttEstimator } from './rtt.js'
import { SELECTIVE_ACK_BYTES_MAX, selectivelyAcked } from './selective-ack.js'
import { seqAdd, seqBefore, seqDistance } from './seq.js'
import { SendQueue } from './send-queue.js'

/**
 * The sending half of a uTP connection (BEP 29): bytes written are cut into DATA packets as
 * the congestion window (LEDBAT) and the far side's receive window allow, kept until acked,
 * and resent on a timeout, three duplicate acks or three selective acks after them (libutp's
 * rules). Path MTU discovery rides on it: probes are padded DATA packets, and after a black
 * hole the packets the far side lacks are cut again at the size the path carries.
 *
 * `UtpConnection` (connection.ts) adds the handshake, the receiving half and the close; it
 * encodes the packets (`emitPacket`), since every packet carries the receive side's ack.
 */

export interface Outgoing {
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

export abstract class UtpSender {
  state: UtpState = 'syn_sent'
  readonly ledbat: Ledbat
  readonly rtt = new RttEstimator()
  readonly pmtu: PmtuSearch

  protected seqNr: number
  protected readonly outstanding: Outgoing[] = []
  protected inFlightBytes = 0
  protected readonly unsent = new SendQueue()
  protected blockedWriter = false
  protected peerWindow: number
  protected lastAckSeen = -1
  private duplicateAcks = 0
  protected localEnding = false
  protected finSent = false
  protected finAcked = false
  protected retransmitAt: Instant | undefined
  /**
   * Set after a black hole while we wait for the far side's ack of an ack request: the
   * packets it does not have are then cut again at the size the path now carries.
   */
  protected repacketizePending = false
  protected readonly events: UtpEvent[] = []

  protected constructor(
    protected readonly config: UtpConfig = DEFAULT_UTP_CONFIG,
    readonly sendId: number,
    seqNr: number,
  ) {
    this.seqNr = seqNr
    this.pmtu = new PmtuSearch({
      floorBytes: config.packetBytesFloor,
      ceilingBytes: config.packetBytesCeiling,
    })
    this.ledbat = new Ledbat({
      packetBytes: config.packetBytesCeiling,
      windowBytesMax: config.sendWindowBytesMax,
    })
    this.peerWindow = config.packetBytesCeiling
  }

  get payloadBytesMax(): number {
    return this.pmtu.current - HEADER_BYTES
  }

  /** Encodes and queues a packet with the receive side's ack and window. */
  protected abstract emitPacket(
    type: PacketType,
    seq: number,
    payload: Uint8Array,
    now: Instant,
    connectionId?: number,
    paddingBytes?: number,
  ): void

  protected abstract close(reason: UtpCloseReason): void

  /** The retransmission timer fired on a connected connection (the RTO has backed off). */
  protected dataTimedOut(now: Instant): void {
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
    const resendsMax = this.finSent ? this.config.finResendsMax : this.config.resendsMax
    if (oldest.transmissions > resendsMax) return this.close('timeout')
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

  /** Packetizes queued bytes while the congestion and receive windows allow. */
  protected pump(now: Instant): void {
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

  protected windowAllows(size: number): boolean {
    const window = Math.min(this.ledbat.window, this.peerWindow)
    // One packet may always be in flight, or a tiny window would stall the connection.
    return this.inFlightBytes === 0
      ? this.peerWindow >= size || this.peerWindow >= this.payloadBytesMax
      : this.inFlightBytes + size <= window
  }

  protected sendData(payload: Uint8Array, now: Instant): void {
    this.sendNew(PacketType.data, payload, now)
  }

  protected sendNew(
    type: PacketType,
    payload: Uint8Array,
    now: Instant,
    probeBytes?: number,
  ): void {
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

  protected resend(entry: Outgoing, now: Instant): void {
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

  protected handleAck(packet: UtpPacket, now: Instant): void {
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

  protected applySelectiveAck(ack: number, mask: Uint8Array, now: Instant): number {
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

  protected fastRetransmit(entry: Outgoing, now: Instant): void {
    if (entry.sacked || this.repacketizePending) return
    entry.fastResent = true
    // A lost probe says its size does not fit, not that the path is congested.
    if (entry.probeBytes === undefined) this.ledbat.lost(now, this.rtt.srtt ?? this.rtt.rto)
    if (entry.sentAt >= 0) this.inFlightBytes -= entry.payload.length
    entry.sentAt = -1 as Instant
    this.resend(entry, now)
  }

  /** A packet acked or sacked: a probe that passed, or a size the path still carries. */
  protected delivered(entry: Outgoing): void {
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
  protected requestAck(oldest: Outgoing, now: Instant): void {
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
  protected repacketize(): void {
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
}
