/**
 * The BEP 15 client as a sans-IO datagram core. Each `announce` / `scrape` is a small state
 * machine: `connect` (skipped while a connection id for the tracker is cached), then `request`.
 * A transmission unanswered after `retransmitBase * 2^n` is sent again with n + 1; n only ever
 * grows within a request (a connect answer does not reset it), so a tracker that answers
 * connects but never announces still ends in `timeout` after at most `retransmitsMax` + 1
 * waits. A retransmission whose connection id has expired goes back to `connect` first.
 *
 * Responses count only when both the transaction id and the source address match the request:
 * anything else is dropped and counted, never trusted (BEP 15 exists to stop spoofing).
 */
import { sameAddress, type Address } from '../../../core/address.js'
import type { DatagramCore, Output } from '../../../core/core.js'
import { assert, LocalProtocolError } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import { after, ms, type Instant } from '../../../core/time.js'
import { DEFAULT_UDP_TRACKER_CONFIG, type UdpTrackerConfig } from './udp-client-config.js'
import { INFO_HASH_BYTES, PEER_ID_BYTES } from './types.js'
import { ConnectionIdCache } from './udp-connections.js'
import { SCRAPE_INFO_HASHES_MAX } from './udp-layout.js'
import {
  isUdpTrackerResponse,
  type UdpFailureReason,
  type UdpRequestId,
  type UdpTrackerEvent,
  type UdpTrackerMessage,
  type UdpTrackerResponse,
} from './udp-messages.js'
import {
  requestMessage,
  successEvent,
  type UdpAnnounceParams,
  type UdpPending,
  type UdpRequestBody,
} from './udp-request.js'

export interface UdpTrackerStats {
  readonly pending: number
  readonly connectionsCached: number
  /** Responses with an unknown transaction id, a wrong source or the wrong action. */
  readonly unmatched: number
  readonly retransmissions: number
}

/** Bounds the search for an unused transaction id; collisions are rare with 2^32 ids. */
const TRANSACTION_ID_TRIES_MAX = 64

export class UdpTrackerClient implements DatagramCore<UdpTrackerMessage, UdpTrackerEvent> {
  private readonly outputs: Output<UdpTrackerMessage, UdpTrackerEvent>[] = []
  private readonly pending = new Map<UdpRequestId, UdpPending>()
  private readonly byTransaction = new Map<number, UdpPending>()
  private readonly connections: ConnectionIdCache
  private nextId = 1
  private unmatched = 0
  private retransmissions = 0

  constructor(
    private readonly random: Random,
    private readonly config: UdpTrackerConfig = DEFAULT_UDP_TRACKER_CONFIG,
  ) {
    assert(config.retransmitsMax >= 0, 'retransmitsMax must be >= 0')
    this.connections = new ConnectionIdCache(config.connectionIdLifetime, config.connectionsMax)
  }

  /** Announces to `tracker` (an address the driver resolved). The answer comes as an event. */
  announce(now: Instant, tracker: Address, params: UdpAnnounceParams): UdpRequestId {
    assert(params.infoHash.length === INFO_HASH_BYTES, 'info_hash must be 20 bytes')
    assert(params.peerId.length === PEER_ID_BYTES, 'peer_id must be 20 bytes')
    return this.start(now, tracker, { kind: 'announce', params })
  }

  /** Scrapes 1..74 torrents (`SCRAPE_INFO_HASHES_MAX`) in one request. */
  scrape(now: Instant, tracker: Address, infoHashes: readonly Uint8Array[]): UdpRequestId {
    const count = infoHashes.length
    assert(count >= 1 && count <= SCRAPE_INFO_HASHES_MAX, 'scrape takes 1..74 info-hashes')
    assert(
      infoHashes.every((hash) => hash.length === INFO_HASH_BYTES),
      'info_hash must be 20 bytes',
    )
    return this.start(now, tracker, { kind: 'scrape', infoHashes })
  }

  /** Forgets a request (the announcer gave up on it); later answers are ignored. */
  cancel(requestId: UdpRequestId): boolean {
    const entry = this.pending.get(requestId)
    if (entry === undefined) return false
    this.finish(entry)
    return true
  }

  receive(now: Instant, from: Address, message: UdpTrackerMessage): void {
    // A client never answers requests: one arriving here is noise or an attack.
    if (!isUdpTrackerResponse(message)) return void this.unmatched++
    const entry = this.byTransaction.get(message.transactionId)
    if (entry === undefined || !sameAddress(entry.tracker, from)) return void this.unmatched++
    this.onResponse(now, entry, message)
  }

