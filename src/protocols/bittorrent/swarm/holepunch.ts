/**
 * BEP 55 hole punching (`ut_holepunch`), in the three roles the BEP gives a peer:
 *
 * - **Relay**: a peer connected to both ends. On `rendezvous(target)` from an initiator it
 *   finds its open connection to `target` and sends `connect` to both, each naming the other
 *   (the listen address when known, as PEX advertised it, else the socket's far end), or
 *   answers `error`: NoSuchPeer (not a unicast IP and port), NoSelf (the target is the relay or
 *   the initiator itself, as libtorrent answers), NotConnected, NoSupport (the target did not
 *   announce ut_holepunch).
 * - **Initiator**: an address a peer told us of by PEX (its *introducer*) failed to connect, or
 *   PEX says it takes holepunch and is not reachable (BEP 11 flags 0x08 without 0x10): we send
 *   `rendezvous` through the introducer: at most `holepunchAsksMax` times per target per
 *   `holepunchRetryInterval`, `holepunchAskSpacing` apart. A later failure of the ordinary
 *   dial, whose back-off spaces them, asks again, and so does a failed punch, once the spacing
 *   allows (`tick`): libtorrent ignores `connect` while its own dial to us is in flight (after
 *   a failed uTP dial it falls back to TCP for 15 s, and TCP from an ephemeral port punches
 *   nothing), so the first punch can miss and the next, after that dial gave up, meets.
 * - **Target / initiator on `connect(address)`**: dial `address` at once over uTP, whose SYNs
 *   leave from our listen port (the port the other side was told of), so the two dials open
 *   both NATs for each other (BEP 55 is designed for uTP); the duplicate rule keeps one.
 *
 * Bounds: every peer may send `holepunchMessagesPerMinute` rendezvous + connect messages per
 * minute (each costs us two messages or a dial); beyond it the peer is dropped
 * (`limit_exceeded`). We send at most as many rendezvous to one relay. A `connect` dials only
 * an address we are not connected to, not banned, not ours, within the per-host, half-open
 * and connection limits. Introducers remembered: at most `candidatesMax` addresses.
 */
import { addressKey, type Address } from '../../../core/address.js'
import { elapsed, minutes, type Instant } from '../../../core/time.js'
import {
  encodeExtension,
  HolepunchErrorCode,
  ipToBytes,
  PEX_REACHABLE,
  PEX_SUPPORTS_HOLEPUNCH,
  UT_HOLEPUNCH,
  type HolepunchMessage,
  type PexPeer,
} from '../wire/index.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'

/** What the holepunch logic needs from the connection table. */
export interface HolepunchPorts {
  /** The open connection whose listen address or socket address is `address`. */
  peerAt(address: Address): Peer | undefined
  /** Open to `address`, or a punch to it under way: a second punch would add nothing. */
  engaged(address: Address): boolean
  /** Dials `address` over uTP for a punch; false when a limit or a connection prevents it. */
  punch(address: Address): boolean
}

/** Counts for `inspect()` and tests. */
export interface HolepunchCounts {
  rendezvousSent: number
  relayed: number
  refused: number
  connects: number
  errors: number
}

interface Budget {
  windowStart: Instant
  received: number
  sent: number
}

interface Asks {
  windowStart: Instant
  last: Instant
  count: number
}

const WINDOW = minutes(1)

export class Holepunch {
  readonly counts: HolepunchCounts = {
    rendezvousSent: 0,
    relayed: 0,
    refused: 0,
    connects: 0,
    errors: 0,
  }
  /** Address key -> the open peer that last told us of it by PEX. */
  private readonly introducers = new Map<string, Peer>()
  /** Target key -> our asks for it in the current window. */
  private readonly asked = new Map<string, Asks>()
  /** Targets whose punch dial failed, to be asked for again once the spacing allows. */
  private readonly missedPunches = new Map<string, Address>()
  private readonly budgets = new Map<Peer, Budget>()

  constructor(
    private readonly ctx: SwarmContext,
    private readonly ports: HolepunchPorts,
  ) {}

