/** The BitTorrent swarm core (BEP 3, 6, 9 serving, 10, 11) for one torrent; see node.ts. */
export { allowedFastSet, ipv4Of, type Sha1 } from './allowed-fast.js'
export {
  blockBytesMaxOf,
  CLIENT_NAME,
  DEFAULT_SWARM_CONFIG,
  PEER_ID_PREFIX,
  swarmConfig,
  uploadSlotsOf,
  validateSwarmConfig,
} from './config.js'
export type { SwarmConfig } from './config.js'
export type { SwarmOptions } from './context.js'
export type {
  DisconnectReason,
  PeerSourceKind,
  SwarmEvent,
  SwarmFaultCode,
  SwarmStats,
} from './events.js'
export { checkSwarm } from './invariants.js'
export { SwarmCore } from './node.js'
export type { PeerPhase } from './peer.js'
export { globalRateLimiter, Throttle, TokenBucket } from './rate-limit.js'
export type { TokenBucketOptions } from './rate-limit.js'
export type { PeerView, SwarmView } from './view.js'
