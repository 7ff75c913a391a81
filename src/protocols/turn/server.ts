/**
 * A TURN server (RFC 8656, UDP transport to the client and to peers) as a sans-IO core. The
 * driver feeds it what arrives on the server's socket (`receive`) and on each relayed address
 * (`receivePeer`), binds a relay socket when asked (`bind_relay`, answered by `relayBound`),
 * and sends what it says. It answers Binding as a STUN server too.
 *
 * What it refuses, with the RFC's codes: requests without valid long-term credentials (401),
 * stale nonces (438), a second allocation on a 5-tuple (437), another user's allocation (441),
 * other transports than UDP (442), peers the operator's policy does not allow (403), users or
 * IPs over their allocation quota (486), more allocations than it has room for or a relay it
 * could not bind (508). Data goes to a peer only through a live permission for its IP.
 */
import { isIPv4, sameAddress, type Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { after, earliest, seconds, type Duration, type Instant } from '../../core/time.js'
import type { StunAttribute } from '../stun/attributes.js'
import { decodeStun, findAttribute, type DecodedStun } from '../stun/codec.js'
import { AttributeType, StunErrorCode, StunMethod, TRANSPORT_UDP } from '../stun/constants.js'
import { answerBinding, errorResponse } from '../stun/server.js'
import { addressNumber, type AddressNumber } from './address-number.js'
import { Allocation } from './allocation.js'
import { ByteSlab } from './byte-slab.js'
import {
  decodeChannelData,
  encodeChannelData,
  isChannelNumber,
  looksLikeChannelData,
} from './channel-data.js'
import type { TurnServerConfig } from './config.js'
import { NonceMinter } from './nonces.js'
import { checkCredentials, type Authenticated } from './server-auth.js'
import { AllocationQuotas } from './quotas.js'
import type { CloseReason, TurnServerEvent, TurnServerOutput } from './server-events.js'
import {
  IndicationIds,
  dataIndication,
  signedError,
  signedSuccess,
  softwareOption,
} from './server-messages.js'

interface PendingAllocation {
  readonly client: Address
  readonly username: string
  readonly key: Uint8Array
  readonly request: DecodedStun
  readonly lifetime: Duration
}

export class TurnServer {
  /** By the client's address (`addressNumber`: no string per datagram). */
  private readonly byClient = new Map<AddressNumber, Allocation>()
  /** By the relayed port: every relayed address has the host `config.relayHost`. */
  private readonly byRelayPort = new Map<number, Allocation>()
  private readonly pending = new Map<string, PendingAllocation>()
  private readonly nonces: NonceMinter
  private outputs: TurnServerOutput[] = []
  private nextPendingId = 0
  private cachedNext: Instant | undefined
  private readonly quotas = new AllocationQuotas()
  private readonly indicationIds = new IndicationIds()
  private deadlinesChanged = false
  /** ChannelData to clients is built here, not in an array of its own each (byte-slab.ts). */
  private readonly slab = new ByteSlab()
  private readonly take = (length: number): Uint8Array => this.slab.take(length)

  constructor(
    private readonly config: TurnServerConfig,
    /** The server's own address (answers Binding as a plain STUN server). */
    private readonly listen: Address,
    random: Random,
  ) {
    this.nonces = new NonceMinter(random.bytes(20), config.nonceLifetime)
  }

  get allocationCount(): number {
    return this.byClient.size
  }

  /** A datagram on the server's socket: STUN requests and indications, or ChannelData. */
  receive(now: Instant, from: Address, bytes: Uint8Array): void {
    if (looksLikeChannelData(bytes)) return this.channelDataFromClient(now, from, bytes)
    const decoded = decodeStun(bytes)
    if (!decoded.ok) {
      const { error } = decoded
      if (
        (error.code === 'bad_attribute' || error.code === 'truncated_attribute') &&
        error.header.messageClass === 'request'
      ) {
        this.refuse(from, error.header, StunErrorCode.BadRequest)
      } else this.event({ type: 'dropped', from, reason: 'malformed' })
      return
    }
    const message = decoded.value
    if (message.messageClass === 'indication') {
      if (message.method === StunMethod.Send) this.sendIndication(now, from, message)
      return
    }
    if (message.messageClass !== 'request') return
    if (message.method === StunMethod.Binding) {
      const reply = answerBinding(
        { primary: this.listen, ...softwareOption(this.config.software) },
        this.listen,
        from,
        message,
      )
      if (reply !== undefined) this.outputs.push({ type: 'send', to: reply.to, bytes: reply.bytes })
      return
    }
    if (message.unknownRequired.length > 0) {
      const unknown: StunAttribute = { type: 'unknown-attributes', types: message.unknownRequired }
      return this.refuse(from, message, StunErrorCode.UnknownAttribute, [unknown])
    }
    const auth = this.authenticate(now, from, message)
    if (auth === undefined) return
    this.deadlinesChanged = true
    switch (message.method) {
      case StunMethod.Allocate:
        return this.allocate(now, from, message, auth)
      case StunMethod.Refresh:
        return this.refresh(now, from, message, auth)
      case StunMethod.CreatePermission:
        return this.createPermission(now, from, message, auth)
      case StunMethod.ChannelBind:
        return this.channelBind(now, from, message, auth)
      default:
        return this.refuse(from, message, StunErrorCode.BadRequest, [], auth.key)
    }
  }

  /** A datagram from `from` to the relayed address `relay`. */
  receivePeer(now: Instant, relay: Address, from: Address, bytes: Uint8Array): void {
    const allocation = this.byRelayPort.get(relay.port)
    if (allocation === undefined || allocation.relay.host !== relay.host) return
    if (!allocation.hasPermission(now, from.host))
      return this.event({ type: 'dropped', from, reason: 'no_permission' })
    if (!this.spend(now, allocation, bytes.length, from)) return
    const channel = allocation.channelsByPeer.get(addressNumber(from))
    const out =
      channel !== undefined && channel.expiresAt > now
        ? encodeChannelData(channel.number, bytes, false, this.take)
        : dataIndication(this.indicationIds.next(), from, bytes)
    this.outputs.push({ type: 'send', to: allocation.client, bytes: out })
  }

  /** The driver bound the relay socket asked for by `bind_relay` (or could not). */
  relayBound(now: Instant, id: string, relay: Address | undefined): void {
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    const { client, request, key } = pending
    if (relay === undefined) {
      this.quotas.count(pending.username, client.host, -1)
      return this.refuse(client, request, StunErrorCode.InsufficientCapacity, [], key)
    }
    const allocation = new Allocation(
      client,
      pending.username,
      key,
      relay,
      now,
      after(now, pending.lifetime),
      toHex(request.transactionId),
      this.config.bytesPerSecond,
    )
    this.deadlinesChanged = true
    this.byClient.set(addressNumber(client), allocation)
    this.byRelayPort.set(relay.port, allocation)
    this.allocateSuccess(allocation, request, pending.lifetime)
    this.event({
      type: 'allocated',
      client,
      relay,
      username: pending.username,
      lifetimeSeconds: pending.lifetime / 1000,
    })
  }

  timeout(now: Instant): void {
    this.deadlinesChanged = true
    for (const allocation of [...this.byClient.values()]) {
      if (allocation.expiresAt <= now) this.close(allocation, 'expired')
      else if (after(allocation.createdAt, this.config.allocationDurationMax) <= now)
        this.close(allocation, 'duration')
      else allocation.sweep(now)
    }
  }

  /**
   * Cached between changes: the driver asks after every datagram, and relaying data changes
   * no deadline, so a relay with many allocations does not walk them all per datagram.
   */
  nextTimeout(): Instant | undefined {
    if (!this.deadlinesChanged) return this.cachedNext
    this.deadlinesChanged = false
    this.cachedNext = this.computeNextTimeout()
    return this.cachedNext
  }

  private computeNextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const allocation of this.byClient.values()) {
      next = earliest(next, allocation.expiresAt)
      next = earliest(next, after(allocation.createdAt, this.config.allocationDurationMax))
      for (const until of allocation.permissions.values()) next = earliest(next, until)
      for (const channel of allocation.channelsByNumber.values())
        next = earliest(next, channel.expiresAt)
    }
    return next
  }

  takeOutputs(): TurnServerOutput[] {
    const taken = this.outputs
    this.outputs = []
    return taken
  }

  // --- requests ----------------------------------------------------------------------------

  private authenticate(
    now: Instant,
    from: Address,
    request: DecodedStun,
  ): Authenticated | undefined {
    const checked = checkCredentials(now, from, request, this.config, this.nonces)
    if ('refuse' in checked) {
      this.refuse(from, request, checked.refuse, checked.attributes)
      return undefined
    }
    return checked
  }

  private allocate(now: Instant, from: Address, request: DecodedStun, auth: Authenticated): void {
    const existing = this.byClient.get(addressNumber(from))
    if (existing !== undefined) {
      // A retransmitted Allocate gets the same answer; any other is a mismatch (RFC 8656 7.2).
      if (existing.allocateTransaction === toHex(request.transactionId)) {
        return this.allocateSuccess(existing, request, existing.expiresAt - now)
      }
      return this.refuse(from, request, StunErrorCode.AllocationMismatch, [], auth.key)
    }
    for (const pending of this.pending.values()) {
      if (sameAddress(pending.client, from)) return // its answer is on the way
    }
    const transport = findAttribute(request, 'requested-transport')
    if (transport === undefined)
      return this.refuse(from, request, StunErrorCode.BadRequest, [], auth.key)
    if (transport.protocol !== TRANSPORT_UDP) {
      return this.refuse(from, request, StunErrorCode.UnsupportedTransportProtocol, [], auth.key)
    }
    if (findAttribute(request, 'dont-fragment') !== undefined) {
      // Node cannot set DF per datagram: RFC 8656 7.2 says to treat the attribute as unknown.
      const unknown: StunAttribute = {
        type: 'unknown-attributes',
        types: [AttributeType.DontFragment],
      }
      return this.refuse(from, request, StunErrorCode.UnknownAttribute, [unknown], auth.key)
    }
    const family = findAttribute(request, 'requested-address-family')?.family ?? 4
    if (family !== (isIPv4(this.config.relayHost) ? 4 : 6)) {
      return this.refuse(from, request, StunErrorCode.AddressFamilyNotSupported, [], auth.key)
    }
    if (
      findAttribute(request, 'reservation-token') !== undefined ||
      findAttribute(request, 'even-port')?.reserve === true
    ) {
      // No port reservations here.
      return this.refuse(from, request, StunErrorCode.InsufficientCapacity, [], auth.key)
    }
    if (this.byClient.size + this.pending.size >= this.config.allocationsMax) {
      return this.refuse(from, request, StunErrorCode.InsufficientCapacity, [], auth.key)
    }
    if (
      this.quotas.ofUser(auth.username) >= this.config.allocationsPerUser ||
      this.quotas.ofIp(from.host) >= this.config.allocationsPerIp
    ) {
      return this.refuse(from, request, StunErrorCode.AllocationQuotaReached, [], auth.key)
    }
    this.quotas.count(auth.username, from.host, +1)
    const id = String(this.nextPendingId++)
    this.pending.set(id, {
      client: from,
      username: auth.username,
      key: auth.key,
      request,
      lifetime: this.lifetimeFor(request),
    })
    this.outputs.push({ type: 'bind_relay', id, host: this.config.relayHost })
  }

  private allocateSuccess(allocation: Allocation, request: DecodedStun, lifetime: number): void {
    this.respond(allocation.client, request, allocation.key, [
      { type: 'xor-relayed-address', address: allocation.relay },
      { type: 'lifetime', seconds: Math.max(0, Math.floor(lifetime / 1000)) },
      { type: 'xor-mapped-address', address: allocation.client },
    ])
  }

  /** RFC 8656 7.2: min(asked, maximum), but never below the default. */
  private lifetimeFor(request: DecodedStun): Duration {
    const asked = findAttribute(request, 'lifetime')
    if (asked === undefined) return this.config.defaultLifetime
    const capped = Math.min(seconds(asked.seconds), this.config.maxLifetime)
    return Math.max(capped, this.config.defaultLifetime) as Duration
  }

  private owned(from: Address, request: DecodedStun, auth: Authenticated): Allocation | undefined {
    const allocation = this.byClient.get(addressNumber(from))
    if (allocation === undefined) {
      this.refuse(from, request, StunErrorCode.AllocationMismatch, [], auth.key)
      return undefined
    }
    if (allocation.username !== auth.username) {
      this.refuse(from, request, StunErrorCode.WrongCredentials, [], auth.key)
      return undefined
    }
    return allocation
  }

  private refresh(now: Instant, from: Address, request: DecodedStun, auth: Authenticated): void {
    const allocation = this.owned(from, request, auth)
    if (allocation === undefined) return
    const asked = findAttribute(request, 'lifetime')
    if (asked?.seconds === 0) {
      this.respond(from, request, auth.key, [{ type: 'lifetime', seconds: 0 }])
      return this.close(allocation, 'deleted')
    }
    const end = after(allocation.createdAt, this.config.allocationDurationMax)
    const lifetime = Math.min(this.lifetimeFor(request), end - now) as Duration
    allocation.expiresAt = after(now, lifetime)
    this.respond(from, request, auth.key, [
      { type: 'lifetime', seconds: Math.floor(lifetime / 1000) },
    ])
  }

  private createPermission(
    now: Instant,
    from: Address,
    request: DecodedStun,
    auth: Authenticated,
  ): void {
    const allocation = this.owned(from, request, auth)
    if (allocation === undefined) return
    const peers = request.attributes.flatMap((a) =>
      a.type === 'xor-peer-address' ? [a.address] : [],
    )
    if (peers.length === 0)
      return this.refuse(from, request, StunErrorCode.BadRequest, [], auth.key)
    if (peers.some((peer) => isIPv4(peer.host) !== isIPv4(allocation.relay.host))) {
      return this.refuse(from, request, StunErrorCode.PeerAddressFamilyMismatch, [], auth.key)
    }
    // All or nothing: one forbidden peer refuses the whole request (RFC 8656 9.2).
    if (peers.some((peer) => !this.config.peerPolicy.allows(peer.host))) {
      return this.refuse(from, request, StunErrorCode.Forbidden, [], auth.key)
    }
    for (const peer of peers) allocation.permit(now, peer.host, this.config.permissionLifetime)
    this.respond(from, request, auth.key, [])
  }

  private channelBind(
    now: Instant,
    from: Address,
    request: DecodedStun,
    auth: Authenticated,
  ): void {
    const allocation = this.owned(from, request, auth)
    if (allocation === undefined) return
    const channel = findAttribute(request, 'channel-number')?.channel
    const peer = findAttribute(request, 'xor-peer-address')?.address
    if (
      channel === undefined ||
      peer === undefined ||
      !isChannelNumber(channel) ||
      !allocation.canBind(channel, peer)
    ) {
      return this.refuse(from, request, StunErrorCode.BadRequest, [], auth.key)
    }
    if (isIPv4(peer.host) !== isIPv4(allocation.relay.host)) {
      return this.refuse(from, request, StunErrorCode.PeerAddressFamilyMismatch, [], auth.key)
    }
    if (!this.config.peerPolicy.allows(peer.host))
      return this.refuse(from, request, StunErrorCode.Forbidden, [], auth.key)
    allocation.bind(now, channel, peer, this.config.channelLifetime)
    allocation.permit(now, peer.host, this.config.permissionLifetime)
    this.respond(from, request, auth.key, [])
  }

  // --- data from the client ----------------------------------------------------------------

  private sendIndication(now: Instant, from: Address, indication: DecodedStun): void {
    const allocation = this.byClient.get(addressNumber(from))
    const peer = findAttribute(indication, 'xor-peer-address')?.address
    const data = findAttribute(indication, 'data')?.value
    if (allocation === undefined)
      return this.event({ type: 'dropped', from, reason: 'no_allocation' })
    if (peer === undefined || data === undefined)
      return this.event({ type: 'dropped', from, reason: 'malformed' })
    this.relayToPeer(now, allocation, peer, data)
  }

  private channelDataFromClient(now: Instant, from: Address, bytes: Uint8Array): void {
    const allocation = this.byClient.get(addressNumber(from))
    if (allocation === undefined)
      return this.event({ type: 'dropped', from, reason: 'no_allocation' })
    const decoded = decodeChannelData(bytes)
    const channel =
      decoded === undefined ? undefined : allocation.channelsByNumber.get(decoded.channel)
    if (decoded === undefined || channel === undefined || channel.expiresAt <= now) {
      return this.event({ type: 'dropped', from, reason: 'malformed' })
    }
    this.relayToPeer(now, allocation, channel.peer, decoded.data)
  }

  private relayToPeer(now: Instant, allocation: Allocation, peer: Address, data: Uint8Array): void {
    const from = allocation.client
    // The policy is checked again on every datagram: a permission cannot outlive a policy.
    if (!this.config.peerPolicy.allows(peer.host))
      return this.event({ type: 'dropped', from, reason: 'forbidden_peer' })
    if (!allocation.hasPermission(now, peer.host))
      return this.event({ type: 'dropped', from, reason: 'no_permission' })
    if (!this.spend(now, allocation, data.length, from)) return
    this.outputs.push({ type: 'relay', from: allocation.relay, to: peer, bytes: data })
  }

  private spend(now: Instant, allocation: Allocation, bytes: number, from: Address): boolean {
    if (allocation.relayedBytes + bytes > this.config.bytesPerAllocation) {
      this.close(allocation, 'bytes_quota')
      return false
    }
    if (!allocation.spend(now, bytes)) {
      this.event({ type: 'dropped', from, reason: 'rate' })
      return false
    }
    return true
  }

  // --- helpers -----------------------------------------------------------------------------

  private close(allocation: Allocation, reason: CloseReason): void {
    this.deadlinesChanged = true
    this.quotas.count(allocation.username, allocation.client.host, -1)
    this.byClient.delete(addressNumber(allocation.client))
    this.byRelayPort.delete(allocation.relay.port)
    this.outputs.push({ type: 'close_relay', relay: allocation.relay })
    this.event({
      type: 'allocation_closed',
      client: allocation.client,
      relay: allocation.relay,
      reason,
      relayedBytes: allocation.relayedBytes,
    })
  }

  private respond(
    to: Address,
    request: DecodedStun,
    key: Uint8Array,
    attributes: StunAttribute[],
  ): void {
    const bytes = signedSuccess(request, key, attributes, this.config.software)
    this.outputs.push({ type: 'send', to, bytes })
  }

  private refuse(
    to: Address,
    request: { readonly method: number; readonly transactionId: Uint8Array },
    code: number,
    extra: StunAttribute[] = [],
    key?: Uint8Array,
  ): void {
    this.event({ type: 'refused', client: to, method: request.method, code })
    const software = this.config.software
    const bytes =
      key === undefined
        ? errorResponse(request, code, extra, software)
        : signedError(request, code, extra, key, software)
    this.outputs.push({ type: 'send', to, bytes })
  }

  private event(event: TurnServerEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}