  /** Whether we announce ut_holepunch: BEP 27 private torrents use no peer sources but the tracker. */
  static enabled(ctx: SwarmContext): boolean {
    return ctx.config.holepunch && !ctx.metainfo.private
  }

  onMessage(peer: Peer, message: HolepunchMessage): void {
    if (message.type === 'error') {
      this.counts.errors++
      const { peer: address, code } = message
      return this.ctx.emit({ type: 'holepunch', action: 'error', address, via: peer.address, code })
    }
    if (!this.take(peer, 'received')) {
      const limit = this.ctx.config.holepunchMessagesPerMinute
      return this.ctx.fault(peer, 'limit_exceeded', `over ${limit} ut_holepunch messages a minute`)
    }
    if (message.type === 'rendezvous') return this.relay(peer, message.peer)
    return this.connect(peer, message.peer)
  }

  /** `from` told us of `added` by PEX: it can introduce us to them. */
  heardOf(from: Peer, added: readonly PexPeer[]): void {
    for (const candidate of added) {
      const key = addressKey(candidate)
      this.introducers.delete(key)
      this.introducers.set(key, from)
      if (this.introducers.size > this.ctx.config.candidatesMax) this.forgetOldestIntroducer()
      const flags = candidate.flags
      const natted = (flags & PEX_SUPPORTS_HOLEPUNCH) !== 0 && (flags & PEX_REACHABLE) === 0
      const failedBefore = (this.ctx.candidates.get(key)?.failures ?? 0) > 0
      if (natted || failedBefore) this.ask({ host: candidate.host, port: candidate.port })
    }
  }

  /** An outbound connect to `address` failed: ask an introducer now, or soon for a punch. */
  dialFailed(peer: Peer): void {
    if (peer.holepunch) this.missed(peer.address)
    else this.ask(peer.address)
  }

  /**
   * A punch is missed when its dial fails, and also when the connection closes before the
   * handshakes: libtorrent closes a second connection to a peer it is dialling itself (its
   * duplicate rule, by port, at random when the listen ports are equal).
   */
  private missed(address: Address): void {
    const key = addressKey(address)
    this.missedPunches.delete(key)
    this.missedPunches.set(key, address)
    if (this.missedPunches.size > this.ctx.config.candidatesMax) {
      const oldest = this.missedPunches.keys().next()
      if (oldest.done !== true) this.missedPunches.delete(oldest.value)
    }
  }

  /** Every second: asks again for missed punches whose spacing has passed. */
  tick(): void {
    for (const [key, target] of this.missedPunches) {
      if (this.ask(target) !== 'later') this.missedPunches.delete(key)
    }
  }

  peerLeft(peer: Peer, wasOpen: boolean): void {
    if (peer.holepunch && !wasOpen) this.missed(peer.address)
    this.budgets.delete(peer)
    // Introducers are few per peer in practice; the map is bounded by `candidatesMax`.
    for (const [key, introducer] of this.introducers) {
      if (introducer === peer) this.introducers.delete(key)
    }
  }

  /** The ut_holepunch flag of a peer for our PEX messages. */
  static pexFlag(peer: Peer): number {
    return peer.remoteExtensions.get(UT_HOLEPUNCH) ? PEX_SUPPORTS_HOLEPUNCH : 0
  }

  // ---- initiator ----------------------------------------------------------------------

