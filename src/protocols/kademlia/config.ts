import { minutes, ms, seconds, type Duration } from '../../core/time.js'
import type { SharedIds } from './shared-ids.js'
import type { StorageQuota } from './source-ledger.js'

/** Routing-table policy (BEP 5 states, BEP 42 checks, poisoning limits). */
export interface RoutingConfig {
  /** Bucket size. */
  readonly k: number
  /**
   * libtorrent's extended routing table: bucket i (nodes sharing exactly i leading bits with
   * us) holds k * multipliers[i] nodes once it is no longer the last, splitting bucket. The
   * far buckets cover most of the id space, so larger ones there make the first hop land
   * several bits closer to any target. libtorrent: 16, 8, 4, 2 (128/64/32/16 nodes at k 8).
   */
  readonly bucketSizeMultipliers: readonly number[]
  /** Nodes kept per bucket to replace ones that go bad. */
  readonly replacementsPerBucket: number
  /** A node is good when it answered within this (BEP 5: 15 minutes). */
  readonly goodFor: Duration
  /** Failed queries in a row after which a node is bad. */
  readonly failuresToBad: number
  /** Nodes per IP in the whole table. */
  readonly perIpMax: number
  /** Nodes per /24 (IPv4) or /64 (IPv6) in one bucket. */
  readonly perSubnetPerBucketMax: number
  /** Skip the two limits above for loopback and private addresses (tests, LANs). */
  readonly exemptLocalFromIpLimits: boolean
  /** Refuse nodes whose id does not match their IP (BEP 42; local addresses exempt). */
  readonly enforceBep42: boolean
  /** A bucket unchanged this long is refreshed with a lookup (BEP 5: 15 minutes). */
  readonly refreshAfter: Duration
  /**
   * For a process running many nodes (the simulator): one copy of each id and host string
   * for all their tables (shared-ids.ts). Undefined: each table copies the ids it keeps.
   */
  readonly sharedIds?: SharedIds
}

export interface DhtConfig {
  readonly routing: RoutingConfig
  /** Lookup parallelism. */
  readonly alpha: number
  /**
   * libtorrent's `dht_aggressive_lookups`: alpha bounds the queries in flight among the k
   * closest candidates only, so closer nodes named in a reply are asked at once (lookup.ts).
   */
  readonly aggressiveLookups: boolean
  /**
   * A lookup query unanswered after this quantile of the recent RTTs frees its alpha slot
   * (it stays in flight); 0: after twice the smoothed RTT.
   */
  readonly shortTimeoutQuantile: number
  /** Candidates a lookup remembers, closest first (a multiple of k). */
  readonly lookupCandidatesMax: number
  /** Adaptive request timeout bounds and start value. */
  readonly timeoutMin: Duration
  readonly timeoutMax: Duration
  readonly timeoutInitial: Duration
  /** Requests in flight at once; commands' queries wait beyond it. */
  readonly inflightMax: number
  /** BEP 43: send `ro` and answer no queries. */
  readonly readOnly: boolean
  /** Token secret rotation (BEP 5: 5 minutes; the previous secret is still accepted). */
  readonly tokenRotation: Duration
  /** Stored peers live this long unless re-announced. */
  readonly peerTtl: Duration
  readonly peersPerInfoHashMax: number
  readonly infoHashesMax: number
  /** Peers returned in one `values` list (keeps a response in one datagram). */
  readonly valuesPerResponseMax: number
  /** BEP 44 items live this long unless re-put (BEP 44 asks for at least 2 hours). */
  readonly itemTtl: Duration
  readonly itemsMax: number
  /**
   * BEP 44 items one source address / one prefix (/24, /48) may hold; beyond it a put of a new
   * target is refused with 202 (see source-ledger.ts). Local sources are counted per address
   * and port when `routing.exemptLocalFromIpLimits` is set.
   */
  readonly itemQuota: StorageQuota
  /** Announced peers one source address / one prefix may hold (the same rules). */
  readonly announceQuota: StorageQuota
  /** Per-source-IP query rate limit: a token bucket of `burst` refilled at `perSecond`. */
  readonly rateLimit: {
    readonly perSecond: number
    readonly burst: number
    /** Source IPs tracked; the least recently seen is forgotten beyond it. */
    readonly sourcesMax: number
  }
  /**
   * Mean spacing between two bucket refreshes; each is drawn in [1/2, 3/2] of it, and a stale
   * bucket waits a further [0, 1) of it (`refreshJitter`), so nodes do not refresh in step.
   */
  readonly refreshSpacing: Duration
  /**
   * Minimum spacing between two pings of questionable nodes (BEP 5's ping when a newcomer
   * finds its bucket full). Unbounded, a ping we receive from a stranger makes us ping one of
   * our own questionable nodes, whose answer to us may do the same on its side: once tables
   * go stale under churn these chains multiply into a storm (docs/protocols/kademlia.md).
   * libtorrent sends one such maintenance query per 5 s tick.
   */
  readonly tablePingSpacing: Duration
  /**
   * Refresh a stale bucket with one find_node to its stalest node (libtorrent) rather than a
   * lookup (BEP 5); see bucket-refresh.ts.
   */
  readonly refreshByQuery: boolean
  /**
   * Extended routing table: while one of its large far buckets has room, one find_node for
   * a random id in it every `fillSpacing` (bucket-fill.ts). Nothing is sent with BEP 5's table.
   */
  readonly fillSpacing: Duration
  /** BEP 51: how long a full sample of our info-hashes is kept, and how many it holds. */
  readonly sampleInterval: Duration
  readonly samplesMax: number
  /** Our client version, sent as `v` (4 bytes: 2 letters, 2 version bytes). */
  readonly version?: Uint8Array
}

