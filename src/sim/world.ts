import { intToIpv4, ipv4ToInt } from '../core/address.js'
import { PureEd25519 } from '../core/crypto/ed25519.js'
import { BigIntKeyAgreement } from '../core/crypto/mod-pow.js'
import { PureHashing } from '../core/crypto/pure-hashing.js'
import type { Disk, Hashing, KeyAgreement, Signing } from '../core/env.js'
import { assert } from '../core/errors.js'
import { SeededRandom } from '../core/random.js'
import type { Duration, Instant } from '../core/time.js'
import { check } from './check.js'
import { SimDisk } from './disk/sim-disk.js'
import { SimHost, type HostServices } from './host.js'
import type { SimUtpFactory } from './utp-port.js'
import { constantLatency, type LatencyModel } from './latency.js'
import { SimLogSink, type SimLogLevel } from './log.js'
import { mergeHistograms, sumCounters, type HistogramSummary } from './metrics.js'
import { NatBox, type NatBehaviour } from './nat.js'
import { SimNames } from './names.js'
import { NetHost } from './net-host.js'
import { SimNetwork, type LinkRatios, type NetworkSettings } from './network.js'
import { Scheduler, type RunOptions, type RunResult } from './scheduler.js'
import { SimTrace } from './trace.js'

/**
 * A simulated world: one timeline, one root seed, hosts on a modelled network. Everything random
 * comes from `new SeededRandom(seed)` through labelled forks (a host's env gets
 * `fork('host:<address>')`), so adding a host does not disturb the others' streams and a run
 * replays exactly from its seed.
 */

export interface SimWorldOptions {
  readonly seed: number
  /** Default: 20 ms constant. */
  readonly latency?: LatencyModel
  /** Datagram loss ratio, 0..1. Default 0. */
  readonly lossRatio?: number
  /** Datagram duplication ratio, 0..1. Default 0. */
  readonly duplicateRatio?: number
  /** Default 10 s (overridable per connect). */
  readonly connectTimeout?: Duration
  /** A stream whose data goes unanswered this long closes with 'timeout'. Default 30 s. */
  readonly retransmissionTimeout?: Duration
  /** Default 64 KiB: `write` returns false at or above it. */
  readonly streamHighWaterBytes?: number
  /** `onDrain` fires when the send buffer falls to this. Default: half the high-water mark. */
  readonly streamLowWaterBytes?: number
  /**
   * Bytes in flight plus unread at the receiver, per stream direction (TCP's window): caps a
   * stream at a window per round trip, and is what a paused receiver holds. Default 1 MiB.
   */
  readonly receiveWindowBytes?: number
  /** Streams move bytes in chunks of at most this. Default 16 KiB. */
  readonly chunkBytes?: number
  /**
   * A burst of at most this many bytes on an idle stream direction (a request, an ack, a HAVE)
   * leaves at once at the lower of the two hosts' full rates instead of taking a fair share,
   * as a sparse flow's packet does under fair queueing (see flow.ts). Default 1460 (one TCP
   * segment on Ethernet); 0 gives every write a share.
   */
  readonly sparseSegmentBytes?: number
  /**
   * Big flow components (a swarm) get exact max-min shares at most this long after a change,
   * and a local re-share around the change at once; 0 solves exactly at every change, however
   * big the component (see bandwidth.ts). Default 100 ms.
   */
  readonly fairShareQuantum?: Duration
  /**
   * Changes to the set of sending flows are batched and shares re-solved on multiples of this
   * (a flow that starts waits at most this long for its share; one that stops leaves its share
   * idle at most this long). 0, the default, re-solves at the instant of each change; a big
   * swarm, whose flows start and stop many times per virtual millisecond, runs much faster
   * with 1 ms.
   */
  readonly settleQuantum?: Duration
  /** Datagram backlog a host's uplink or downlink holds before dropping. Default 1 MiB. */
  readonly datagramQueueBytesMax?: number
  /**
   * Half-open connections per listener past which SYNs are dropped (and sent again by their
   * clients). Default unbounded: Linux answers SYNs past a full SYN queue with SYN cookies
   * (`tcp_syncookies = 1`), so a burst of connects is not dropped; set a bound to model a
   * server without them.
   */
  readonly listenBacklogMax?: number
  /** NAT mapping lifetime after the last outbound datagram. Default 120 s. */
  readonly natMappingTimeout?: Duration
  readonly log?: {
    readonly level?: SimLogLevel
    readonly linesMax?: number
    readonly write?: (line: string) => void
  }
  /**
   * Off by default. `true` records network outcomes; `events: true` also records every event
   * the scheduler runs (time and sequence), which pins down timer order too.
   */
  readonly trace?: boolean | { readonly linesMax?: number; readonly events?: boolean }
  /**
   * The hosts' hashing. Default: plain TypeScript (src/core/crypto), about 15 times slower than
   * OpenSSL; a scenario that hashes every piece of a big swarm passes the node driver's
   * `NodeHashing` from a layer that may import drivers (lab, cli). The simulator itself never
   * imports a driver.
   */
  readonly hashing?: Hashing
  /** The hosts' Ed25519. Default: plain TypeScript (real signatures, a few ms each). */
  readonly signing?: Signing
  /**
   * The hosts' Diffie-Hellman secrets (MSE). Default: BigInt arithmetic (about 0.9 ms per
   * secret); a scenario with many encrypted connections passes the node driver's
   * `NodeKeyAgreement` (about 0.2 ms) the way it passes `NodeHashing`.
   */
  readonly keyAgreement?: KeyAgreement
  /** Makes each host's disk; default `new SimDisk(options)`. */
  readonly disk?: (options: { defer: (fn: () => void) => void }) => Disk
  /**
   * uTP for the hosts' `net` (see utp-port.ts), given by a layer that may import it:
   * `(bind, clock, random) => new UtpTransport(bind, clock, random)`. Default: none.
   */
  readonly utp?: SimUtpFactory
}

