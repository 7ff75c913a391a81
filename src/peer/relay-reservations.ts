import { addressKey, sameAddress, type Address } from '../core/address.js'
import type { Clock, DatagramSocket, TimerHandle } from '../core/env.js'
import type { Random } from '../core/random.js'
import { after, ms, type Instant } from '../core/time.js'
import { decodeRelay, encodeRelay, isRelayMessage } from '../protocols/holepunch/relay-codec.js'

/**
 * A NATed peer's side of relay-lite reservations (see relay-codec.ts), all from one socket:
 * RESERVE with each relay (retried with back-off), refreshed every `refreshMs` (which also
 * keeps the NAT's mapping to the relay open), and IDENTIFY to read a relay's signed record.
 * What strangers send to a reservation's mailbox arrives through `onInbound`; `send` answers
 * them through the relay (which opens the permission for their address).
 */
export interface Reservation {
  readonly relay: Address
  /** The public address strangers knock on. */
  readonly mailbox: Address
  readonly since: Instant
}

export interface ReservationTiming {
  /** First retransmission of RESERVE/IDENTIFY; doubles per attempt. */
  readonly rtoMs: number
  readonly attempts: number
  /** RESERVE again this often (relay lifetime and NAT mapping both stay fresh). */
  readonly refreshMs: number
}

export const DEFAULT_RESERVATION_TIMING: ReservationTiming = {
  rtoMs: 250,
  attempts: 4,
  refreshMs: 15_000,
}

type Inbound = (relay: Address, from: Address, payload: Uint8Array, solicited: boolean) => void

interface Pending {
  readonly relay: Address
  readonly tid: number
  readonly bytes: Uint8Array
  attempts: number
  timer: TimerHandle | undefined
  readonly answered: (reply: ReturnType<typeof decodeRelay>) => boolean
  readonly failed: () => void
}

export class RelayReservations {
  private readonly held = new Map<string, Reservation & { refresh: TimerHandle | undefined }>()
  private readonly pending = new Set<Pending>()
  private inbound: Inbound = () => undefined
  private lost: (relay: Address) => void = () => undefined
  private closed = false

  constructor(
    private readonly socket: DatagramSocket,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly timing: ReservationTiming = DEFAULT_RESERVATION_TIMING,
  ) {
    socket.onReceive((from, bytes) => this.receive(from, bytes))
  }

  get reservations(): readonly Reservation[] {
    return [...this.held.values()].map(({ relay, mailbox, since }) => ({ relay, mailbox, since }))
  }

  onInbound(handler: Inbound): void {
    this.inbound = handler
  }

  /** A reservation stopped being refreshed (the relay went quiet or refused). */
  onLost(handler: (relay: Address) => void): void {
    this.lost = handler
  }

  /** The relay's signed record (bencoded), or undefined when it does not answer. */
  identify(relay: Address, done: (record: Uint8Array | undefined) => void): void {
    const tid = this.random.int(0xffffffff)
    this.request(
      relay,
      tid,
      encodeRelay({ type: 'identify', tid }),
      (reply) => {
        if (!reply.ok || reply.value.type !== 'identity' || reply.value.tid !== tid) return false
        const record = reply.value.record
        done(record.length === 0 ? undefined : record)
        return true
      },
      () => done(undefined),
    )
  }

  /** Reserves with `relay`; `done` has the reservation, or undefined when refused or silent. */
  reserve(relay: Address, done: (reservation: Reservation | undefined) => void): void {
    const key = addressKey(relay)
    const existing = this.held.get(key)
    if (existing !== undefined) return done(existing)
    this.sendReserve(relay, (mailbox) => {
      if (mailbox === undefined || this.closed) return done(undefined)
      const reservation = { relay, mailbox, since: this.clock.now(), refresh: undefined }
      this.held.set(key, reservation)
      this.scheduleRefresh(key)
      done(reservation)
    })
  }

  release(relay: Address): void {
    const key = addressKey(relay)
    const held = this.held.get(key)
    if (held?.refresh !== undefined) this.clock.clearTimer(held.refresh)
    this.held.delete(key)
  }

  /** A datagram to `to` through the reservation with `relay`. */
  send(relay: Address, to: Address, payload: Uint8Array): void {
    if (this.closed) return
    this.socket.send(relay, encodeRelay({ type: 'send', to, payload }))
  }

  close(): void {
    this.closed = true
    for (const pending of this.pending) {
      if (pending.timer !== undefined) this.clock.clearTimer(pending.timer)
    }
    this.pending.clear()
    for (const relay of [...this.held.values()].map((held) => held.relay)) this.release(relay)
    this.socket.close()
  }

  private scheduleRefresh(key: string): void {
    const held = this.held.get(key)
    if (held === undefined || this.closed) return
    held.refresh = this.clock.setTimer(after(this.clock.now(), ms(this.timing.refreshMs)), () => {
      held.refresh = undefined
      if (this.held.get(key) !== held) return
      this.sendReserve(held.relay, (mailbox) => {
        if (this.held.get(key) !== held) return
        if (mailbox === undefined || !sameAddress(mailbox, held.mailbox)) {
          this.held.delete(key)
          this.lost(held.relay)
          return
        }
        this.scheduleRefresh(key)
      })
    })
  }

  private sendReserve(relay: Address, done: (mailbox: Address | undefined) => void): void {
    const tid = this.random.int(0xffffffff)
    this.request(
      relay,
      tid,
      encodeRelay({ type: 'reserve', tid }),
      (reply) => {
        if (!reply.ok) return false
        const message = reply.value
        if (message.type === 'allocated' && message.tid === tid) done(message.relayed)
        else if (message.type === 'refused' && message.tid === tid) done(undefined)
        else return false
        return true
      },
      () => done(undefined),
    )
  }

  private request(
    relay: Address,
    tid: number,
    bytes: Uint8Array,
    answered: Pending['answered'],
    failed: () => void,
  ): void {
    if (this.closed) return
    const pending: Pending = { relay, tid, bytes, attempts: 0, timer: undefined, answered, failed }
    this.pending.add(pending)
    this.transmit(pending)
  }

  private transmit(pending: Pending): void {
    if (pending.attempts >= this.timing.attempts) {
      this.pending.delete(pending)
      pending.failed()
      return
    }
    const wait = this.timing.rtoMs * 2 ** pending.attempts
    pending.attempts++
    this.socket.send(pending.relay, pending.bytes)
    pending.timer = this.clock.setTimer(after(this.clock.now(), ms(wait)), () => {
      pending.timer = undefined
      if (this.pending.has(pending)) this.transmit(pending)
    })
  }

  private receive(from: Address, bytes: Uint8Array): void {
    if (this.closed || !isRelayMessage(bytes)) return
    const reply = decodeRelay(bytes)
    if (!reply.ok) return
    const message = reply.value
    if (message.type === 'knock' || message.type === 'data') {
      if (!this.held.has(addressKey(from))) return
      this.inbound(from, message.from, message.payload, message.type === 'data')
      return
    }
    for (const pending of this.pending) {
      if (!sameAddress(pending.relay, from) || !pending.answered(reply)) continue
      if (pending.timer !== undefined) this.clock.clearTimer(pending.timer)
      this.pending.delete(pending)
      return
    }
  }
}
