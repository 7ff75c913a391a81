import { addressKey, type Address } from '../core/address.js'
import type { Result } from '../core/result.js'
import type { RelayDescriptor } from '../protocols/onion/directory/descriptor.js'
import type { RelayIdentity } from '../protocols/onion/link-certs.js'
import { descriptorOfRecord, type OnionRecordProblem } from './onion-relay-record.js'
import type { ServiceDirectory } from './service-directory.js'
import type { RecordProblem } from './service-record.js'

/**
 * Onion relays found through the DHT (no tor consensus): get_peers on the `onion-relay`
 * info-hash gives addresses; each is reached once (a link handshake, no circuit) to learn the
 * identity its CERTS prove; the record signed by that identity is fetched from the DHT and
 * checked (signature, kind, times, identity, address: onion-relay-record.ts). Only relays
 * whose record passes become descriptors; the rest are reported with the reason.
 *
 * The contact costs one TLS handshake per candidate, and tells a candidate that someone at
 * this address is choosing relays (as a tor bridge user tells its bridge); it carries no
 * circuit and no destination.
 */
export interface OnionRelayDiscoveryOptions {
  /** Learns the identity a relay proves at `address` (`OnionLink.identify` on the network). */
  readonly identify: (
    address: Address,
    done: (identity: Result<RelayIdentity, string>) => void,
  ) => void
  /** Candidates contacted at most (default 32). */
  readonly max?: number
}

export interface RefusedRelay {
  readonly address: string
  readonly reason: OnionRecordProblem | RecordProblem | 'not_found' | 'unreachable'
  readonly detail?: string
}

export interface DiscoveredOnionRelays {
  readonly relays: readonly RelayDescriptor[]
  readonly refused: readonly RefusedRelay[]
}

const CANDIDATES_MAX = 32

export function discoverOnionRelays(
  directory: ServiceDirectory,
  options: OnionRelayDiscoveryOptions,
  done: (found: DiscoveredOnionRelays) => void,
): void {
  directory.offering('onion-relay', (addresses) => {
    const unique = new Map<string, Address>()
    for (const address of addresses) unique.set(addressKey(address), address)
    const candidates = [...unique.values()].slice(0, options.max ?? CANDIDATES_MAX)
    const relays: RelayDescriptor[] = []
    const refused: RefusedRelay[] = []
    let left = candidates.length
    if (left === 0) return done({ relays, refused })
    const one = (): void => {
      if (--left === 0) done({ relays, refused })
    }
    for (const address of candidates) {
      const at = addressKey(address)
      options.identify(address, (identity) => {
        if (!identity.ok) {
          refused.push({ address: at, reason: 'unreachable', detail: identity.error })
          return one()
        }
        directory.fetch('onion-relay', identity.value.ed25519Identity, (record) => {
          if (!record.ok) refused.push({ address: at, reason: record.error })
          else {
            const descriptor = descriptorOfRecord(record.value, {
              address,
              identity: identity.value,
            })
            if (descriptor.ok) relays.push(descriptor.value)
            else refused.push({ address: at, reason: descriptor.error })
          }
          one()
        })
      })
    }
  })
}
