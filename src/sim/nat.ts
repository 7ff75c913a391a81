import type { Address } from '../core/address.js'
import { assert } from '../core/errors.js'
import type { Random } from '../core/random.js'
import type { Duration, Instant } from '../core/time.js'

/**
 * A NAT box on one host's route (libsimulator's incoming/outgoing routes), in RFC 4787 terms:
 *
 * | behaviour            | mapping (outbound)              | filtering (inbound)                 |
 * | -------------------- | ------------------------------- | ----------------------------------- |
 * | `full_cone`          | endpoint-independent            | endpoint-independent: anyone        |
 * | `address_restricted` | endpoint-independent            | hosts we sent to (any port)         |
 * | `port_restricted`    | endpoint-independent            | exact host:port we sent to          |
 * | `symmetric`          | per destination host:port       | exact host:port of that mapping     |
 *
 * A mapping lives `mappingTimeout` after the last datagram *sent* through it; inbound traffic
 * does not refresh it (RFC 4787 allows either; this is the conservative choice that makes
 * keep-alives necessary, as they are on real networks). A permission to receive from a remote
 * expires the same way. Tables are bounded: the least recently used mapping is evicted.
 *
 * Streams: outbound connections get a fresh public port each and are allowed; unsolicited
 * inbound connections to the public address are dropped silently (the connector times out),
 * as most home routers do. Hairpinning is not modelled (one host sits behind each box).
 */

export type NatBehaviour =
  'none' | 'full_cone' | 'address_restricted' | 'port_restricted' | 'symmetric'

export interface NatBoxOptions {
  readonly behaviour: Exclude<NatBehaviour, 'none'>
  /** The box's public IPv4 address. */
  readonly publicHost: string
  /** Picks the first public port, so that boxes do not all start at the same one. */
  readonly random: Random
  /** Default 120 s (RFC 4787 REQ-5 asks for at least 2 minutes). */
  readonly mappingTimeout?: Duration
  /** Default 4096. */
  readonly mappingsMax?: number
  /** Remotes a mapping remembers for filtering. Default 1024. */
  readonly permissionsMax?: number
  /** The first public port, instead of a random one (the stream table's, see below). */
  readonly firstPort?: number
}

interface Mapping {
  readonly key: string
  readonly privatePort: number
  readonly publicAddress: Address
  lastOutbound: number
  /** Filtering keys (`host` or `host:port`) -> time of the last datagram sent to them. */
  readonly permissions: Map<string, number>
}

const MAPPING_TIMEOUT_DEFAULT = 120_000
const MAPPINGS_MAX_DEFAULT = 4096
const PERMISSIONS_MAX_DEFAULT = 1024
const PORT_FIRST = 1024
const PORT_SPAN = 65536 - PORT_FIRST

export class NatBox {
  readonly behaviour: Exclude<NatBehaviour, 'none'>
  readonly publicHost: string
  private readonly mappingTimeout: number
  private readonly mappingsMax: number
  private readonly permissionsMax: number
  /** By mapping key, least recently used first. */
  private readonly byKey = new Map<string, Mapping>()
  private readonly byPublicPort = new Map<number, Mapping>()
  private nextPort: number
  private nextStreamPort: number

  constructor(options: NatBoxOptions) {
    this.behaviour = options.behaviour
    this.publicHost = options.publicHost
    this.mappingTimeout = options.mappingTimeout ?? MAPPING_TIMEOUT_DEFAULT
    this.mappingsMax = options.mappingsMax ?? MAPPINGS_MAX_DEFAULT
    this.permissionsMax = options.permissionsMax ?? PERMISSIONS_MAX_DEFAULT
    assert(this.mappingsMax > 0 && this.mappingsMax < PORT_SPAN, 'bad mappingsMax')
    this.nextPort = options.firstPort ?? PORT_FIRST + options.random.int(PORT_SPAN)
    this.nextStreamPort = options.firstPort ?? PORT_FIRST + options.random.int(PORT_SPAN)
    this.options = options
  }

  private readonly options: NatBoxOptions
  /** Mappings of streams that leave from a bound port (see `streamOutbound`), made on use. */
  private streamTable: NatBox | undefined

