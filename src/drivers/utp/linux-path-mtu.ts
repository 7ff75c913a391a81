import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Address } from '../../core/address.js'
import { isV6, packetBytesOfMtu, type PathMtuSource } from './path-mtu.js'

/**
 * Linux's view of a path MTU, read without native code:
 *
 * - The ceiling: the IPv4 route to the remote (longest prefix in /proc/net/route, its MTU
 *   column when set) and the MTU of the interface it leaves by (/sys/class/net/<if>/mtu).
 * - What the kernel learned: a UDP socket sends with IP_PMTUDISC_WANT (net.ipv4.ip_no_pmtu_disc
 *   = 0, the default), so datagrams that fit the cached path MTU carry DF; an ICMP
 *   "fragmentation needed" lowers that cache, after which larger datagrams are fragmented by
 *   the sender's kernel and so pass (and probes above it would pass too). `ip route get`
 *   shows the cached value ("cache expires 598sec mtu 1280"), so after a lost probe we read
 *   it. On a black hole (ICMP dropped) there is nothing to read and the probing alone decides.
 *
 * IPv6 routes are not read (the ceiling defaults to Ethernet's); `ip route get` covers both.
 */

/** A learned value is reused this long: several probes lost in a row ask once. */
const LEARNED_TTL_MS = 5_000
const IP_TIMEOUT_MS = 2_000

export class LinuxPathMtu implements PathMtuSource {
  private readonly learnedCache = new Map<string, { at: number; value: number | undefined }>()
  private readonly waiting = new Map<string, ((bytes: number | undefined) => void)[]>()

  constructor(
    private readonly readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
    private readonly routeGet: (
      host: string,
      done: (output: string | undefined) => void,
    ) => void = ipRouteGet,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  ceiling(remote: Address): number | undefined {
    if (isV6(remote.host)) return undefined
    try {
      const route = longestPrefixRoute(this.readText('/proc/net/route'), remote.host)
      if (route === undefined) return undefined
      const interfaceMtu = Number.parseInt(this.readText(`/sys/class/net/${route.iface}/mtu`), 10)
      if (!Number.isInteger(interfaceMtu) || interfaceMtu <= 0) return undefined
      const mtu = route.mtu > 0 ? Math.min(route.mtu, interfaceMtu) : interfaceMtu
      return packetBytesOfMtu(mtu, false)
    } catch {
      return undefined
    }
  }

  learned(remote: Address, done: (packetBytes: number | undefined) => void): void {
    const host = remote.host
    const cached = this.learnedCache.get(host)
    if (cached !== undefined && this.nowMs() - cached.at < LEARNED_TTL_MS) return done(cached.value)
    const queue = this.waiting.get(host)
    if (queue !== undefined) return void queue.push(done)
    this.waiting.set(host, [done])
    this.routeGet(host, (output) => {
      const value = output === undefined ? undefined : cachedMtu(output)
      const bytes = value === undefined ? undefined : packetBytesOfMtu(value, isV6(host))
      this.learnedCache.set(host, { at: this.nowMs(), value: bytes })
      const callbacks = this.waiting.get(host) ?? []
      this.waiting.delete(host)
      for (const callback of callbacks) callback(bytes)
    })
  }
}

function ipRouteGet(host: string, done: (output: string | undefined) => void): void {
  execFile(
    'ip',
    ['-o', isV6(host) ? '-6' : '-4', 'route', 'get', host],
    { timeout: IP_TIMEOUT_MS },
    (error, stdout) => done(error === null ? stdout : undefined),
  )
}

/** The path MTU in an `ip route get` answer: the cache's, else the route's own. */
export function cachedMtu(output: string): number | undefined {
  const match = /\bmtu (?:lock )?(\d+)/.exec(output)
  if (match === null) return undefined
  const mtu = Number.parseInt(match[1] as string, 10)
  return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined
}

interface Route {
  readonly iface: string
  readonly mtu: number
}

/**
 * The /proc/net/route entry for `host` (IPv4 dotted quad): the longest matching prefix, the
 * lowest metric among equals. Addresses and masks there are hex in host (little-endian) order.
 */
export function longestPrefixRoute(table: string, host: string): Route | undefined {
  const parts = host.split('.').map((part) => Number.parseInt(part, 10))
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return undefined
  }
  const address =
    ((parts[0] as number) << 24) |
    ((parts[1] as number) << 16) |
    ((parts[2] as number) << 8) |
    (parts[3] as number)
  let best: { route: Route; bits: number; metric: number } | undefined
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 9) continue
    const [iface, destinationHex, , , , , metricText, maskHex, mtuText] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    const destination = swap32(Number.parseInt(destinationHex, 16))
    const mask = swap32(Number.parseInt(maskHex, 16))
    if ((address & mask) >>> 0 !== (destination & mask) >>> 0) continue
    const bits = popcount(mask)
    const metric = Number.parseInt(metricText, 10)
    if (best === undefined || bits > best.bits || (bits === best.bits && metric < best.metric)) {
      best = { route: { iface, mtu: Number.parseInt(mtuText, 10) || 0 }, bits, metric }
    }
  }
  return best?.route
}

const swap32 = (value: number): number =>
  (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>>
  0

const popcount = (value: number): number => {
  let bits = 0
  for (let v = value >>> 0; v !== 0; v = v >>> 1) bits += v & 1
  return bits
}
