import type { Random } from '../core/random.js'
import type { HostIndex } from './latency.js'
import type { NatBox } from './nat.js'
import type { EventOwner } from './scheduler.js'
import type { SimDatagramSocket } from './datagram-network.js'
import type { Flow } from './flow.js'
import type { StreamEnd } from './stream-end.js'
import type { SimStreamListener } from './stream-network.js'

/**
 * One life of a host: from creation or restart to crash or stop. Everything a program set up
 * belongs to a life; when it ends, its timers are skipped and its sockets are gone.
 */
export class Life implements EventOwner {
  alive = true
  constructor(readonly number: number) {}
}

/** Sockets and listeners a host may hold at once. */
export const HOST_SOCKETS_MAX = 4096

/** Ephemeral ports, as IANA suggests (49152-65535). */
export const EPHEMERAL_PORT_FIRST = 49152
export const EPHEMERAL_PORT_COUNT = 65536 - EPHEMERAL_PORT_FIRST

/**
 * The network's view of a host: what the datagram and stream models need, kept in plain fields
 * so that the hot paths read them directly. `SimHost` is the public face of the same host.
 */
export class NetHost {
  // Hot fields first: V8 lays fields out in this order, and a datagram touches these.
  /** Mirrors `life.alive`, read on every packet. */
  up = true
  /** The host's own IPv4 address (private when behind a NAT). */
  readonly address: string
  readonly nat: NatBox | undefined
  /** Datagram sockets, few per host: a short array scanned by port beats a map. */
  readonly datagramSockets: SimDatagramSocket[] = []
  /** Datagram FIFOs: when the uplink and downlink are next free (virtual ms). */
  uplinkFreeAt = 0
  downlinkFreeAt = 0
  readonly uploadBytesPerSecond: number
  readonly downloadBytesPerSecond: number
  private randomStream: Random | undefined = undefined
  /** Traffic totals (bytes), kept as fields so that counting costs nothing. */
  datagramBytesSent = 0
  datagramBytesReceived = 0
  /** Overrides of the world's ratios for links touching this host. */
  lossRatio: number | undefined = undefined
  duplicateRatio: number | undefined = undefined
  readonly index: HostIndex

  life: Life = new Life(1)
  readonly listeners: SimStreamListener[] = []
  /** Stream ends of this host not yet retired (made on first use). */
  streams: Set<StreamEnd> | undefined = undefined
  /** Local stream ports in use by connections (made on first use). */
  streamPorts: Set<number> | undefined = undefined
  nextDatagramPort = EPHEMERAL_PORT_FIRST
  nextStreamPort = EPHEMERAL_PORT_FIRST
  streamBytesSent = 0
  streamBytesReceived = 0

  /** Stream flows sending from / to this host that hold bandwidth (the allocator's lists). */
  upFlows: Flow[] | undefined = undefined
  downFlows: Flow[] | undefined = undefined
  /** Sum of the rates of `upFlows` / `downFlows`, bytes per second. */
  upAllocated = 0
  downAllocated = 0
  /** Allocator scratch: epoch marks and component-local resource numbers. */
  upDirtyEpoch = 0
  downDirtyEpoch = 0
  upStaleEpoch = 0
  downStaleEpoch = 0
  /** The last walk or exact pass found this host in a component too big to solve per change. */
  inBigComponent = false
  upEpoch = 0
  downEpoch = 0
  upLocal = 0
  downLocal = 0

  constructor(
    index: HostIndex,
    address: string,
    uploadBytesPerSecond: number,
    downloadBytesPerSecond: number,
    /** The world's root stream; this host's is forked from it on first use. */
    private readonly root: Random,
    nat: NatBox | undefined,
  ) {
    this.index = index
    this.address = address
    this.uploadBytesPerSecond = uploadBytesPerSecond
    this.downloadBytesPerSecond = downloadBytesPerSecond
    this.nat = nat
  }

  /**
   * Draws for this host's sends (loss, duplication, latency): `net:<address>` forked from the
   * root when first needed, which is the same stream whenever that happens.
   */
  get random(): Random {
    return (this.randomStream ??= this.root.fork(`net:${this.address}`))
  }

  /** Ends the current life (crash or stop): its events and callbacks stop. */
  endLife(): void {
    this.life.alive = false
    this.up = false
  }

  /** Starts the next life. */
  beginLife(): void {
    this.life = new Life(this.life.number + 1)
    this.up = true
  }

  /** The address others reach this host at: its NAT's public address, or its own. */
  get publicHost(): string {
    return this.nat === undefined ? this.address : this.nat.publicHost
  }

  /** The next free ephemeral port in `used`, or undefined when all are taken. */
  static takeEphemeral(
    next: number,
    inUse: (port: number) => boolean,
  ): { port: number; next: number } | undefined {
    let port = next
    for (let tries = 0; tries < EPHEMERAL_PORT_COUNT; tries++) {
      const candidate = port
      port = candidate + 1 >= 65536 ? EPHEMERAL_PORT_FIRST : candidate + 1
      if (!inUse(candidate)) return { port: candidate, next: port }
    }
    return undefined
  }
}
