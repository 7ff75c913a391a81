/**
 * How many requests to keep outstanding to one peer: libtorrent's policy
 * (`peer_connection::update_desired_queue_size`, settings `request_queue_time`,
 * `max_out_request_queue`), a pure function so it can be tested on its own.
 *
 * Steady state: the bandwidth-delay product, `rate * queueTime / blockLength` blocks, so the
 * peer always holds `queueTime` worth of requests and is never idle waiting for the next one,
 * while a slow peer holds few blocks other peers could fetch. Bounded below by `min` (the rate
 * of a new peer is unknown) and above by `max` and the peer's own `reqq` (BEP 10: more is
 * dropped or rejected by it).
 *
 * Slow start: a peer's rate meter starts at its connection, and it learns the rate one
 * second at a time, so a peer unchoking us after a while (its meter diluted by the idle time)
 * or on a long path would sit at `min` requests for seconds. Like libtorrent, while a peer is
 * in slow start the queue grows by one request for every block it delivers (doubling per round
 * trip, as TCP's window does), and slow start ends on the first tick whose rate did not grow
 * by `SLOW_START_GROWTH` over the previous tick's, or when the peer is snubbed.
 */

/** A tick's rate must beat the last by this factor to stay in slow start. */
export const SLOW_START_GROWTH = 1.1

export interface RequestQueuePolicy {
  /** Milliseconds of the peer's rate to keep requested. */
  readonly queueTime: number
  readonly min: number
  readonly max: number
}

export interface RequestQueueInputs {
  /** The peer's download rate to us, bytes/s. */
  readonly rate: number
  readonly blockLength: number
  /** The peer's advertised `reqq`, when it sent one. */
  readonly reqq: number | undefined
  readonly snubbed: boolean
  /** The slow-start queue size, 0 once slow start is over. */
  readonly slowStart: number
}

/** Requests to keep outstanding: at least 1, at most `max` and the peer's `reqq`. */
export function requestQueueTarget(policy: RequestQueuePolicy, peer: RequestQueueInputs): number {
  if (peer.snubbed) return 1
  const bandwidthDelay = Math.floor((peer.rate * policy.queueTime) / 1000 / peer.blockLength)
  const cap = Math.min(policy.max, peer.reqq ?? policy.max)
  const wanted = Math.max(policy.min, bandwidthDelay, peer.slowStart)
  return Math.max(1, Math.min(cap, wanted))
}

/** The slow-start state of one peer (kept on `Peer`). */
export interface SlowStart {
  /** Queue size while in slow start; 0 when over. */
  queue: number
  /** The rate seen at the previous tick. */
  lastRate: number
}

/** A new peer is in slow start (queue 1: `min` applies until blocks arrive). */
export const newSlowStart = (): SlowStart => ({ queue: 1, lastRate: 0 })

/** A block arrived from the peer: in slow start, one more request outstanding. */
export function slowStartOnBlock(state: SlowStart, policy: RequestQueuePolicy): void {
  if (state.queue > 0) state.queue = Math.min(policy.max, Math.max(state.queue, policy.min) + 1)
}

/** The once-a-second tick: slow start ends when the rate stopped growing (or the peer is snubbed). */
export function slowStartOnTick(state: SlowStart, rate: number, snubbed: boolean): void {
  if (state.queue === 0) return
  // No block yet (rate 0): nothing learned, stay in slow start.
  if (snubbed || (rate > 0 && rate < state.lastRate * SLOW_START_GROWTH)) state.queue = 0
  state.lastRate = rate
}