  /**
   * A stream leaves from a port the program chose (`ConnectOptions.local`: simultaneous open):
   * its SYN gets a mapping with the same behaviour as datagrams (endpoint-independent but for
   * `symmetric`), and the public address it carries is returned. Linux masquerade keeps a
   * connection's mapping this way; connections from ephemeral ports keep `allocateStreamPort`.
   */
  streamOutbound(now: Instant, privatePort: number, to: Address): Address {
    // half the port space away from the ephemeral connections' ports
    const firstPort = PORT_FIRST + ((this.nextStreamPort - PORT_FIRST + PORT_SPAN / 2) % PORT_SPAN)
    this.streamTable ??= new NatBox({ ...this.options, firstPort })
    return this.streamTable.outbound(now, privatePort, to)
  }

  /**
   * A SYN from `from` reaches the public `publicPort`: the private port it goes to, when a
   * bound stream's mapping lets it in (the filtering of datagrams), else undefined (dropped).
   */
  streamInbound(now: Instant, publicPort: number, from: Address): number | undefined {
    return this.streamTable?.inbound(now, publicPort, from)
  }

  /** Live mappings (expired ones may linger until touched). */
  get mappingCount(): number {
    return this.byKey.size
  }

  /**
   * A datagram leaves from `privatePort` to `to`: returns the public source address it carries
   * after translation, creating or refreshing the mapping and the permission to hear back.
   */
  outbound(now: Instant, privatePort: number, to: Address): Address {
    const key =
      this.behaviour === 'symmetric' ? `${privatePort}>${to.host}:${to.port}` : `${privatePort}`
    let mapping = this.byKey.get(key)
    if (mapping !== undefined && this.expired(mapping, now)) {
      this.remove(mapping)
      mapping = undefined
    }
    if (mapping === undefined) mapping = this.create(key, privatePort)
    else this.byKey.delete(key) // re-inserted below: most recently used last
    this.byKey.set(key, mapping)
    mapping.lastOutbound = now
    if (this.behaviour !== 'full_cone') {
      const permission = this.permissionKey(to)
      mapping.permissions.delete(permission)
      mapping.permissions.set(permission, now)
      if (mapping.permissions.size > this.permissionsMax) {
        const oldest = mapping.permissions.keys().next().value
        if (oldest !== undefined) mapping.permissions.delete(oldest)
      }
    }
    return mapping.publicAddress
  }

  /**
   * A datagram from `from` reaches the public `publicPort`: returns the private port to deliver
   * it to, or undefined when the box drops it (no mapping, expired, or filtered).
   */
  inbound(now: Instant, publicPort: number, from: Address): number | undefined {
    const mapping = this.byPublicPort.get(publicPort)
    if (mapping === undefined) return undefined
    if (this.expired(mapping, now)) {
      this.remove(mapping)
      return undefined
    }
    if (this.behaviour === 'full_cone') return mapping.privatePort
    const since = mapping.permissions.get(this.permissionKey(from))
    if (since === undefined || now - since > this.mappingTimeout) return undefined
    return mapping.privatePort
  }

  /** The public port an outbound stream connection appears to come from. */
  allocateStreamPort(): number {
    const port = this.nextStreamPort
    this.nextStreamPort = PORT_FIRST + ((port - PORT_FIRST + 1) % PORT_SPAN)
    return port
  }

  private permissionKey(remote: Address): string {
    return this.behaviour === 'address_restricted' ? remote.host : `${remote.host}:${remote.port}`
  }

  private expired(mapping: Mapping, now: number): boolean {
    return now - mapping.lastOutbound > this.mappingTimeout
  }

  private create(key: string, privatePort: number): Mapping {
    if (this.byKey.size >= this.mappingsMax) {
      const oldest = this.byKey.values().next().value
      if (oldest !== undefined) this.remove(oldest)
    }
    const mapping: Mapping = {
      key,
      privatePort,
      publicAddress: { host: this.publicHost, port: this.takePort() },
      lastOutbound: 0,
      permissions: new Map(),
    }
    this.byPublicPort.set(mapping.publicAddress.port, mapping)
    return mapping
  }

  /** The next free public port; one exists because mappings are fewer than ports. */
  private takePort(): number {
    for (let tries = 0; tries < PORT_SPAN; tries++) {
      const port = this.nextPort
      this.nextPort = PORT_FIRST + ((port - PORT_FIRST + 1) % PORT_SPAN)
      if (!this.byPublicPort.has(port)) return port
    }
    throw new RangeError('NAT box has no free public port')
  }

  private remove(mapping: Mapping): void {
    this.byKey.delete(mapping.key)
    this.byPublicPort.delete(mapping.publicAddress.port)
  }
}
