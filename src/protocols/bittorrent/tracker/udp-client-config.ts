import { seconds, type Duration } from '../../../core/time.js'

export interface UdpTrackerConfig {
  /**
   * BEP 15: with no response after `retransmitBase * 2^n`, retransmit and increase n. Tests and
   * the simulator shorten it; the real protocol uses 15 s.
   */
  readonly retransmitBase: Duration
  /**
   * The largest n: after the transmission with n = `retransmitsMax` times out, the request
   * fails. BEP 15 says 8 (the last wait is 3840 s, about 2 h 8 min in all); callers that
   * have somewhere else to turn (the announcer's next tracker) may cancel far sooner.
   */
  readonly retransmitsMax: number
  /** BEP 15: a client may use a connection id for one minute after receiving it. */
  readonly connectionIdLifetime: Duration
  /** Announces and scrapes outstanding at once; more fail at once with `error`. */
  readonly requestsMax: number
  /** Trackers whose connection id we remember; the oldest is forgotten beyond it. */
  readonly connectionsMax: number
}

export const DEFAULT_UDP_TRACKER_CONFIG: UdpTrackerConfig = {
  retransmitBase: seconds(15),
  retransmitsMax: 8,
  connectionIdLifetime: seconds(60),
  requestsMax: 1024,
  connectionsMax: 1024,
}
