import { SeededRandom } from '../../core/random.js'
import { instant } from '../../core/time.js'
import { DEFAULT_UTP_CONFIG, type UtpConfig, type UtpEvent } from './config.js'
import { UtpConnection } from './connection.js'
import { decodePacket, PacketType } from './header.js'

/**
 * For tests only. Two connections over an in-memory link with a fixed one-way delay, optional loss and
 * jitter (which reorders), driven by a tiny event loop: the sans-IO core alone.
 */
export interface LinkOptions {
  readonly delayMs: number
  readonly lossRatio?: number
  readonly jitterMs?: number
  readonly seed?: number
  readonly config?: UtpConfig
  /** Which datagrams the path carries (by size, at a time); the rest vanish (a black hole). */
  readonly passes?: (bytes: number, now: number) => boolean
}

/** Packets of the size every test here was written for: path MTU discovery off. */
export const FIXED_1400: UtpConfig = {
  ...DEFAULT_UTP_CONFIG,
  packetBytesFloor: 1400,
  packetBytesCeiling: 1400,
}

export class Pair {
  now = instant(0)
  readonly a: UtpConnection
  b: UtpConnection | undefined
  readonly received: { a: number[]; b: number[] } = { a: [], b: [] }
  readonly events: { a: UtpEvent[]; b: UtpEvent[] } = { a: [], b: [] }
  readonly sentTypes: { a: number[]; b: number[] } = { a: [], b: [] }
  /** Datagrams the path dropped for their size, per sender. */
  readonly tooBig: { a: number; b: number } = { a: 0, b: 0 }
  private readonly inFlight: { at: number; to: 'a' | 'b'; bytes: Uint8Array }[] = []
  private readonly random: SeededRandom

  constructor(private readonly link: LinkOptions) {
    this.random = new SeededRandom(link.seed ?? 1)
    this.a = UtpConnection.connect(0x4000, this.now, link.config ?? DEFAULT_UTP_CONFIG)
    this.collect('a')
  }

  side(name: 'a' | 'b'): UtpConnection {
    const connection = name === 'a' ? this.a : this.b
    if (connection === undefined) throw new Error(`${name} has no connection yet`)
    return connection
  }

  /** Runs until `done` or the deadline. */
  run(done: () => boolean, deadlineMs = 600_000): void {
    while (!done() && this.now < deadlineMs) {
      const timers = [this.a, this.b].map((c) => c?.nextTimeout() ?? Infinity)
      const nextPacket = this.inFlight.reduce((m, p) => Math.min(m, p.at), Infinity)
      const next = Math.min(nextPacket, ...timers)
      if (next === Infinity) return
      this.now = instant(Math.max(this.now, next))
      const due = this.inFlight.filter((p) => p.at <= this.now)
      due.sort((x, y) => x.at - y.at)
      for (const p of due) this.inFlight.splice(this.inFlight.indexOf(p), 1)
      for (const p of due) this.deliver(p.to, p.bytes)
      for (const name of ['a', 'b'] as const) {
        const c = name === 'a' ? this.a : this.b
        if (c === undefined) continue
        const at = c.nextTimeout()
        if (at !== undefined && at <= this.now) c.timeout(this.now)
        c.flush(this.now)
        this.collect(name)
      }
    }
  }

  private deliver(to: 'a' | 'b', bytes: Uint8Array): void {
    const decoded = decodePacket(bytes)
    if (!decoded.ok) throw new Error(`undecodable packet: ${decoded.error}`)
    const packet = decoded.value
    if (to === 'b' && this.b === undefined) {
      if (packet.type !== PacketType.syn) throw new Error('the first packet to b is not a SYN')
      this.b = UtpConnection.accept(
        packet,
        0xfffa,
        this.now,
        this.link.config ?? DEFAULT_UTP_CONFIG,
      )
    } else {
      this.side(to).receive(packet, this.now)
    }
    this.collect(to)
  }

  collect(name: 'a' | 'b'): void {
    const c = name === 'a' ? this.a : this.b
    if (c === undefined) return
    for (const bytes of c.takePackets()) {
      const packet = decodePacket(bytes)
      if (!packet.ok) throw new Error(`undecodable packet: ${packet.error}`)
      this.sentTypes[name].push(packet.value.type)
      const loss = this.link.lossRatio ?? 0
      // The handshake itself is not dropped here: its retries are tested on their own.
      if (loss > 0 && packet.value.type !== PacketType.syn && this.random.float() < loss) continue
      if (this.link.passes !== undefined && !this.link.passes(bytes.length, this.now)) {
        this.tooBig[name]++
        continue
      }
      const jitter = this.link.jitterMs === undefined ? 0 : this.random.float() * this.link.jitterMs
      const to = name === 'a' ? 'b' : 'a'
      this.inFlight.push({ at: this.now + this.link.delayMs + jitter, to, bytes })
    }
    for (const event of c.takeEvents()) {
      this.events[name].push(event)
      if (event.type === 'data') {
        for (const byte of event.bytes) this.received[name].push(byte)
        c.consumed(event.bytes.length, this.now)
      }
      if (event.type === 'remote_end') c.end(this.now)
    }
  }
}

export const pattern = (length: number): Uint8Array => {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff
  return bytes
}
