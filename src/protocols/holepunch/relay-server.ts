import { addressKey, type Address } from '../../core/address.js'
import { after, type Duration, type Instant } from '../../core/time.js'
import { decodeRelay, encodeRelay, RelayRefusal } from './relay-codec.js'

/**
 * The relay-lite server core (sans-IO; wire format in relay-codec.ts). One control port takes
 * ALLOCATE/SEND from clients; each allocation gets a public port of its own, opened and closed
 * by the driver on request. Safety rules, as TURN's (RFC 8656 section 9):
 * - a datagram reaching an allocation is passed to its client only from an IP address the
 *   client has sent to within `permissionLifetime` (never an open inbound proxy);
 * - allocations are bounded in total and per client IP, and expire after `allocationLifetime`
 *   without client traffic;
 * - a reservation (RESERVE) is an allocation that also takes KNOCKs: a datagram from a host
 *   without a permission goes to the client marked as unsolicited, at most `knocksPerSecond`
 *   per reservation, so a NATed client can be reached for signalling but not flooded. The
 *   relay answers IDENTIFY with its signed service record (`setIdentity`).
 */
export interface RelayServerOptions {
  /** The relay's public IPv4 address (what allocations are advertised as). */
  readonly publicHost: string
  readonly controlPort: number
  /** Allocation ports: [portFirst, portFirst + portCount). */
  readonly portFirst: number
  readonly portCount: number
  readonly allocationsPerIpMax?: number
  readonly allocationLifetime?: Duration
  readonly permissionLifetime?: Duration
  /** Knocks passed to one reservation per second (default 20); the rest are dropped. */
  readonly knocksPerSecond?: number
}

export type RelayServerOutput =
  | { readonly type: 'listen'; readonly port: number }
  | { readonly type: 'close'; readonly port: number }
  | {
      readonly type: 'send'
      readonly fromPort: number
      readonly to: Address
      readonly bytes: Uint8Array
    }

export interface RelayServerStats {
  allocations: number
  allocationsRefused: number
  datagramsRelayed: number
  bytesRelayed: number
  /** Inbound datagrams dropped for want of a permission. */
  datagramsUnpermitted: number
  /** Unsolicited datagrams passed to reservations, and those over their budget. */
  knocks: number
  knocksDropped: number
  /** Reservations made (allocations that take knocks). */
  reservations: number
  malformed: number
}

interface Allocation {
  readonly client: Address
  readonly port: number
  expires: Instant
  /** IP -> when its permission lapses. */
  readonly permissions: Map<string, Instant>
  /** A reservation: unsolicited datagrams are passed on as knocks. */
  mailbox: boolean
  /** The second the knock budget counts in, and knocks passed in it. */
  knockSecond: number
  knocksInSecond: number
}

const DEFAULT_LIFETIME = 600_000 as Duration
const DEFAULT_PERMISSION = 300_000 as Duration

export class RelayServer {
  readonly stats: RelayServerStats = {
    allocations: 0,
    allocationsRefused: 0,
    datagramsRelayed: 0,
    bytesRelayed: 0,
    datagramsUnpermitted: 0,
    knocks: 0,
    knocksDropped: 0,
    reservations: 0,
    malformed: 0,
  }
  private readonly outputs: RelayServerOutput[] = []
  private readonly byClient = new Map<string, Allocation>()
  private readonly byPort = new Map<number, Allocation>()
  private readonly perIp = new Map<string, number>()
  private nextPort: number
  private readonly lifetime: Duration
  private readonly permissionLifetime: Duration
  private readonly perIpMax: number
  private readonly knocksPerSecond: number
  private identity: Uint8Array = new Uint8Array(0)

  constructor(private readonly options: RelayServerOptions) {
    this.nextPort = options.portFirst
    this.lifetime = options.allocationLifetime ?? DEFAULT_LIFETIME
    this.permissionLifetime = options.permissionLifetime ?? DEFAULT_PERMISSION
    this.perIpMax = options.allocationsPerIpMax ?? 8
    this.knocksPerSecond = options.knocksPerSecond ?? 20
  }

  get allocationCount(): number {
    return this.byClient.size
  }

  get reservationCount(): number {
    let count = 0
    for (const allocation of this.byClient.values()) if (allocation.mailbox) count++
    return count
  }

  /** The signed service record IDENTIFY is answered with (bencoded BEP 44 item). */
  setIdentity(record: Uint8Array): void {
    this.identity = record
  }

  receive(now: Instant, port: number, from: Address, bytes: Uint8Array): void {
    if (port === this.options.controlPort) this.fromClient(now, from, bytes)
    else this.fromPeer(now, port, from, bytes)
  }

