/**
 * The BEP 15 tracker as a `DatagramCore` over raw datagrams (bind it with `rawDatagramCodec`).
 *
 * What gets an answer and what is dropped:
 * - shorter than 16 bytes: dropped. There is no transaction id to answer with, so the client
 *   could not match an error to its request anyway.
 * - action 3 (error): dropped. Answering errors with errors would let a spoofed packet set two
 *   trackers ping-ponging forever.
 * - over the source's rate limit: dropped (and counted): a flood must cost us little.
 * - a source address we cannot parse: dropped (the driver gave us something odd).
 * - everything else that is wrong gets an error (action 3) with a short reason: too long,
 *   connect not exactly 16 bytes or with a wrong protocol id, announce under 98 bytes, scrape
 *   with a partial info_hash or none, unknown action, wrong or expired connection id, bad
 *   event or port, and the registry's refusals (private mode, full).
 * Announce may be longer than 98 bytes: BEP 41 appends options, which we ignore.
 */
import type { Address } from '../../../core/address.js'
import { intToIpv4 } from '../../../core/address.js'
import type { DatagramCore, Output } from '../../../core/core.js'
import type { Instant } from '../../../core/time.js'
import { announcedAddress } from './announced-address.js'
import type { TrackerConfig } from './config.js'
import type { ConnectionIds } from './connection-ids.js'
import { peerAddress, type PeerAddress } from './peer-address.js'
import type { RateLimiter } from './rate-limiter.js'
import type { PeerEvent, SwarmCounts, SwarmRegistry } from './swarm-registry.js'
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_ERROR,
  ACTION_SCRAPE,
  ANNOUNCE_REQUEST_BYTES,
  announceResponse,
  AT_ACTION,
  AT_EVENT,
  AT_INFO_HASH,
  AT_IP,
  AT_LEFT,
  AT_NUM_WANT,
  AT_PEER_ID,
  AT_PORT,
  AT_TRANSACTION,
  CONNECT_REQUEST_BYTES,
  connectResponse,
  errorResponse,
  SCRAPE_REQUEST_HEAD_BYTES,
  scrapeResponse,
  UDP_TRACKER_PROTOCOL_ID,
  view,
} from './udp-wire.js'

/** The UDP core reports nothing: counts are in `stats()`, swarm changes in the registry. */
export type UdpTrackerCoreEvent = never

export interface UdpTrackerStats {
  readonly connects: number
  readonly announces: number
  readonly scrapes: number
  /** Error responses sent. */
  readonly errors: number
  readonly droppedShort: number
  readonly droppedErrorAction: number
  readonly droppedRateLimited: number
  readonly droppedBadSource: number
}

/** What the UDP core shares with its owner: expiry scheduling lives in `TrackerCore`. */
export interface SweepSchedule {
  touch(now: Instant): void
  timeout(now: Instant): void
  nextTimeout(): Instant | undefined
}

export interface UdpTrackerParts {
  readonly config: TrackerConfig
  readonly registry: SwarmRegistry
  readonly connectionIds: ConnectionIds
  readonly limiter: RateLimiter
  readonly schedule: SweepSchedule
}

