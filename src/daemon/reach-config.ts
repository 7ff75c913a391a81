import { isIPv4, parseAddress, type Address } from '../core/address.js'
import type { ReachabilityConfig } from '../peer/reachability-types.js'
import { PeerPolicy } from '../protocols/turn/index.js'
import { ConfigError, type KeyKind, type Value } from './config-keys.js'

/**
 * The `[reach]` section of the daemon's config file: the peer's reachability service (issue
 * 15, docs/protocols/service-records.md). Off by default. When on, the peer probes a STUN
 * server (or is told) whether it can be reached; reachable, it serves as a relay if `relay`
 * is set and advertises it in the DHT; not reachable, it reserves with relays (the ones named
 * in `relays`, then ones found in the DHT) and publishes its signed record, so that others
 * reach it by key.
 */
export interface ReachDaemonConfig {
  readonly enabled: boolean
  /** `probe`: the RFC 5780 probe against the first STUN server decides; else a fixed answer. */
  readonly assume: 'probe' | 'reachable' | 'unreachable'
  /** IPv4 `host:port` each: the first is probed, all give server-reflexive candidates. */
  readonly stun: readonly string[]
  /** Serve as a relay when reachable. */
  readonly relay: boolean
  /** relay-lite, or TURN (credentials published in the signed record). */
  readonly relayProtocol: 'relay-lite' | 'turn'
  /** TURN: CIDR prefixes it may relay to; empty: every public IPv4 address. */
  readonly relayAllowPeers: readonly string[]
  /** The relay's control port (0: any; it is announced in the DHT either way). */
  readonly relayPort: number
  /** `FIRST-LAST`: the allocation ports; their count is the relay's capacity. */
  readonly relayPorts: string
  readonly relayAllocationsPerIp: number
  /** Seconds an allocation lives without traffic. */
  readonly relayLifetimeSec: number
  /** Advertise the relay only after this much uptime. */
  readonly relayMinUptimeSec: number
  /** The IPv4 address to advertise when it is not the bound one (a forwarded port). */
  readonly relayPublicHost?: string
  /** Relays to hold a reservation with when not reachable. */
  readonly reservations: number
  /** IPv4 `host:port` each: relays to reserve with first (the DHT is searched for the rest). */
  readonly relays: readonly string[]
  /** Offer our host addresses as candidates (false when they are private ones). */
  readonly hostCandidates: boolean
  /** Records are published again this often. */
  readonly refreshSec: number
  readonly sessionsMax: number
}

const PORT_RANGE = /^(\d{1,5})-(\d{1,5})$/
/** A relay-lite server binds one socket per allocation: a bound on what one process holds. */
export const RELAY_PORTS_MAX = 4096

const isCidr = (text: string): boolean => {
  try {
    new PeerPolicy([text])
    return true
  } catch {
    return false
  }
}

const ipv4Address = (text: string): boolean => {
  const parsed = parseAddress(text)
  return parsed !== undefined && isIPv4(parsed.host) && parsed.port > 0
}

/** `FIRST-LAST` with 1024 <= FIRST <= LAST <= 65535 and at most RELAY_PORTS_MAX ports. */
export function parsePortRange(text: string): { first: number; count: number } | undefined {
  const match = PORT_RANGE.exec(text)
  if (match === null) return undefined
  const first = Number(match[1])
  const last = Number(match[2])
  if (first < 1024 || last > 65535 || last < first) return undefined
  if (last - first + 1 > RELAY_PORTS_MAX) return undefined
  return { first, count: last - first + 1 }
}

export const REACH_KEYS: Readonly<Record<string, KeyKind>> = {
  enabled: { kind: 'boolean' },
  assume: { kind: 'choice', values: ['probe', 'reachable', 'unreachable'] },
  stun: { kind: 'strings', expected: 'an IPv4 "host:port"', valid: ipv4Address },
  relay: { kind: 'boolean' },
  relay_protocol: { kind: 'choice', values: ['relay-lite', 'turn'] },
  relay_allow_peers: {
    kind: 'strings',
    expected: 'a CIDR prefix such as "192.0.2.0/24"',
    valid: isCidr,
  },
  relay_port: { kind: 'integer', min: 0, max: 65535 },
  relay_ports: {
    kind: 'text',
    expected: `"FIRST-LAST" (ports 1024-65535, at most ${RELAY_PORTS_MAX})`,
    valid: (text) => parsePortRange(text) !== undefined,
  },
  relay_allocations_per_ip: { kind: 'integer', min: 1, max: RELAY_PORTS_MAX },
  relay_lifetime_sec: { kind: 'integer', min: 30, max: 3600 },
  relay_min_uptime_sec: { kind: 'integer', min: 0, max: 7 * 24 * 3600 },
  relay_public_host: { kind: 'text', expected: 'an IPv4 address', valid: isIPv4 },
  reservations: { kind: 'integer', min: 1, max: 8 },
  relays: { kind: 'strings', expected: 'an IPv4 "host:port"', valid: ipv4Address },
  host_candidates: { kind: 'boolean' },
  refresh_sec: { kind: 'integer', min: 60, max: 3600 },
  sessions_max: { kind: 'integer', min: 1, max: 1024 },
}

type Get = <T extends Value>(key: string, fallback: T) => T

/**
 * The effective `[reach]` settings, with the checks that span keys: a probe needs a STUN
 * server, the relay's control port may not be one of its allocation ports, and the service
 * needs the DHT (records and relays are found there).
 */