  /** Expires idle allocations. */
  timeout(now: Instant): void {
    for (const allocation of this.byClient.values()) {
      if (allocation.expires <= now) this.release(allocation)
    }
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const allocation of this.byClient.values()) {
      if (next === undefined || allocation.expires < next) next = allocation.expires
    }
    return next
  }

  takeOutputs(): RelayServerOutput[] {
    return this.outputs.splice(0)
  }

  private fromClient(now: Instant, from: Address, bytes: Uint8Array): void {
    const decoded = decodeRelay(bytes)
    if (!decoded.ok) {
      this.stats.malformed++
      return
    }
    const message = decoded.value
    const key = addressKey(from)
    if (message.type === 'identify') {
      this.reply(from, encodeRelay({ type: 'identity', tid: message.tid, record: this.identity }))
      return
    }
    if (message.type === 'allocate' || message.type === 'reserve') {
      let allocation = this.byClient.get(key)
      if (allocation === undefined) {
        const port = this.freePort()
        const ipCount = this.perIp.get(from.host) ?? 0
        const refusal =
          port === undefined
            ? RelayRefusal.Capacity
            : ipCount >= this.perIpMax
              ? RelayRefusal.PerClientLimit
              : undefined
        if (refusal !== undefined || port === undefined) {
          this.stats.allocationsRefused++
          const code = refusal ?? RelayRefusal.Capacity
          this.reply(from, encodeRelay({ type: 'refused', tid: message.tid, code }))
          return
        }
        allocation = {
          client: from,
          port,
          expires: after(now, this.lifetime),
          permissions: new Map(),
          mailbox: false,
          knockSecond: -1,
          knocksInSecond: 0,
        }
        this.byClient.set(key, allocation)
        this.byPort.set(port, allocation)
        this.perIp.set(from.host, ipCount + 1)
        this.stats.allocations++
        this.outputs.push({ type: 'listen', port })
      }
      allocation.expires = after(now, this.lifetime)
      if (message.type === 'reserve' && !allocation.mailbox) {
        allocation.mailbox = true
        this.stats.reservations++
      }
      const relayed = { host: this.options.publicHost, port: allocation.port }
      this.reply(from, encodeRelay({ type: 'allocated', tid: message.tid, relayed }))
      return
    }
    if (message.type !== 'send') {
      this.stats.malformed++
      return
    }
    const allocation = this.byClient.get(key)
    if (allocation === undefined) return
    allocation.expires = after(now, this.lifetime)
    allocation.permissions.set(message.to.host, after(now, this.permissionLifetime))
    this.count(message.payload.length)
    this.outputs.push({
      type: 'send',
      fromPort: allocation.port,
      to: message.to,
      bytes: message.payload,
    })
  }

  private fromPeer(now: Instant, port: number, from: Address, bytes: Uint8Array): void {
    const allocation = this.byPort.get(port)
    if (allocation === undefined) return
    const lapses = allocation.permissions.get(from.host)
    if (lapses === undefined || lapses <= now) {
      if (allocation.mailbox) this.knock(now, allocation, from, bytes)
      else this.stats.datagramsUnpermitted++
      return
    }
    this.count(bytes.length)
    this.reply(allocation.client, encodeRelay({ type: 'data', from, payload: bytes }))
  }

  private knock(now: Instant, allocation: Allocation, from: Address, bytes: Uint8Array): void {
    const second = Math.floor(now / 1000)
    if (second !== allocation.knockSecond) {
      allocation.knockSecond = second
      allocation.knocksInSecond = 0
    }
    if (allocation.knocksInSecond >= this.knocksPerSecond) {
      this.stats.knocksDropped++
      return
    }
    allocation.knocksInSecond++
    this.stats.knocks++
    this.reply(allocation.client, encodeRelay({ type: 'knock', from, payload: bytes }))
  }

  private count(bytes: number): void {
    this.stats.datagramsRelayed++
    this.stats.bytesRelayed += bytes
  }

  private reply(to: Address, bytes: Uint8Array): void {
    this.outputs.push({ type: 'send', fromPort: this.options.controlPort, to, bytes })
  }

  private freePort(): number | undefined {
    const { portFirst, portCount } = this.options
    for (let tried = 0; tried < portCount; tried++) {
      const port = this.nextPort
      this.nextPort = portFirst + ((port - portFirst + 1) % portCount)
      if (!this.byPort.has(port) && port !== this.options.controlPort) return port
    }
    return undefined
  }

  private release(allocation: Allocation): void {
    this.byClient.delete(addressKey(allocation.client))
    this.byPort.delete(allocation.port)
    const count = (this.perIp.get(allocation.client.host) ?? 1) - 1
    if (count > 0) this.perIp.set(allocation.client.host, count)
    else this.perIp.delete(allocation.client.host)
    this.outputs.push({ type: 'close', port: allocation.port })
  }
}
