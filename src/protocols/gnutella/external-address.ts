/**
 * Our external address as others see it. A servent bound to a wildcard address (0.0.0.0) or
 * configured with a loopback one cannot put that in Pongs and QueryHits: nobody else can
 * reach it. Gnutella 0.6 handshakes carry `Remote-IP: <the address the peer sees us at>`;
 * we collect those votes, one per connection's remote address (the latest per remote,
 * bounded), and take the address a majority of at least `votesMin` votes agree on, so that
 * one lying or NATed peer cannot move us.
 */
import { addressKey, ipv4ToInt, type Address } from '../../core/address.js'
import { BoundedMap } from './bounded-map.js'

export const REMOTE_IP_VOTES_MIN = 3
const VOTES_MAX = 32

/** 0.0.0.0 and 127/8: addresses no other host can reach us at. */
export function isUnroutable(host: string): boolean {
  const value = ipv4ToInt(host)
  return value === undefined || value === 0 || value >>> 24 === 127
}

export class ExternalAddress {
  private readonly votes = new BoundedMap<string, string>(VOTES_MAX)

  constructor(private readonly votesMin = REMOTE_IP_VOTES_MIN) {}

  /** A peer at `from` says it sees us at `host` (its `Remote-IP` header). */
  vote(from: Address, host: string): void {
    const value = ipv4ToInt(host)
    if (value === undefined || value === 0) return
    this.votes.set(addressKey(from), host)
  }

  /** The address more than half of the votes name, once there are at least `votesMin`. */
  learned(): string | undefined {
    if (this.votes.size < this.votesMin) return undefined
    const counts = new Map<string, number>()
    for (const host of this.votes.values()) counts.set(host, (counts.get(host) ?? 0) + 1)
    for (const [host, count] of counts) if (2 * count > this.votes.size) return host
    return undefined
  }

  /**
   * What to advertise: the configured address unless it is unroutable and the peers agree on
   * another host (same port: the one we listen on). Undefined when the configured host is
   * the wildcard and nothing is learnt yet: there is no address to give.
   */
  advertise(configured: Address): Address | undefined {
    if (!isUnroutable(configured.host)) return configured
    const host = this.learned()
    if (host !== undefined) return { host, port: configured.port }
    return ipv4ToInt(configured.host) === 0 ? undefined : configured
  }
}
