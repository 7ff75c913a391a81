/** The directory's tracker: BEP 3/7/15/23/48 server core. See docs/protocols/directory-tracker.md. */
export {
  TrackerCore,
  type TrackerCoreOptions,
  type TrackerStats,
  type HttpTrackerStats,
} from './tracker-core.js'
export {
  DEFAULT_TRACKER_CONFIG,
  trackerConfig,
  type TrackerConfig,
  type RateLimitConfig,
  type AddressParamPolicy,
} from './config.js'
export {
  SwarmRegistry,
  type SwarmCounts,
  type TrackerTotals,
  type PeerAnnounce,
  type PeerEvent,
  type AnnounceAnswer,
  type SelectedPeers,
} from './swarm-registry.js'
export { UdpTrackerCore, type UdpTrackerCoreEvent, type UdpTrackerStats } from './udp-core.js'
export { rawDatagramCodec, udpResponseName } from './udp-wire.js'
export { RateLimiter, type RateLimiterStats } from './rate-limiter.js'
export { failureBody } from './http-handlers.js'
