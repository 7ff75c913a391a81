import { addressKey, type Address } from '../core/address.js'
import type { Clock, DatagramSocket, TimerHandle } from '../core/env.js'
import type { Random } from '../core/random.js'
import { after, ms } from '../core/time.js'
import { attachTurnClient, type TurnClientHandle } from '../drivers/nat/turn-client.js'
import { bindingIndication } from '../protocols/holepunch/binding.js'
import type { Reservation } from './relay-reservations.js'
import type { TurnCredentials } from './service-record.js'

/**
 * A NATed peer's reservations on TURN relays (RFC 8656), the TURN counterpart of
 * relay-reservations.ts. Each is a TURN allocation from a socket of its own, with one
 * permission: for the relay's own relayed host. A caller reaches the mailbox (our relayed
 * address) from an allocation on the same relay, whose relayed address has that host, so its
 * first datagram (the offer) is let through while the rest of the Internet is not. The TURN
 * client refreshes the allocation and the permission itself; a Binding indication to the
 * server every `keepaliveMs` holds our NAT's mapping towards it. A failed refresh, or the
 * relay closing the allocation, loses the reservation.
 */
export interface TurnReservation extends Reservation {
  readonly credentials: TurnCredentials
}

export const TURN_KEEPALIVE_MS = 15_000

interface Held {
  readonly reservation: TurnReservation
  readonly client: TurnClientHandle
  readonly socket: DatagramSocket
  keepalive: TimerHandle | undefined
}

export class TurnReservations {
  private readonly held = new Map<string, Held>()
  private inbound: (relay: Address, from: Address, payload: Uint8Array) => void = () => undefined
  private lost: (relay: Address) => void = () => undefined
  private closed = false

  constructor(
    private readonly world: { readonly clock: Clock; readonly random: Random },
    /** A fresh socket for each reservation (undefined: none could be bound). */
    private readonly bind: (use: (socket: DatagramSocket | undefined) => void) => void,
  ) {}

  get reservations(): readonly TurnReservation[] {
    return [...this.held.values()].map((h) => h.reservation)
  }

  has(relay: Address): boolean {
    return this.held.has(addressKey(relay))
  }

  onInbound(handler: (relay: Address, from: Address, payload: Uint8Array) => void): void {
    this.inbound = handler
  }

  onLost(handler: (relay: Address) => void): void {
    this.lost = handler
  }

  /** Allocates on `relay` and permits its relayed host; `done` has the reservation or not. */
  reserve(
    relay: Address,
    credentials: TurnCredentials,
    done: (reservation: TurnReservation | undefined) => void,
  ): void {
    const existing = this.held.get(addressKey(relay))
    if (existing !== undefined) return done(existing.reservation)
    this.bind((socket) => {
      if (socket === undefined || this.closed) {
        socket?.close()
        return done(undefined)
      }
      this.allocate(relay, credentials, socket, done)
    })
  }

  /** A datagram to `to` through our allocation on `relay` (a Send indication). */
  send(relay: Address, to: Address, payload: Uint8Array): void {
    this.held.get(addressKey(relay))?.client.send(to, payload)
  }

  release(relay: Address): void {
    const key = addressKey(relay)
    const held = this.held.get(key)
    if (held === undefined) return
    this.held.delete(key)
    this.end(held)
  }

  close(): void {
    this.closed = true
    for (const held of this.held.values()) this.end(held)
    this.held.clear()
  }

  private allocate(
    relay: Address,
    credentials: TurnCredentials,
    socket: DatagramSocket,
    done: (reservation: TurnReservation | undefined) => void,
  ): void {
    let settled = false
    let held: Held | undefined
    const settle = (reservation: TurnReservation | undefined): void => {
      if (settled) return
      settled = true
      if (reservation === undefined) {
        client.detach()
        socket.close()
      }
      done(reservation)
    }
    const config = { server: relay, ...credentials }
    const client = attachTurnClient(this.world, socket, config, (event) => {
      if (event.type === 'allocated') {
        // callers' relayed addresses share our relayed host: that one permission lets them in
        client.permit([event.relayed])
      } else if (event.type === 'permitted' && !settled && client.core.relayed !== undefined) {
        held = this.keep(relay, credentials, client, socket, client.core.relayed)
        settle(held.reservation)
      } else if (event.type === 'data' && held !== undefined) {
        this.inbound(relay, event.peer, event.data)
      } else if (event.type === 'failed' || event.type === 'closed') {
        if (!settled) return settle(undefined)
        const failedNow = event.type === 'closed' || event.operation === 'refresh'
        if (failedNow && held !== undefined && this.held.get(addressKey(relay)) === held) {
          this.release(relay)
          this.lost(relay)
        }
      }
    })
    client.allocate()
  }

  private keep(
    relay: Address,
    credentials: TurnCredentials,
    client: TurnClientHandle,
    socket: DatagramSocket,
    mailbox: Address,
  ): Held {
    const reservation = { relay, mailbox, since: this.world.clock.now(), credentials }
    const held: Held = { reservation, client, socket, keepalive: undefined }
    this.held.set(addressKey(relay), held)
    const beat = (): void => {
      held.keepalive = undefined
      if (this.closed || this.held.get(addressKey(relay)) !== held) return
      socket.send(relay, bindingIndication(this.world.random))
      held.keepalive = this.world.clock.setTimer(
        after(this.world.clock.now(), ms(TURN_KEEPALIVE_MS)),
        beat,
      )
    }
    held.keepalive = this.world.clock.setTimer(
      after(this.world.clock.now(), ms(TURN_KEEPALIVE_MS)),
      beat,
    )
    return held
  }

  private end(held: Held): void {
    if (held.keepalive !== undefined) this.world.clock.clearTimer(held.keepalive)
    held.client.close()
    held.client.detach()
    held.socket.close()
  }
}