export function resolveReachConfig(
  get: Get,
  optional: (key: string) => string | undefined,
  peer: { readonly bind: string; readonly dhtEnabled: boolean },
): ReachDaemonConfig {
  const relayPublicHost = optional('reach.relay_public_host')
  const config: ReachDaemonConfig = {
    enabled: get('reach.enabled', false),
    assume: get<ReachDaemonConfig['assume']>('reach.assume', 'probe'),
    stun: get<readonly string[]>('reach.stun', []),
    relay: get('reach.relay', false),
    relayProtocol: get<ReachDaemonConfig['relayProtocol']>('reach.relay_protocol', 'relay-lite'),
    relayAllowPeers: get<readonly string[]>('reach.relay_allow_peers', []),
    relayPort: get('reach.relay_port', 0),
    relayPorts: get('reach.relay_ports', '40000-40063'),
    relayAllocationsPerIp: get('reach.relay_allocations_per_ip', 8),
    relayLifetimeSec: get('reach.relay_lifetime_sec', 600),
    relayMinUptimeSec: get('reach.relay_min_uptime_sec', 0),
    ...(relayPublicHost === undefined ? {} : { relayPublicHost }),
    reservations: get('reach.reservations', 2),
    relays: get<readonly string[]>('reach.relays', []),
    hostCandidates: get('reach.host_candidates', true),
    refreshSec: get('reach.refresh_sec', 600),
    sessionsMax: get('reach.sessions_max', 32),
  }
  if (!config.enabled) return config
  if (config.assume === 'probe' && config.stun.length === 0) {
    throw new ConfigError(
      'reach.stun must name a STUN server when reach.assume is "probe" (or set reach.assume)',
    )
  }
  const ports = parsePortRange(config.relayPorts)
  const port = config.relayPort
  const litePorts = config.relayProtocol === 'relay-lite' ? ports : undefined
  if (
    config.relay &&
    litePorts !== undefined &&
    port >= litePorts.first &&
    port < litePorts.first + litePorts.count
  ) {
    throw new ConfigError(
      `reach.relay_port ${port} is inside reach.relay_ports ${config.relayPorts}`,
    )
  }
  if (!peer.dhtEnabled) {
    throw new ConfigError('reach.enabled needs the DHT: set [dht] enabled = true')
  }
  // candidates, relay addresses and records are IPv4 addresses others can send to
  if (!isIPv4(peer.bind) || peer.bind === '0.0.0.0') {
    throw new ConfigError(
      `reach.enabled needs peer.bind to be this host's IPv4 address (got ${JSON.stringify(peer.bind)})`,
    )
  }
  return config
}

export function formatReachConfig(config: ReachDaemonConfig): Record<string, unknown> {
  return {
    enabled: config.enabled,
    assume: config.assume,
    stun: config.stun,
    relay: config.relay,
    relay_protocol: config.relayProtocol,
    relay_allow_peers: config.relayAllowPeers,
    relay_port: config.relayPort,
    relay_ports: config.relayPorts,
    relay_allocations_per_ip: config.relayAllocationsPerIp,
    relay_lifetime_sec: config.relayLifetimeSec,
    relay_min_uptime_sec: config.relayMinUptimeSec,
    ...(config.relayPublicHost === undefined ? {} : { relay_public_host: config.relayPublicHost }),
    reservations: config.reservations,
    relays: config.relays,
    host_candidates: config.hostCandidates,
    refresh_sec: config.refreshSec,
    sessions_max: config.sessionsMax,
  }
}

const addresses = (list: readonly string[]): Address[] =>
  list.map((text) => parseAddress(text)).filter((a): a is Address => a !== undefined)

/**
 * What the Peer's reachability service gets: `host` the peer's IPv4 bind, `seed` the record
 * key kept in the state folder (the same key across restarts: those who know it reach us).
 */
export const REACH_SEED_FILE = 'reach.seed'

export function reachabilityConfig(
  config: ReachDaemonConfig,
  host: string,
  seed: Uint8Array,
): ReachabilityConfig | undefined {
  if (!config.enabled) return undefined
  const stun = addresses(config.stun)
  const ports = parsePortRange(config.relayPorts)
  const probe = stun[0]
  return {
    host,
    seed,
    unixNow: () => Math.floor(Date.now() / 1000),
    ...(config.assume === 'probe' ? {} : { assume: config.assume }),
    ...(probe === undefined ? {} : { stun: probe }),
    ...(stun.length === 0 ? {} : { stunServers: stun }),
    ...(config.relay && ports !== undefined
      ? {
          relay: {
            protocol: config.relayProtocol,
            port: config.relayPort,
            ports,
            ...(config.relayAllowPeers.length === 0 ? {} : { allowPeers: config.relayAllowPeers }),
            allocationsPerIpMax: config.relayAllocationsPerIp,
            lifetimeSec: config.relayLifetimeSec,
            minUptimeSec: config.relayMinUptimeSec,
            ...(config.relayPublicHost === undefined ? {} : { publicHost: config.relayPublicHost }),
          },
        }
      : {}),
    reservations: config.reservations,
    relays: addresses(config.relays),
    advertiseHost: config.hostCandidates,
    refreshSec: config.refreshSec,
    findRelaysEverySec: Math.min(30, config.refreshSec),
    sessionsMax: config.sessionsMax,
  }
}
