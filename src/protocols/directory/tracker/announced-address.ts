import type { AddressParamPolicy } from './config.js'
import { isLoopbackAddress, peerAddress, withPort, type PeerAddress } from './peer-address.js'

/**
 * Where other peers should reach the announcing peer: the request's source address with the
 * announced port, or (only when the policy trusts this source) the first valid address the
 * request names (`ip`, `ipv4`, `ipv6`, or BEP 15's IP field). An unparsable claim is ignored
 * rather than refused: clients fill these with LAN or stale addresses all the time.
 */
export function announcedAddress(
  source: PeerAddress,
  port: number,
  claimed: readonly (string | undefined)[],
  policy: AddressParamPolicy,
): PeerAddress {
  const trusted = policy === 'always' || (policy === 'loopback' && isLoopbackAddress(source))
  if (trusted) {
    for (const text of claimed) {
      const parsed = text === undefined ? undefined : peerAddress(text, port)
      if (parsed !== undefined) return parsed
    }
  }
  return withPort(source, port)
}