export interface AddHostOptions {
  /** IPv4 address; auto-assigned (10.x.y.z, or 172.16+.y.z behind a NAT) when absent. */
  readonly address?: string
  readonly uploadBytesPerSecond: number
  readonly downloadBytesPerSecond: number
  /** Default 'none'. */
  readonly nat?: NatBehaviour
  /** The NAT box's public address; auto-assigned from the 10.x pool when absent. */
  readonly publicAddress?: string
  readonly lossRatio?: number
  readonly duplicateRatio?: number
}

const LOG_LINES_MAX_DEFAULT = 10_000
const PUBLIC_FIRST = 0x0a000001 // 10.0.0.1
const PUBLIC_LAST = 0x0afffffe
const PRIVATE_FIRST = 0xac100001 // 172.16.0.1
const PRIVATE_LAST = 0xac1ffffe // 172.31.255.254

export class SimWorld {
  readonly seed: number
  readonly scheduler = new Scheduler()
  /** The root stream; fork it (`world.random.fork(label)`) for scenario decisions. */
  readonly random: SeededRandom
  readonly trace: SimTrace
  readonly network: SimNetwork
  /** The name table every host's resolver answers from: `names.register(name, addresses)`. */
  readonly names = new SimNames()
  private readonly hostList: SimHost[] = []
  private readonly byAddress = new Map<string, SimHost>()
  private readonly services: HostServices
  private readonly logSink: SimLogSink
  private readonly natMappingTimeout: Duration | undefined
  private nextPublic = PUBLIC_FIRST
  private nextPrivate = PRIVATE_FIRST

  constructor(options: SimWorldOptions) {
    this.seed = options.seed >>> 0
    assert(this.seed === options.seed, `seed must be a 32-bit unsigned integer: ${options.seed}`)
    this.random = new SeededRandom(this.seed)
    const traceOption = options.trace ?? false
    this.trace = new SimTrace(
      typeof traceOption === 'boolean'
        ? { enabled: traceOption }
        : {
            enabled: true,
            ...(traceOption.linesMax === undefined ? {} : { linesMax: traceOption.linesMax }),
          },
    )
    if (typeof traceOption === 'object' && traceOption.events === true) {
      const trace = this.trace
      this.scheduler.onEvent = (at, seq) => trace.record(`${at} event ${seq}`)
    }
    this.network = new SimNetwork(this.scheduler, resolveSettings(options), this.trace)
    const log = options.log ?? {}
    this.logSink = new SimLogSink(
      log.level ?? 'silent',
      log.linesMax ?? LOG_LINES_MAX_DEFAULT,
      log.write,
    )
    this.services = {
      scheduler: this.scheduler,
      network: this.network,
      logSink: this.logSink,
      hashing: options.hashing ?? new PureHashing(),
      ...(options.utp === undefined ? {} : { utp: options.utp }),
      signing: options.signing ?? new PureEd25519(),
      keyAgreement: options.keyAgreement ?? new BigIntKeyAgreement(),
      names: this.names,
      root: this.random,
      makeDisk: options.disk ?? ((diskOptions) => new SimDisk(diskOptions)),
    }
    this.natMappingTimeout = options.natMappingTimeout
  }

  get hosts(): readonly SimHost[] {
    return this.hostList
  }

  now(): Instant {
    return this.scheduler.now()
  }

