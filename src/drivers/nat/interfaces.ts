import { networkInterfaces } from 'node:os'
import type { Address } from '../../core/address.js'

/**
 * The addresses a socket bound to `local` can be reached at on this host: `local` itself, or
 * for a wildcard bind every interface address of its family with the socket's port. Behaviour
 * discovery compares its mapped address against these to tell "no NAT".
 */
export function localAddressesOf(local: Address): Address[] {
  const wildcard = local.host === '0.0.0.0' || local.host === '::'
  if (!wildcard) return [local]
  const family = local.host === '::' ? 'IPv6' : 'IPv4'
  const found: Address[] = []
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === family) found.push({ host: entry.address, port: local.port })
    }
  }
  return found
}
