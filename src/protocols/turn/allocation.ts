/**
 * One TURN allocation's state (RFC 8656 sections 2.2, 9-12): its client 5-tuple, relayed
 * address, expiry, permissions by peer IP, channel bindings both ways, and what it may still
 * relay (bytes, rate). Pure bookkeeping; the server decides what to do with it.
 */
import { sameAddress, type Address } from '../../core/address.js'
import { after, elapsed, type Duration, type Instant } from '../../core/time.js'
import { addressNumber, type AddressNumber } from './address-number.js'

export interface Channel {
  readonly number: number
  readonly peer: Address
  expiresAt: Instant
}

export class Allocation {
  /** Peer IP -> when the permission expires. */
  readonly permissions = new Map<string, Instant>()
  readonly channelsByNumber = new Map<number, Channel>()
  /** By `addressNumber(peer)`: looked up for every datagram a peer sends. */
  readonly channelsByPeer = new Map<AddressNumber, Channel>()
  relayedBytes = 0
  private tokens: number
  private tokensAt: Instant

  constructor(
    readonly client: Address,
    readonly username: string,
    readonly key: Uint8Array,
    readonly relay: Address,
    readonly createdAt: Instant,
    public expiresAt: Instant,
    /** The Allocate request's transaction id, to answer its retransmissions alike. */
    readonly allocateTransaction: string,
    private readonly bytesPerSecond: number,
  ) {
    this.tokens = bytesPerSecond
    this.tokensAt = createdAt
  }

  hasPermission(now: Instant, host: string): boolean {
    const until = this.permissions.get(host)
    return until !== undefined && until > now
  }

  permit(now: Instant, host: string, lifetime: Duration): void {
    this.permissions.set(host, after(now, lifetime))
  }

  bind(now: Instant, number: number, peer: Address, lifetime: Duration): void {
    const channel: Channel = { number, peer, expiresAt: after(now, lifetime) }
    this.channelsByNumber.set(number, channel)
    this.channelsByPeer.set(addressNumber(peer), channel)
  }

  /** False when `number` is bound to another peer or `peer` to another number (RFC 8656 11.2). */
  canBind(number: number, peer: Address): boolean {
    const byNumber = this.channelsByNumber.get(number)
    const byPeer = this.channelsByPeer.get(addressNumber(peer))
    return (
      (byNumber === undefined || sameAddress(byNumber.peer, peer)) &&
      (byPeer === undefined || byPeer.number === number)
    )
  }

  /** Drops expired permissions and channels; returns the earliest expiry still pending. */
  sweep(now: Instant): Instant | undefined {
    let next: Instant | undefined = this.expiresAt
    for (const [host, until] of this.permissions) {
      if (until <= now) this.permissions.delete(host)
      else if (until < next) next = until
    }
    for (const [number, channel] of this.channelsByNumber) {
      if (channel.expiresAt <= now) {
        this.channelsByNumber.delete(number)
        this.channelsByPeer.delete(addressNumber(channel.peer))
      } else if (channel.expiresAt < (next as Instant)) next = channel.expiresAt
    }
    return next
  }

  /** Takes `bytes` from the rate budget (a token bucket holding one second's worth). */
  spend(now: Instant, bytes: number): boolean {
    const refill = (elapsed(this.tokensAt, now) / 1000) * this.bytesPerSecond
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + refill)
    this.tokensAt = now
    if (bytes > this.tokens) return false
    this.tokens -= bytes
    this.relayedBytes += bytes
    return true
  }
}