  addHost(options: AddHostOptions): SimHost {
    const { uploadBytesPerSecond: up, downloadBytesPerSecond: down } = options
    assert(up > 0 && Number.isFinite(up), `bad uploadBytesPerSecond ${up}`)
    assert(down > 0 && Number.isFinite(down), `bad downloadBytesPerSecond ${down}`)
    const behaviour = options.nat ?? 'none'
    const natted = behaviour !== 'none'
    const address = options.address ?? this.allocate(natted ? 'private' : 'public')
    this.claim(address)
    let nat: NatBox | undefined
    if (behaviour !== 'none') {
      const publicHost = options.publicAddress ?? this.allocate('public')
      this.claim(publicHost)
      nat = new NatBox({
        behaviour,
        publicHost,
        random: this.random.fork(`nat:${publicHost}`),
        ...(this.natMappingTimeout === undefined ? {} : { mappingTimeout: this.natMappingTimeout }),
      })
    }
    const index = this.hostList.length
    const net = new NetHost(index, address, up, down, this.random, nat)
    net.lossRatio = options.lossRatio
    net.duplicateRatio = options.duplicateRatio
    this.network.addHost(net)
    const host = new SimHost(this.services, net)
    this.hostList.push(host)
    this.byAddress.set(address, host)
    if (nat !== undefined) this.byAddress.set(nat.publicHost, host)
    return host
  }

  /** The host with this own or public address. */
  host(address: string): SimHost | undefined {
    return this.byAddress.get(address)
  }

  /** Overrides loss and duplication on the directed link from `from` to `to`. */
  setLink(from: SimHost, to: SimHost, ratios: LinkRatios): void {
    this.network.setLink(from.index, to.index, ratios)
  }

  run(options: RunOptions = {}): RunResult {
    return this.scheduler.run(options)
  }

  runUntilIdle(stepsMax?: number): RunResult {
    return this.scheduler.runUntilIdle(stepsMax)
  }

  runFor(span: Duration, stepsMax?: number): RunResult {
    return this.scheduler.runFor(span, stepsMax)
  }

  /** The network's counters (datagrams, streams, bandwidth reallocations). */
  networkCounters(): Record<string, number> {
    return this.network.counters.snapshot()
  }

  /** Every host's metrics counters, summed. */
  metricCounters(): Map<string, number> {
    return sumCounters(this.hostList.map((h) => h.metrics))
  }

  /** One histogram merged across hosts: count, mean, p50/p90/p99, max. */
  histogram(name: string): HistogramSummary | undefined {
    return mergeHistograms(
      this.hostList.map((h) => h.metrics),
      name,
    )
  }

  /** SHA-256 of the trace so far (enable `trace` in the options). */
  traceHash(): string {
    return this.trace.hash()
  }

  /** Log lines collected (when a log level is set and no `write` was given). */
  logLines(): readonly string[] {
    return this.logSink.lines()
  }

  /** Throws a `SimFailure` naming this world's seed when `problems` is not empty. */
  check(name: string, problems: readonly string[]): void {
    check(name, problems, this.seed)
  }

  private claim(address: string): void {
    assert(ipv4ToInt(address) !== undefined, `not an IPv4 address: ${address}`)
    assert(!this.byAddress.has(address), `address ${address} is taken`)
  }

  private allocate(pool: 'public' | 'private'): string {
    const last = pool === 'public' ? PUBLIC_LAST : PRIVATE_LAST
    let next = pool === 'public' ? this.nextPublic : this.nextPrivate
    for (; next <= last; next++) {
      const low = next & 0xff
      if (low === 0 || low === 0xff) continue
      const candidate = intToIpv4(next)
      if (!this.byAddress.has(candidate)) break
    }
    assert(next <= last, `the ${pool} address pool is exhausted`)
    if (pool === 'public') this.nextPublic = next + 1
    else this.nextPrivate = next + 1
    return intToIpv4(next)
  }
}

function resolveSettings(options: SimWorldOptions): NetworkSettings {
  const highWater = options.streamHighWaterBytes ?? 64 * 1024
  const settings: NetworkSettings = {
    latency: options.latency ?? constantLatency(20),
    lossRatio: options.lossRatio ?? 0,
    duplicateRatio: options.duplicateRatio ?? 0,
    datagramQueueBytesMax: options.datagramQueueBytesMax ?? 1024 * 1024,
    connectTimeoutMs: options.connectTimeout ?? 10_000,
    retransmissionTimeoutMs: options.retransmissionTimeout ?? 30_000,
    retransmissionProbeMs: 1000,
    streamHighWaterBytes: highWater,
    streamLowWaterBytes: options.streamLowWaterBytes ?? Math.floor(highWater / 2),
    receiveWindowBytes: options.receiveWindowBytes ?? 1024 * 1024,
    chunkBytes: options.chunkBytes ?? 16 * 1024,
    sparseBytesMax: options.sparseSegmentBytes ?? 1460,
    fairShareQuantumMs: options.fairShareQuantum ?? 100,
    settleQuantumMs: options.settleQuantum ?? 0,
    listenBacklogMax: options.listenBacklogMax ?? Number.POSITIVE_INFINITY,
  }
  const ratio = (x: number): boolean => x >= 0 && x <= 1
  assert(ratio(settings.lossRatio) && ratio(settings.duplicateRatio), 'ratios must be in 0..1')
  assert(settings.chunkBytes >= 1 && settings.receiveWindowBytes >= 1, 'bad stream sizes')
  assert(settings.streamLowWaterBytes < highWater, 'low-water mark must be below high-water')
  return settings
}