  timeout(now: Instant): void {
    for (const entry of this.pending.values()) {
      if (entry.deadline > now) continue
      if (entry.attempt >= this.config.retransmitsMax) {
        const waits = entry.attempt + 1
        this.fail(entry, 'timeout', `no answer from the tracker after ${waits} transmissions`)
        continue
      }
      entry.attempt++
      this.retransmissions++
      if (entry.phase === 'request' && entry.connectionExpiresAt <= now) this.connect(now, entry)
      else this.transmit(now, entry)
    }
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const entry of this.pending.values()) {
      if (next === undefined || entry.deadline < next) next = entry.deadline
    }
    return next
  }

  takeOutputs(): Output<UdpTrackerMessage, UdpTrackerEvent>[] {
    return this.outputs.splice(0)
  }

  inspect(): UdpTrackerStats {
    return {
      pending: this.pending.size,
      connectionsCached: this.connections.size,
      unmatched: this.unmatched,
      retransmissions: this.retransmissions,
    }
  }

  private start(now: Instant, tracker: Address, body: UdpRequestBody): UdpRequestId {
    const id = this.nextId++ as UdpRequestId
    const entry: UdpPending = {
      id,
      tracker,
      body,
      phase: 'connect',
      transactionId: 0,
      attempt: 0,
      deadline: now,
      connectionId: 0n,
      connectionExpiresAt: now,
    }
    // Refusing by event keeps one path for every outcome: callers only ever wait for events.
    if (this.pending.size >= this.config.requestsMax) {
      this.report(entry, 'error', 'too many outstanding tracker requests')
      return id
    }
    this.pending.set(id, entry)
    this.connect(now, entry)
    return id
  }

  /** Goes straight to `request` with a cached connection id, or through `connect` first. */
  private connect(now: Instant, entry: UdpPending): void {
    const cached = this.connections.get(now, entry.tracker)
    if (cached === undefined) return this.enter(now, entry, 'connect')
    entry.connectionId = cached.connectionId
    entry.connectionExpiresAt = cached.expiresAt
    this.enter(now, entry, 'request')
  }

  private onResponse(now: Instant, entry: UdpPending, message: UdpTrackerResponse): void {
    if (message.type === 'error') return this.fail(entry, 'error', message.message)
    if (entry.phase === 'connect' && message.type === 'connect_response') {
      const cached = this.connections.set(now, entry.tracker, message.connectionId)
      entry.connectionId = cached.connectionId
      entry.connectionExpiresAt = cached.expiresAt
      return this.enter(now, entry, 'request')
    }
    const event = entry.phase === 'request' ? successEvent(entry, message) : undefined
    if (event === undefined) return void this.unmatched++
    this.finish(entry)
    this.outputs.push({ type: 'event', event })
  }

  /** Switches phase under a fresh transaction id and transmits. */
  private enter(now: Instant, entry: UdpPending, phase: UdpPending['phase']): void {
    this.unmap(entry)
    entry.phase = phase
    entry.transactionId = this.freshTransactionId()
    this.byTransaction.set(entry.transactionId, entry)
    this.transmit(now, entry)
  }

  /** Sends the current phase's datagram and arms its wait `retransmitBase * 2^n`. */
  private transmit(now: Instant, entry: UdpPending): void {
    entry.deadline = after(now, ms(this.config.retransmitBase * 2 ** entry.attempt))
    this.outputs.push({ type: 'send', to: entry.tracker, message: requestMessage(entry) })
  }

  private freshTransactionId(): number {
    for (let tries = 0; tries < TRANSACTION_ID_TRIES_MAX; tries++) {
      const id = this.random.int(0x1_0000_0000)
      if (!this.byTransaction.has(id)) return id
    }
    throw new LocalProtocolError('no free transaction id: is Random constant?')
  }

  private fail(entry: UdpPending, reason: UdpFailureReason, message: string): void {
    this.finish(entry)
    this.report(entry, reason, message)
  }

  private report(entry: UdpPending, reason: UdpFailureReason, message: string): void {
    const type = entry.body.kind === 'announce' ? 'announce_failed' : 'scrape_failed'
    this.outputs.push({ type: 'event', event: { type, requestId: entry.id, reason, message } })
  }

  private finish(entry: UdpPending): void {
    this.pending.delete(entry.id)
    this.unmap(entry)
  }

  private unmap(entry: UdpPending): void {
    if (this.byTransaction.get(entry.transactionId) === entry) {
      this.byTransaction.delete(entry.transactionId)
    }
  }
}
