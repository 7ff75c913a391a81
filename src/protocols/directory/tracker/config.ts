/**
 * Everything a deployment may tune in the directory's tracker. Durations are `Duration`
 * (milliseconds) and become whole seconds on the wire.
 */
import { type Duration, minutes, seconds } from '../../../core/time.js'

/**
 * Who may name an address other than the one the request came from (BEP 3 `ip`, BEP 7
 * `ipv4=` / `ipv6=`, BEP 15's IP field). Honouring it from anyone lets a stranger point a swarm
 * at a third party, so the default trusts only loopback requesters (a local demo or a proxy).
 */
export type AddressParamPolicy = 'never' | 'loopback' | 'always'

export interface TrackerConfig {
  /** The announce `interval` we ask for (BEP 3). */
  readonly interval: Duration
  /** `min interval`: clients should not announce more often than this. */
  readonly minInterval: Duration
  /** A peer is dropped after `interval * 2 + expiryGrace` without an announce. */
  readonly expiryGrace: Duration
  /** How often expired peers are swept out (the cost is a linear scan of every table). */
  readonly sweepEvery: Duration
  readonly numwantDefault: number
  readonly numwantMax: number
  /** Peers per UDP answer by family, so an answer fits one unfragmented datagram. */
  readonly udpPeersMaxIpv4: number
  readonly udpPeersMaxIpv6: number
  /** Private mode: only info-hashes added with `allow` are tracked; others get a failure. */
  readonly allowListOnly: boolean
  /** Whether a scrape naming no info_hash returns every swarm (BEP 48 allows refusing). */
  readonly fullScrape: boolean
  /** Swarms returned by a full scrape at most (the rest are left out). */
  readonly fullScrapeMax: number
  /** Info-hashes per scrape request (BEP 15's packet holds 74; HTTP uses the same cap). */
  readonly scrapeHashesMax: number
  readonly addressParams: AddressParamPolicy
  /** Echoed as `tracker id` in HTTP announce answers when set. */
  readonly trackerId: string | undefined
  /** Capacity limits: beyond them new peers or swarms get `tracker is full`. */
  readonly peersMax: number
  readonly swarmsMax: number
  readonly peersPerSwarmMax: number
  /** HTTP queries longer than this are refused unparsed. */
  readonly queryCharsMax: number
  /** BEP 15 connection ids: one epoch's length; the current and previous epochs are valid. */
  readonly connectionEpoch: Duration
  /** Datagrams longer than this get an error (74 scrape hashes fill 1496 bytes). */
  readonly udpPacketBytesMax: number
  /** Token bucket per source address (IPv4 host, IPv6 /64), shared by HTTP and UDP. */
  readonly rateLimit: RateLimitConfig
}

export interface RateLimitConfig {
  /** Sustained requests per second per source; 0 switches the limit off. */
  readonly perSecond: number
  /** Requests a quiet source may send at once. */
  readonly burst: number
  /** Sources remembered; the least recently seen is forgotten beyond this. */
  readonly sourcesMax: number
}

export const DEFAULT_TRACKER_CONFIG: TrackerConfig = {
  interval: minutes(30),
  minInterval: minutes(15),
  expiryGrace: minutes(5),
  sweepEvery: minutes(1),
  numwantDefault: 50,
  numwantMax: 200,
  // 20 + 200 * 6 = 1220 bytes; 20 + 67 * 18 = 1226 bytes fits IPv6's 1280-byte minimum MTU.
  udpPeersMaxIpv4: 200,
  udpPeersMaxIpv6: 67,
  allowListOnly: false,
  fullScrape: false,
  fullScrapeMax: 10_000,
  scrapeHashesMax: 74,
  addressParams: 'loopback',
  trackerId: undefined,
  peersMax: 4_000_000,
  swarmsMax: 1_000_000,
  peersPerSwarmMax: 1_000_000,
  queryCharsMax: 4096,
  connectionEpoch: seconds(60),
  udpPacketBytesMax: 16 + 74 * 20,
  // Generous: one IPv4 address may hide a whole carrier-grade NAT; a flood still costs little.
  rateLimit: { perSecond: 20, burst: 200, sourcesMax: 65_536 },
}

/** The defaults with some fields replaced. */
export const trackerConfig = (overrides: Partial<TrackerConfig> = {}): TrackerConfig => ({
  ...DEFAULT_TRACKER_CONFIG,
  ...overrides,
})