const HASH_BYTES = 20
const EVENTS: readonly PeerEvent[] = ['none', 'completed', 'started', 'stopped']

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export class UdpTrackerCore implements DatagramCore<Uint8Array, UdpTrackerCoreEvent> {
  private outputs: Output<Uint8Array, UdpTrackerCoreEvent>[] = []
  private readonly counters: Mutable<UdpTrackerStats> = {
    connects: 0,
    announces: 0,
    scrapes: 0,
    errors: 0,
    droppedShort: 0,
    droppedErrorAction: 0,
    droppedRateLimited: 0,
    droppedBadSource: 0,
  }

  constructor(private readonly parts: UdpTrackerParts) {}

  receive(now: Instant, from: Address, bytes: Uint8Array): void {
    this.parts.schedule.touch(now)
    if (bytes.length < CONNECT_REQUEST_BYTES) {
      this.counters.droppedShort++
      return
    }
    const v = view(bytes)
    const action = v.getUint32(AT_ACTION)
    if (action === ACTION_ERROR) {
      this.counters.droppedErrorAction++
      return
    }
    if (!this.parts.limiter.admit(from, now)) {
      this.counters.droppedRateLimited++
      return
    }
    const source = peerAddress(from.host, from.port)
    if (source === undefined) {
      this.counters.droppedBadSource++
      return
    }
    const transactionId = v.getUint32(AT_TRANSACTION)
    const refusal = this.answer(now, source, bytes, action, transactionId, from)
    if (refusal !== undefined) {
      this.counters.errors++
      this.send(from, errorResponse(transactionId, refusal))
    }
  }

  timeout(now: Instant): void {
    this.parts.schedule.timeout(now)
  }

  nextTimeout(): Instant | undefined {
    return this.parts.schedule.nextTimeout()
  }

  takeOutputs(): Output<Uint8Array, UdpTrackerCoreEvent>[] {
    const taken = this.outputs
    this.outputs = []
    return taken
  }

  stats(): UdpTrackerStats {
    return { ...this.counters }
  }

  /** Sends the answer; returns the reason when the request is refused instead. */
  private answer(
    now: Instant,
    source: PeerAddress,
    bytes: Uint8Array,
    action: number,
    transactionId: number,
    from: Address,
  ): string | undefined {
    const { config, connectionIds } = this.parts
    if (bytes.length > config.udpPacketBytesMax) return 'packet too long'
    if (action === ACTION_CONNECT) {
      if (bytes.length !== CONNECT_REQUEST_BYTES) return 'connect request must be 16 bytes'
      if (view(bytes).getBigUint64(0) !== UDP_TRACKER_PROTOCOL_ID) return 'bad protocol id'
      this.counters.connects++
      this.send(from, connectResponse(transactionId, connectionIds.issue(source, now)))
      return undefined
    }
    if (action === ACTION_ANNOUNCE) {
      if (bytes.length < ANNOUNCE_REQUEST_BYTES) return 'announce request shorter than 98 bytes'
      if (!connectionIds.verify(source, bytes, 0, now)) return 'invalid connection id'
      return this.announce(now, source, bytes, transactionId, from)
    }
    if (action === ACTION_SCRAPE) {
      const tail = bytes.length - SCRAPE_REQUEST_HEAD_BYTES
      if (tail % HASH_BYTES !== 0) return 'scrape request has a partial info_hash'
      const count = tail / HASH_BYTES
      if (count === 0) return 'scrape request names no info_hash'
      if (count > config.scrapeHashesMax) return `at most ${config.scrapeHashesMax} info_hash`
      if (!connectionIds.verify(source, bytes, 0, now)) return 'invalid connection id'
      this.scrape(bytes, count, transactionId, from)
      return undefined
    }
    return `unknown action ${action}`
  }

  private announce(
    now: Instant,
    source: PeerAddress,
    bytes: Uint8Array,
    transactionId: number,
    from: Address,
  ): string | undefined {
    const { config, registry } = this.parts
    const v = view(bytes)
    const eventCode = v.getUint32(AT_EVENT)
    const event = EVENTS[eventCode]
    if (event === undefined) return `unknown event ${eventCode}`
    const port = v.getUint16(AT_PORT)
    if (port === 0) return 'port must be 1 to 65535'
    // The IP field is IPv4 only; 0 means "the sender's". Trusted only as the policy says.
    const ip = v.getUint32(AT_IP)
    const claimed = ip !== 0 && source.family === 'ipv4' ? intToIpv4(ip) : undefined
    const peer = announcedAddress(source, port, [claimed], config.addressParams)
    const familyMax = peer.family === 'ipv4' ? config.udpPeersMaxIpv4 : config.udpPeersMaxIpv6
    const asked = v.getInt32(AT_NUM_WANT)
    const wanted = asked < 0 ? config.numwantDefault : asked
    const result = registry.announce(
      {
        infoHash: bytes.slice(AT_INFO_HASH, AT_INFO_HASH + HASH_BYTES),
        peerId: bytes.slice(AT_PEER_ID, AT_PEER_ID + HASH_BYTES),
        family: peer.family,
        addr: peer.addr,
        seeder: v.getBigInt64(AT_LEFT) === 0n,
        event,
        numWant: Math.min(wanted, config.numwantMax, familyMax),
        families: 'same',
        withPeerIds: false,
      },
      now,
    )
    if (!result.ok) return result.error
    this.counters.announces++
    const answer = result.value
    // Peers come from the request's family only: the response has no room to say otherwise.
    const peers = peer.family === 'ipv4' ? answer.ipv4.addrs : answer.ipv6.addrs
    const interval = Math.round(config.interval / 1000)
    this.send(from, announceResponse(transactionId, interval, answer, peers))
    return undefined
  }

  private scrape(bytes: Uint8Array, count: number, transactionId: number, from: Address): void {
    const { registry } = this.parts
    const entries: SwarmCounts[] = []
    for (let i = 0; i < count; i++) {
      const at = SCRAPE_REQUEST_HEAD_BYTES + i * HASH_BYTES
      const infoHash = bytes.subarray(at, at + HASH_BYTES)
      // Positions carry meaning here, so an unknown or not-allowed hash is a row of zeros.
      const counts = registry.isAllowed(infoHash) ? registry.countsOf(infoHash) : undefined
      entries.push(counts ?? { seeders: 0, leechers: 0, completed: 0 })
    }
    this.counters.scrapes++
    this.send(from, scrapeResponse(transactionId, entries))
  }

  private send(to: Address, message: Uint8Array): void {
    this.outputs.push({ type: 'send', to, message })
  }
}
