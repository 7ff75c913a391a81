import { assert } from '../core/errors.js'
import type { HostIndex, LatencyModel } from './latency.js'
import type { NetHost } from './net-host.js'
import type { Scheduler } from './scheduler.js'
import type { SimTrace } from './trace.js'
import { BandwidthAllocator } from './bandwidth.js'

/**
 * What the datagram and stream models share: the timeline, the knobs, the routing table (public
 * address -> host), the per-link overrides, the counters and the trace.
 */

export interface NetworkSettings {
  readonly latency: LatencyModel
  readonly lossRatio: number
  readonly duplicateRatio: number
  /** A host's datagram uplink or downlink drops packets beyond this backlog. */
  readonly datagramQueueBytesMax: number
  readonly connectTimeoutMs: number
  /** A stream whose data goes unanswered this long closes with 'timeout'. */
  readonly retransmissionTimeoutMs: number
  /** First retransmission probe after a loss; then doubling (TCP's initial RTO is 1 s). */
  readonly retransmissionProbeMs: number
  readonly streamHighWaterBytes: number
  readonly streamLowWaterBytes: number
  readonly receiveWindowBytes: number
  /** Streams move bytes in chunks of at most this size. */
  readonly chunkBytes: number
  /** A write of at most this many bytes on an idle stream skips the fair-share allocator. */
  readonly sparseBytesMax: number
  /** Big components get an exact share at most this long after a change (0: at once). */
  readonly fairShareQuantumMs: number
  /** Shares are re-solved on multiples of this (0: at the instant of each change). */
  readonly settleQuantumMs: number
  readonly listenBacklogMax: number
}

/** Link-level overrides of the loss and duplication ratios. */
export interface LinkRatios {
  readonly lossRatio?: number
  readonly duplicateRatio?: number
}

/** The network's counters: plain fields, bumped on every packet. */
export class NetworkCounters {
  datagramsSent = 0
  datagramsDelivered = 0
  datagramsLost = 0
  datagramsDuplicated = 0
  datagramsDroppedNoSocket = 0
  datagramsDroppedHostDown = 0
  datagramsDroppedNoRoute = 0
  datagramsDroppedNat = 0
  datagramsDroppedQueue = 0
  datagramsDroppedOversize = 0
  datagramBytesSent = 0
  datagramBytesDelivered = 0
  streamConnects = 0
  streamsEstablished = 0
  streamsAccepted = 0
  streamsRefused = 0
  streamConnectTimeouts = 0
  /** SYNs sent again because no SYN-ACK came (a full backlog or a host that is down). */
  streamSynRetransmits = 0
  streamResetsSent = 0
  streamTimeouts = 0
  streamBytesSent = 0
  streamBytesDelivered = 0
  bandwidthReallocations = 0
  /** Flow rate computations summed over reallocations (the cost of fairness). */
  bandwidthFlowsVisited = 0

  /** A plain object, names in declaration order, for reports and JSON. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [name, value] of Object.entries(this))
      if (typeof value === 'number') out[name] = value
    return out
  }
}

/** Link keys pack two host indexes; worlds stay below this many hosts. */
export const WORLD_HOSTS_MAX = 1 << 24

export class SimNetwork {
  readonly counters = new NetworkCounters()
  readonly allocator: BandwidthAllocator
  readonly hosts: NetHost[] = []
  private readonly routes = new Map<string, NetHost>()
  private readonly links = new Map<number, LinkRatios>()

  constructor(
    readonly scheduler: Scheduler,
    readonly settings: NetworkSettings,
    readonly trace: SimTrace,
  ) {
    this.allocator = new BandwidthAllocator(
      scheduler,
      settings.fairShareQuantumMs,
      this.counters,
      settings.settleQuantumMs,
    )
  }

  /** Registers a host under its public address (its NAT's, when it has one). */
  addHost(host: NetHost): void {
    assert(this.hosts.length < WORLD_HOSTS_MAX, 'too many hosts')
    assert(host.index === this.hosts.length, 'hosts are added in index order')
    assert(!this.routes.has(host.publicHost), `address ${host.publicHost} is taken`)
    this.hosts.push(host)
    this.routes.set(host.publicHost, host)
  }

  /** The host that receives packets addressed to `publicHost`, if any. */
  route(publicHost: string): NetHost | undefined {
    return this.routes.get(publicHost)
  }

  isRouted(publicHost: string): boolean {
    return this.routes.has(publicHost)
  }

  setLink(a: HostIndex, b: HostIndex, ratios: LinkRatios): void {
    this.links.set(a * WORLD_HOSTS_MAX + b, ratios)
  }

  /**
   * The loss ratio from `from` to `to`: the link's own when set, else the larger of the two
   * hosts' (a host's override applies to every link touching it; unset means the world's).
   */
  lossRatio(from: NetHost, to: NetHost): number {
    const link =
      this.links.size === 0 ? undefined : this.links.get(from.index * WORLD_HOSTS_MAX + to.index)
    if (link?.lossRatio !== undefined) return link.lossRatio
    const world = this.settings.lossRatio
    return Math.max(from.lossRatio ?? world, to.lossRatio ?? world)
  }

  duplicateRatio(from: NetHost, to: NetHost): number {
    const link =
      this.links.size === 0 ? undefined : this.links.get(from.index * WORLD_HOSTS_MAX + to.index)
    if (link?.duplicateRatio !== undefined) return link.duplicateRatio
    const world = this.settings.duplicateRatio
    return Math.max(from.duplicateRatio ?? world, to.duplicateRatio ?? world)
  }

  latencyMs(from: NetHost, to: NetHost): number {
    return this.settings.latency.latencyMs(from.index, to.index, from.random)
  }
}
