/**
 * Servent configuration with explicit defaults, and the events and trace records the core
 * emits. Every cache, table and queue has a named bound here.
 */
import type { Address } from '../../core/address.js'
import type { ConnectionId, StreamCloseReason } from '../../core/core.js'
import type { RemoteFault } from '../../core/errors.js'
import type { DemotionThresholds } from '../ultrapeer/demotion.js'
import type { Payload } from './messages.js'

/** `peer`: a flat 0.4-style servent (every neighbour equal); `ultrapeer` / `leaf`: 0.6. */
export type Role = 'peer' | 'ultrapeer' | 'leaf'

export interface ServentConfig {
  readonly role: Role
  /** Where others reach us (pongs, QueryHits, Push). */
  readonly advertised: Address
  readonly userAgent: string
  /** Originating TTL of queries (flat flood, and a leaf's queries to its ultrapeers). */
  readonly queryTtl: number
  readonly ttlMax: number
  readonly payloadBytesMax: number
  readonly guidCacheEntriesMax: number
  readonly routeTableEntriesMax: number
  readonly pongCacheEntriesMax: number
  readonly pongMaxAgeMs: number
  readonly pongsPerPingMax: number
  readonly pingIntervalMs: number
  /** Flat role: neighbours. */
  readonly peersMax: number
  /** Ultrapeer role: ultrapeer neighbours and leaves. */
  readonly ultrapeersMax: number
  readonly leavesMax: number
  /** Leaf role: ultrapeers kept (2-3), and candidates probed before the slowest is dropped. */
  readonly leafUltrapeers: number
  readonly leafCandidatesExtra: number
  readonly maintainIntervalMs: number
  readonly queriesPerSecondMax: number
  readonly queryBurstMax: number
  /** QRP table length (slots) for our own and merged tables. */
  readonly qrpTableLength: number
  /** Ultrapeers: forward TTL-1 queries to neighbour ultrapeers only on a table hit. */
  readonly lastHopQrp: boolean
  /** Ultrapeers: originate (and run leaves' queries) by dynamic querying instead of flooding. */
  readonly dynamicQuerying: boolean
  readonly dqResultsWanted: number
  /**
   * Leaf role: how many of its ultrapeers get each query. Every ultrapeer that receives it
   * runs its own dynamic query; without leaf guidance each counts only the results it routes,
   * so k ultrapeers bring back ~k times the results wanted. With guidance each learns the
   * leaf's total before widening, but their probes still overlap: one is the default.
   */
  readonly leafQueryUltrapeers: number
  /**
   * Leaf guidance (BEAR/11 QueryStatusRequest, BEAR/12 QueryStatusResponse): an ultrapeer
   * asks the leaf for its kept results before widening a query run for it, and stops when
   * the leaf has enough or says stop; a leaf answers such requests.
   */
  readonly leafGuidance: boolean
  /** How long before a widening step the ultrapeer asks the leaf (more than a round trip). */
  readonly dqGuidanceLeadMs: number
  readonly dqProbeTtl: number
  readonly dqProbeConnections: number
  readonly dqWaitPerHopMs: number
  readonly qrpRefreshMs: number
  /** Extra TTL given to QueryHits over the query's hop count, for safety. */
  readonly hitTtlSlack: number
  /**
   * We cannot accept connections (behind a firewall or NAT): our QueryHits say so (the QHD
   * push flag) and downloaders reach us by a Push that we answer by connecting back (GIV).
   */
  readonly firewalled: boolean
  /**
   * Ultrapeer role: demote ourselves to a leaf when we keep too few leaves while neighbour
   * ultrapeers have room (src/protocols/ultrapeer/demotion.ts); undefined: never.
   */
  readonly demotion: DemotionThresholds | undefined
}

export function serventConfig(
  overrides: Partial<ServentConfig> & Pick<ServentConfig, 'advertised'>,
): ServentConfig {
  return {
    role: 'peer',
    userAgent: 'plexus/0.1',
    queryTtl: 7,
    ttlMax: 7,
    payloadBytesMax: 65_536,
    guidCacheEntriesMax: 10_000,
    routeTableEntriesMax: 10_000,
    pongCacheEntriesMax: 200,
    pongMaxAgeMs: 5 * 60_000,
    pongsPerPingMax: 10,
    pingIntervalMs: 60_000,
    peersMax: 8,
    ultrapeersMax: 32,
    leavesMax: 40,
    leafUltrapeers: 3,
    leafCandidatesExtra: 1,
    maintainIntervalMs: 5_000,
    queriesPerSecondMax: 5,
    queryBurstMax: 20,
    qrpTableLength: 65_536,
    lastHopQrp: true,
    dynamicQuerying: true,
    dqResultsWanted: 50,
    leafQueryUltrapeers: 1,
    leafGuidance: true,
    dqGuidanceLeadMs: 500,
    dqProbeTtl: 1,
    dqProbeConnections: 3,
    dqWaitPerHopMs: 1_000,
    qrpRefreshMs: 5_000,
    hitTtlSlack: 1,
    firewalled: false,
    demotion: undefined,
    ...overrides,
  }
}

export type GnutellaEvent =
  | {
      readonly type: 'connection_opened'
      readonly connection: ConnectionId
      readonly remote: Address
      readonly peerRole: Role
    }
  | {
      readonly type: 'connection_closed'
      readonly connection: ConnectionId
      readonly remote: Address
      readonly reason: StreamCloseReason | 'refused' | 'handshake_failed' | 'bye' | 'fault'
    }
  | {
      readonly type: 'handshake_refused'
      readonly connection: ConnectionId
      readonly code: number
      readonly tryUltrapeers: readonly Address[]
    }
  | {
      readonly type: 'query_hit'
      readonly queryId: string
      readonly hit: Extract<Payload, { type: 'query_hit' }>
    }
  | { readonly type: 'search_finished'; readonly queryId: string; readonly results: number }
  | { readonly type: 'push_requested'; readonly fileIndex: number; readonly to: Address }
  | { readonly type: 'role_changed'; readonly role: Role; readonly reason: 'demoted' }
  /** Push proxying set up on a connection: we are its leaf's proxy, or it is ours. */
  | {
      readonly type: 'push_proxy_changed'
      readonly connection: ConnectionId
      readonly role: 'proxy' | 'proxied'
    }
  | {
      readonly type: 'remote_fault'
      readonly connection: ConnectionId
      readonly fault: RemoteFault
    }

/**
 * What the simulator's invariant checkers see (an optional synchronous callback; nothing in
 * the core depends on it). `received` carries the header as it arrived, before clamping.
 */
export type RoutingRecord =
  | {
      readonly kind: 'query_received'
      readonly guid: string
      readonly connection: ConnectionId
      readonly ttl: number
      readonly hops: number
      readonly duplicate: boolean
    }
  | {
      readonly kind: 'query_sent'
      readonly guid: string
      readonly connection: ConnectionId
      readonly ttl: number
      readonly hops: number
      /** The connection the query came from; undefined when we originated it. */
      readonly from: ConnectionId | undefined
      /** The header it arrived with (undefined when we originated it). */
      readonly received: { readonly ttl: number; readonly hops: number } | undefined
      readonly toLeaf: boolean
    }
  | { readonly kind: 'hit_sent'; readonly guid: string; readonly connection: ConnectionId }
  | { readonly kind: 'hit_received'; readonly guid: string; readonly connection: ConnectionId }
