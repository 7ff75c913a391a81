/**
 * One connection's state in the metadata fetcher. Phases, in order:
 * `connecting` (outbound, until the driver reports it connected) -> `handshaking` (until the
 * peer's BEP 3 handshake) -> `extending` (until its BEP 10 handshake offers ut_metadata) ->
 * `ready` (requests flow). A peer that cannot reach `ready` is closed, never parked: the slot
 * is worth more to the next candidate.
 */
import type { Address } from '../../../core/address.js'
import { concatBytes } from '../../../core/bytes.js'
import type { ConnectionId } from '../../../core/core.js'
import { after, earliest, type Instant } from '../../../core/time.js'
import { PeerWireConnection, type WireMessage } from '../wire/index.js'
import type { MetadataConfig } from './config.js'

export type MetadataPeerPhase = 'connecting' | 'handshaking' | 'extending' | 'ready'

export class MetadataPeer {
  phase: MetadataPeerPhase
  readonly wire = new PeerWireConnection()
  /** When the current phase's deadline started: the dial, or the connection. */
  since: Instant
  lastSentAt: Instant
  /** Where the peer listens: the dialled address, or an inbound peer's `p`. */
  listenAddress: Address | undefined
  fast = false
  /** The extended id the peer wants ut_metadata as (its `m`). */
  utMetadataId = 0
  metadataSize: number | undefined = undefined
  /** Outstanding requests: piece -> deadline. At most `requestsPerPeerMax`. */
  readonly requests = new Map<number, Instant>()
  /** Pieces this peer rejected or let time out: never asked of it again. */
  readonly refused = new Set<number>()
  rejects = 0
  timeouts = 0
  /** The driver's send buffer is full: hold optional writes until `writable`. */
  blocked = false

  constructor(
    readonly id: ConnectionId,
    readonly outbound: boolean,
    readonly remote: Address,
    now: Instant,
  ) {
    this.phase = outbound ? 'connecting' : 'handshaking'
    this.since = now
    this.lastSentAt = now
    this.listenAddress = outbound ? remote : undefined
  }

  send(now: Instant, message: WireMessage): void {
    this.wire.send(message)
    this.lastSentAt = now
  }

  /** The bytes `send` queued, as one write, or undefined when nothing is queued. */
  takeBytes(): Uint8Array | undefined {
    const chunks = this.wire.takeOutbox()
    if (chunks.length === 0) return undefined
    return chunks.length === 1 ? chunks[0] : concatBytes(chunks)
  }

  /** Whether the connect, handshake or inactivity deadline has passed. */
  expired(now: Instant, config: MetadataConfig): boolean {
    if (this.phase === 'connecting') return after(this.since, config.connectTimeout) <= now
    if (this.phase !== 'ready') return after(this.since, config.handshakeTimeout) <= now
    return after(this.wire.lastReceivedAt ?? this.since, config.inactivityTimeout) <= now
  }

  /** The earliest instant at which `timeout` has work for this peer. */
  deadline(config: MetadataConfig): Instant | undefined {
    if (this.phase === 'connecting') return after(this.since, config.connectTimeout)
    if (this.phase !== 'ready') return after(this.since, config.handshakeTimeout)
    let next = earliest(
      after(this.wire.lastReceivedAt ?? this.since, config.inactivityTimeout),
      after(this.lastSentAt, config.keepAliveInterval),
    )
    for (const at of this.requests.values()) next = earliest(next, at)
    return next
  }
}
