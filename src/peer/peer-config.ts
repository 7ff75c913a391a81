import { toHex, utf8 } from '../core/bytes.js'
import type { Random } from '../core/random.js'
import { PEER_ID_PREFIX } from '../protocols/bittorrent/swarm/index.js'
import { isValidRate } from './shared-limits.js'
import type { PeerConfig } from './types.js'

/** What is wrong with a peer's config, or undefined when it can start. */
export function configProblem(config: PeerConfig): string | undefined {
  if (!isValidRate(config.uploadRateLimit)) return `bad upload rate ${config.uploadRateLimit}`
  if (!isValidRate(config.downloadRateLimit)) {
    return `bad download rate ${config.downloadRateLimit}`
  }
  if (!isValidConnectionsMax(config.connectionsMax)) {
    return `connectionsMax must be a whole number >= 1, got ${config.connectionsMax}`
  }
  if (config.trackers && config.trackerTransport === undefined) {
    return 'trackers are on but no tracker transport was given'
  }
  return undefined
}

export function isValidConnectionsMax(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1
}

/** `-PX0100-` and 12 random hex digits (Azureus style, as every client's). */
export function newPeerId(random: Random): Uint8Array {
  const id = new Uint8Array(20)
  id.set(utf8(PEER_ID_PREFIX))
  id.set(utf8(toHex(random.bytes(6))), PEER_ID_PREFIX.length)
  return id
}
