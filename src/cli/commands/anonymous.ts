/**
 * `plexus get --anonymous --relays ...`: every peer connection of the download leaves through
 * one onion circuit built through the relays named (plexus relays by their `plexus onion relay
 * --json` records). The exit relay dials the peers, so they see the exit's address, not ours.
 * What would give us away is off: trackers and the DHT (our address in every announce), uTP
 * (UDP cannot cross a circuit), and a public listener (we listen on loopback only and tell no
 * one). Peers come from --peer and the magnet's x.pe, and from PEX once connected.
 */
import type { Net } from '../../core/env.js'
import { buildCircuitThrough } from '../../drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { onionNet } from '../../drivers/onion/onion-net.js'
import { CryptoRandom } from '../../drivers/node/random.js'
import { usageError } from '../output.js'
import { stderrLog } from './onion-log.js'
import { namedRelays } from './onion-named-fetch.js'

/**
 * What --anonymous implies: no announce anywhere (trackers, DHT), TCP only, a listener on
 * loopback that nobody is told of. A download needs peers named up front (--peer, x.pe).
 */
export function anonymousOverrides(namedPeers: number, transport: string | undefined) {
  if (namedPeers === 0)
    throw usageError('--anonymous needs peers to dial: --peer HOST:PORT (or a magnet with x.pe)')
  if (transport === 'utp') throw usageError('--anonymous cannot use uTP (UDP)')
  return { trackers: false, dht: false, transport: 'tcp', bind: '127.0.0.1', port: 0 } as const
}

export interface AnonymousRoute {
  readonly wrapNet: (net: Net) => Net
  /** Fingerprints, guard first. */
  readonly path: readonly string[]
  readonly buildMs: number
  close(): void
}

export async function anonymousRoute(relays: string, json: boolean): Promise<AnonymousRoute> {
  const { descriptors } = await namedRelays(relays, () =>
    Promise.reject(
      usageError('--anonymous takes plexus relay records in --relays (no tor consensus here)'),
    ),
  )
  const { circuit, buildMs } = await buildCircuitThrough(
    new NodeOnionCrypto(),
    new CryptoRandom(),
    stderrLog(json),
    descriptors,
  )
  return {
    wrapNet: (net) => onionNet(net, { connect: (host, port) => circuit.connect(host, port) }),
    path: descriptors.map((relay) => relay.fingerprint),
    buildMs,
    close: () => circuit.destroy(),
  }
}
