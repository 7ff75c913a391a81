import type { UtpEvent } from './config.js'
import { PacketType, type UtpPacket } from './header.js'
import { buildSelectiveAck } from './selective-ack.js'
import { seqAdd, seqDistance } from './seq.js'

/**
 * The receiving half of a uTP connection: DATA and FIN packets delivered in sequence order
 * (those ahead of a gap wait, up to `reorderPacketsMax`), the cumulative ack, the selective
 * ack of what waits, the far side's FIN, and the bytes held against the receive window.
 */
export class ReceiveBuffer {
  /** The last sequence number delivered in order: what every packet we send acks. */
  ackNr = 0
  private readonly reorder = new Map<number, { type: PacketType; payload: Uint8Array }>()
  private reorderBytes = 0
  /** Delivered to the driver but not yet consumed by the reader (it may be paused). */
  private unreadBytes = 0
  /** The far side's FIN sequence number, once seen. */
  private finSeq: number | undefined
  private remoteEnded_ = false

  constructor(
    private readonly reorderPacketsMax: number,
    private readonly emit: (event: UtpEvent) => void,
  ) {}

  /** The far side's FIN was delivered (after every byte before it). */
  get remoteEnded(): boolean {
    return this.remoteEnded_
  }

  /** Bytes that count against our receive window: unread, or waiting behind a gap. */
  get heldBytes(): number {
    return this.unreadBytes + this.reorderBytes
  }

  /** The reader consumed `bytes` of what `data` events delivered. */
  consumed(bytes: number): void {
    this.unreadBytes = Math.max(0, this.unreadBytes - bytes)
  }

  /** A DATA or FIN packet: delivered now, kept for later, or dropped (old, duplicate, too far). */
  receive(packet: UtpPacket): void {
    const expected = seqAdd(this.ackNr, 1)
    if (packet.type === PacketType.fin && this.finSeq === undefined) this.finSeq = packet.seq
    if (packet.seq !== expected) {
      const ahead = seqDistance(expected, packet.seq)
      if (ahead >= this.reorderPacketsMax || this.reorder.has(packet.seq)) return
      if (ahead >= 0x8000) return // old: already delivered
      this.reorder.set(packet.seq, { type: packet.type, payload: packet.payload })
      this.reorderBytes += packet.payload.length
      return
    }
    this.deliver(packet.type, packet.payload)
    for (;;) {
      const next = this.reorder.get(seqAdd(this.ackNr, 1))
      if (next === undefined) break
      this.reorder.delete(seqAdd(this.ackNr, 1))
      this.reorderBytes -= next.payload.length
      this.deliver(next.type, next.payload)
    }
  }

  /** The selective ack mask of the packets waiting behind a gap, if any wait. */
  selectiveAck(): Uint8Array | undefined {
    return this.reorder.size > 0
      ? buildSelectiveAck(this.ackNr, (s) => this.reorder.has(s), this.reorderPacketsMax)
      : undefined
  }

  private deliver(type: PacketType, payload: Uint8Array): void {
    this.ackNr = seqAdd(this.ackNr, 1)
    if (this.remoteEnded_) return
    if (payload.length > 0 && type === PacketType.data) {
      this.unreadBytes += payload.length
      this.emit({ type: 'data', bytes: payload })
    }
    if (this.finSeq !== undefined && this.ackNr === this.finSeq) {
      this.remoteEnded_ = true
      this.reorder.clear()
      this.reorderBytes = 0
      this.emit({ type: 'remote_end' })
    }
  }
}
