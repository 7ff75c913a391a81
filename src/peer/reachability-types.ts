import type { Address } from '../core/address.js'
import type { AgentSession } from '../drivers/holepunch/attach-agent.js'
import type { AgentConfig } from '../protocols/holepunch/config.js'
import type { ReservationTiming } from './relay-reservations.js'
import type { RelayProtocol } from './service-record.js'

/**
 * How a peer is reached (issue 15, the Skype design): a peer with a public address and spare
 * capacity serves as a relay and advertises it in the DHT; a peer behind NAT keeps
 * reservations with relays found there and publishes a signed record naming them, so that
 * anyone who knows its key can reach it through a relay, and then directly when the NATs allow.
 */
export interface ReachabilityConfig {
  /** The host the service's sockets bind (the peer's own). */
  readonly host: string
  /** A STUN server with RFC 5780 support: the probe decides whether we are reachable. */
  readonly stun?: Address
  /** STUN servers for the sessions' server-reflexive candidates (default: `stun` alone). */
  readonly stunServers?: readonly Address[]
  /** Skip (or override) the probe: a public server, or a peer known to sit behind NAT. */
  readonly assume?: 'reachable' | 'unreachable'
  /** Serve as a relay when reachable. */
  readonly relay?: RelayOffer
  /**
   * When reachable, offer a TURN server of another make on this host (coturn) through the DHT,
   * vouching for it with our key (turn-sponsor.ts). Not with `relay`: both would be our one
   * `relay` record.
   */
  readonly turnSponsor?: TurnSponsorConfig
  /** Relays to keep a reservation with when unreachable (default 2). */
  readonly reservations?: number
  /**
   * Relays (control addresses) to reserve with before any found in the DHT: the operator's
   * own, or ones known to be good. They are not asked for a record (they are trusted).
   */
  readonly relays?: readonly Address[]
  /** The ed25519 seed records are signed with (default random: a new key each run). */
  readonly seed?: Uint8Array
  /** Unix seconds: records carry absolute times (the Node app passes Date.now's). */
  readonly unixNow: () => number
  /** Records are valid this long (default 3600 s) and published again this often (600 s). */
  readonly recordLifetimeSec?: number
  readonly refreshSec?: number
  /** While short of reservations, look for relays again this often (default 30 s). */
  readonly findRelaysEverySec?: number
  /**
   * Offer our host addresses as candidates (default true). False when they are private
   * addresses nobody outside could use: then sessions start on the relay.
   */
  readonly advertiseHost?: boolean
  /** Hole-punch agent settings for our sessions. */
  readonly agent?: Partial<AgentConfig>
  readonly reservationTiming?: ReservationTiming
  /** Sessions at once, incoming and outgoing (default 32). */
  readonly sessionsMax?: number
}

export interface RelayOffer {
  /**
   * relay-lite (default), or TURN (RFC 8656; the signed record carries time-limited
   * credentials anyone who reads it may allocate with, service-records.md).
   */
  readonly protocol?: RelayProtocol
  /** The relay's control port (0: any). */
  readonly port: number
  /**
   * Ports of the allocations: [first, first + count); count is the capacity. TURN binds its
   * relayed addresses on ports the system picks: only `count` applies.
   */
  readonly ports: { readonly first: number; readonly count: number }
  readonly allocationsPerIpMax?: number
  /** Seconds an allocation lives without traffic (default 600). */
  readonly lifetimeSec?: number
  /** Advertise only after this much uptime (default 0: at once). */
  readonly minUptimeSec?: number
  /** The address to advertise, when the probe's mapped address is not it (default: bound). */
  readonly publicHost?: string
  /**
   * TURN: the peers (CIDR prefixes) it may relay to; default every public IPv4 address
   * (`PeerPolicy.publicInternet`: never loopback, private or special ranges).
   */
  readonly allowPeers?: readonly string[]
  /** TURN: the realm (default `plexus`). */
  readonly realm?: string
}

/** A TURN server we hold the TURN REST API secret of (coturn: `static-auth-secret`). */
export interface TurnSponsorConfig {
  /** The server's address as others reach it; its host must be ours (finders check that). */
  readonly server: Address
  readonly realm: string
  /** The shared secret the credentials in our record are minted from (never published). */
  readonly secret: string
  /** Where we answer IDENTIFY with the record (0, the default: any port). */
  readonly identifyPort?: number
  /** The limits the record states (the server enforces its own): 64, 8, 600 s by default. */
  readonly allocationsMax?: number
  readonly allocationsPerIpMax?: number
  readonly lifetimeSec?: number
}

/** A type (not an interface) so that it is a plug-in's JSON status as it is. */
export type ReachabilityStatus = {
  /** Our record key (ed25519 public key), hex. */
  readonly key: string
  readonly state: 'probing' | 'reachable' | 'unreachable' | 'stopped'
  readonly probe?: {
    readonly mapping: string
    readonly filtering: string
    readonly mapped?: string
  }
  readonly relay?: {
    readonly protocol: RelayProtocol
    readonly control: string
    readonly allocations: number
    readonly reservations: number
    readonly knocks: number
    readonly advertised: boolean
  }
  /** The TURN server we vouch for: its address, our IDENTIFY port, where the record is stored. */
  readonly turnSponsor?: Readonly<Record<string, unknown>>
  readonly reservations: readonly {
    readonly relay: string
    readonly mailbox: string
    readonly protocol: RelayProtocol
  }[]
  /** Our `reachable` record is in the DHT (stored on this many nodes last time). */
  readonly recordStoredOn: number
  readonly sessions: {
    readonly incoming: number
    readonly outgoing: number
    /** Relayed sessions that moved to a direct pair, and direct ones that went back. */
    readonly upgraded: number
    readonly fellBack: number
  }
}

/** A session another peer opened to us, or we to it. */
export interface ReachSession {
  readonly direction: 'incoming' | 'outgoing'
  /** Who knocked (incoming), or the mailbox we knocked on (outgoing). */
  readonly via: Address
  readonly session: AgentSession
}