  /** Sends a rendezvous for `target`, or says why not: 'later' when only the spacing or the budget stops it. */
  private ask(target: Address): 'sent' | 'later' | 'never' {
    const { ctx } = this
    const key = addressKey(target)
    const introducer = this.introducers.get(key)
    if (introducer === undefined || introducer.phase !== 'open') return 'never'
    if (!introducer.remoteExtensions.get(UT_HOLEPUNCH)) return 'never'
    if (ctx.isSelf(target) || ctx.reputation.isBanned(target.host)) return 'never'
    // Connected, or punching it already (the other end asked first): nothing to ask.
    if (this.ports.engaged(target)) return 'never'
    const { holepunchRetryInterval, holepunchAsksMax, holepunchAskSpacing } = ctx.config
    let asks = this.asked.get(key)
    if (asks === undefined || elapsed(asks.windowStart, ctx.now) >= holepunchRetryInterval) {
      asks = { windowStart: ctx.now, last: ctx.now, count: 0 }
    } else if (asks.count >= holepunchAsksMax) {
      return 'never'
    } else if (elapsed(asks.last, ctx.now) < holepunchAskSpacing) {
      return 'later'
    }
    if (!this.take(introducer, 'sent')) return 'later'
    asks.count++
    asks.last = ctx.now
    this.asked.delete(key)
    this.asked.set(key, asks)
    if (this.asked.size > ctx.config.candidatesMax) {
      const oldest = this.asked.keys().next()
      if (oldest.done !== true) this.asked.delete(oldest.value)
    }
    this.send(introducer, { type: 'rendezvous', peer: target })
    this.counts.rendezvousSent++
    ctx.emit({ type: 'holepunch', action: 'rendezvous', address: target, via: introducer.address })
    return 'sent'
  }

  // ---- relay --------------------------------------------------------------------------

  private relay(initiator: Peer, target: Address): void {
    const { ctx } = this
    const refuse = (code: HolepunchErrorCode): void => {
      this.counts.refused++
      this.send(initiator, { type: 'error', peer: target, code })
      ctx.emit({
        type: 'holepunch',
        action: 'refused',
        address: target,
        via: initiator.address,
        code,
      })
    }
    // An initiator we cannot name on the wire (not an IP literal) cannot be introduced.
    if (ipToBytes(initiator.address.host) === undefined) return
    if (!isEndpoint(target)) return refuse(HolepunchErrorCode.NoSuchPeer)
    if (ctx.isSelf(target)) return refuse(HolepunchErrorCode.NoSelf)
    const peer = this.ports.peerAt(target)
    if (peer === initiator) return refuse(HolepunchErrorCode.NoSelf)
    if (peer === undefined) return refuse(HolepunchErrorCode.NotConnected)
    if (!peer.remoteExtensions.get(UT_HOLEPUNCH)) return refuse(HolepunchErrorCode.NoSupport)
    this.send(peer, { type: 'connect', peer: initiator.address })
    this.send(initiator, { type: 'connect', peer: peer.address })
    this.counts.relayed++
    ctx.emit({ type: 'holepunch', action: 'relayed', address: target, via: initiator.address })
  }

  // ---- both ends ----------------------------------------------------------------------

  private connect(relay: Peer, address: Address): void {
    const { ctx } = this
    this.counts.connects++
    const dialled = isEndpoint(address) && this.ports.punch(address)
    ctx.emit({ type: 'holepunch', action: 'connect', address, via: relay.address, dialled })
  }

  private send(peer: Peer, message: HolepunchMessage): void {
    // The wire carries IP literals only; a world naming hosts otherwise (a simulator) gets none.
    if (ipToBytes(message.peer.host) === undefined) return
    const encoded = encodeExtension({ type: 'ut_holepunch', message }, peer.remoteExtensions)
    if (encoded !== undefined) this.ctx.send(peer, encoded)
  }

  /** Spends one message of the peer's budget in `direction`; false when it is used up. */
  private take(peer: Peer, direction: 'received' | 'sent'): boolean {
    const { ctx } = this
    let budget = this.budgets.get(peer)
    if (budget === undefined || elapsed(budget.windowStart, ctx.now) >= WINDOW) {
      budget = { windowStart: ctx.now, received: 0, sent: 0 }
      this.budgets.set(peer, budget)
    }
    if (budget[direction] >= ctx.config.holepunchMessagesPerMinute) return false
    budget[direction]++
    return true
  }

  private forgetOldestIntroducer(): void {
    const oldest = this.introducers.keys().next()
    if (oldest.done !== true) this.introducers.delete(oldest.value)
  }
}

/** A unicast-looking IP literal with a port: what a rendezvous or connect may name. */
function isEndpoint(address: Address): boolean {
  const ip = ipToBytes(address.host)
  if (ip === undefined || address.port < 1 || address.port > 0xffff) return false
  return (
    !ip.every((byte) => byte === 0) && !(ip.length === 4 && ip[0] !== undefined && ip[0] >= 224)
  )
}