export const DEFAULT_ROUTING_CONFIG: RoutingConfig = {
  k: 8,
  // Off: in the simulator libtorrent's 16/8/4/2 gained no hops in short runs and missed the
  // true closest node in 0.5-2 % of lookups (docs/protocols/kademlia.md); an option until that
  // is understood.
  bucketSizeMultipliers: [],
  replacementsPerBucket: 4,
  goodFor: minutes(15),
  failuresToBad: 2,
  perIpMax: 1,
  perSubnetPerBucketMax: 2,
  exemptLocalFromIpLimits: false,
  enforceBep42: false,
  refreshAfter: minutes(15),
}

export const DEFAULT_DHT_CONFIG: DhtConfig = {
  routing: DEFAULT_ROUTING_CONFIG,
  // libtorrent's search_branching; measured against 3, 6 and 8 in docs/protocols/kademlia.md.
  alpha: 5,
  // libtorrent's default too; measured in docs/protocols/kademlia.md ("Lookup policy").
  aggressiveLookups: true,
  shortTimeoutQuantile: 0.9,
  lookupCandidatesMax: 64,
  timeoutMin: ms(500),
  timeoutMax: seconds(4),
  timeoutInitial: seconds(1),
  inflightMax: 256,
  readOnly: false,
  tokenRotation: minutes(5),
  peerTtl: minutes(30),
  peersPerInfoHashMax: 200,
  infoHashesMax: 10_000,
  valuesPerResponseMax: 50,
  itemTtl: minutes(120),
  itemsMax: 10_000,
  itemQuota: { perSourceMax: 50, perPrefixMax: 200 },
  announceQuota: { perSourceMax: 100, perPrefixMax: 400 },
  rateLimit: { perSecond: 20, burst: 50, sourcesMax: 4096 },
  refreshSpacing: seconds(60),
  tablePingSpacing: seconds(5),
  // BEP 5's lookups; libtorrent's single queries are measured in docs/protocols/kademlia.md.
  refreshByQuery: false,
  fillSpacing: seconds(2),
  // libtorrent's defaults (dht_sample_infohashes_interval, dht_max_infohashes_sample_count).
  sampleInterval: minutes(360),
  samplesMax: 20,
}

/** The defaults with some fields replaced (routing fields merge one level deep). */
export function dhtConfig(
  overrides: Partial<Omit<DhtConfig, 'routing'>> & { routing?: Partial<RoutingConfig> } = {},
): DhtConfig {
  return {
    ...DEFAULT_DHT_CONFIG,
    ...overrides,
    routing: { ...DEFAULT_ROUTING_CONFIG, ...overrides.routing },
  }
}
