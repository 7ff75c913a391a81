/**
 * A torrent's presence in the Mainline DHT (BEP 5): announce ourselves at start and every 15
 * minutes (an announce runs get_peers first, so peers found on the way feed the swarm), and
 * while the download is incomplete, look for peers again every 2 minutes. libtorrent announces
 * on a similar period; stored peers expire after 30 minutes, so 15 keeps us listed.
 *
 * The first announce waits for the node to join (its bootstrap lookup): started on an empty
 * routing table it reaches nobody, and the seed would stay unlisted for 15 minutes. An
 * announce that still stored on no node is retried after `DHT_RETRY_DELAY_MIN`, doubling up to
 * the regular period (issue 11: a tracker-less download waited for these periods on loopback).
 */
import type { Address } from '../../core/address.js'
import type { Env, TimerHandle } from '../../core/env.js'
import type { Id160 } from '../../core/id.js'
import { after, minutes, seconds, type Duration } from '../../core/time.js'

/** What a DHT lookup reports when it ends (`DhtService`'s `done` event has these fields). */
export interface DhtLookupDone {
  /** get_peers / announce: distinct peers found. */
  readonly peersFound: number
  /** announce: nodes that acknowledged the store. */
  readonly stored: number
}

/**
 * What a session needs of a DHT node (`DhtAgent` provides it). Callback-shaped: sessions run on
 * simulated hosts too, where a promise continuation would escape the simulated timeline.
 */
export interface DhtAccess {
  /** Our DHT node's UDP port, advertised to peers with the `port` message. */
  readonly port: number
  /**
   * Calls `fn` once the node's start-up bootstrap lookup ended (at once if it has): lookups
   * started before it run on an empty routing table and find nothing.
   */
  whenJoined(fn: () => void): void
  getPeers(
    infoHash: Id160,
    onPeers: (peers: readonly Address[]) => void,
    done: (done: DhtLookupDone) => void,
  ): void
  announce(
    infoHash: Id160,
    port: number,
    options: { onPeers?: (peers: readonly Address[]) => void },
    done: (done: DhtLookupDone) => void,
  ): void
  /** A peer named its DHT node (BEP 5 `port` message): ping it. */
  addNode(address: Address): void
}

export const DHT_ANNOUNCE_INTERVAL: Duration = minutes(15)
export const DHT_SEARCH_INTERVAL: Duration = minutes(2)
/** First retry of a lookup that found nothing (or an announce that stored nowhere). */
export const DHT_RETRY_DELAY_MIN: Duration = seconds(1)

/** A retry delay that doubles from `DHT_RETRY_DELAY_MIN` up to `max`, reset on success. */
export class DhtRetry {
  private delay: Duration = DHT_RETRY_DELAY_MIN

  constructor(private readonly max: Duration) {}

  /** The wait before the next attempt; doubles the one after it. */
  next(): Duration {
    const wait = this.delay
    this.delay = Math.min(this.max, this.delay * 2) as Duration
    return wait
  }

  reset(): void {
    this.delay = DHT_RETRY_DELAY_MIN
  }
}

export interface DhtAnnouncingOptions {
  readonly env: Env
  readonly dht: DhtAccess
  readonly infoHash: Id160
  /** The TCP port peers should connect to. */
  readonly port: number
  readonly isComplete: () => boolean
  readonly onPeers: (peers: readonly Address[]) => void
}

export class DhtAnnouncing {
  private timer: TimerHandle | undefined
  private nextAnnounceAt = 0
  private stopped = false
  private readonly retry = new DhtRetry(DHT_SEARCH_INTERVAL)

  constructor(private readonly options: DhtAnnouncingOptions) {}

  start(): void {
    this.options.dht.whenJoined(() => this.tick())
  }

  stop(): void {
    this.stopped = true
    this.clear()
  }

  private tick(): void {
    if (this.stopped) return
    const { env, dht, infoHash, port, onPeers } = this.options
    const now = env.clock.now()
    // A lookup that found nothing is retried at the next tick; the DHT never stops the download.
    if (now >= this.nextAnnounceAt) {
      this.nextAnnounceAt = after(now, DHT_ANNOUNCE_INTERVAL)
      dht.announce(infoHash, port, { onPeers }, (done) => this.announced(done))
    } else if (!this.options.isComplete()) {
      dht.getPeers(infoHash, onPeers, () => undefined)
    }
    const wait = this.options.isComplete() ? DHT_ANNOUNCE_INTERVAL : DHT_SEARCH_INTERVAL
    this.schedule(wait)
  }

  /** An announce that stored on no node (nobody to tell yet) is tried again soon. */
  private announced(done: DhtLookupDone): void {
    if (this.stopped) return
    if (done.stored > 0) return this.retry.reset()
    this.nextAnnounceAt = 0
    this.schedule(this.retry.next())
  }

  private schedule(wait: Duration): void {
    const { clock } = this.options.env
    this.clear()
    this.timer = clock.setTimer(after(clock.now(), wait), () => this.tick())
  }

  private clear(): void {
    if (this.timer !== undefined) this.options.env.clock.clearTimer(this.timer)
    this.timer = undefined
  }
}
