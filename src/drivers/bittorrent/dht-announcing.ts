/**
 * A torrent's presence in the Mainline DHT (BEP 5): announce ourselves at start and every 15
 * minutes (an announce runs get_peers first, so peers found on the way feed the swarm), and
 * while the download is incomplete, look for peers again every 2 minutes. libtorrent announces
 * on a similar period; stored peers expire after 30 minutes, so 15 keeps us listed.
 */
import type { Address } from '../../core/address.js'
import type { Env, TimerHandle } from '../../core/env.js'
import type { Id160 } from '../../core/id.js'
import { after, minutes, type Duration } from '../../core/time.js'

/** What a session needs of a DHT node (`DhtService` provides it). */
export interface DhtAccess {
  /** Our DHT node's UDP port, advertised to peers with the `port` message. */
  readonly port: number
  getPeers(infoHash: Id160, onPeers: (peers: readonly Address[]) => void): Promise<unknown>
  announce(
    infoHash: Id160,
    port: number,
    options: { onPeers?: (peers: readonly Address[]) => void },
  ): Promise<unknown>
  /** A peer named its DHT node (BEP 5 `port` message): ping it. */
  addNode(address: Address): void
}

export const DHT_ANNOUNCE_INTERVAL: Duration = minutes(15)
export const DHT_SEARCH_INTERVAL: Duration = minutes(2)

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

  constructor(private readonly options: DhtAnnouncingOptions) {}

  start(): void {
    this.tick()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.options.env.clock.clearTimer(this.timer)
    this.timer = undefined
  }

  private tick(): void {
    if (this.stopped) return
    const { env, dht, infoHash, port, onPeers } = this.options
    const now = env.clock.now()
    // A failed lookup is retried at the next tick; the DHT never stops the download.
    const ignore = (): undefined => undefined
    if (now >= this.nextAnnounceAt) {
      this.nextAnnounceAt = after(now, DHT_ANNOUNCE_INTERVAL)
      void dht.announce(infoHash, port, { onPeers }).catch(ignore)
    } else if (!this.options.isComplete()) {
      void dht.getPeers(infoHash, onPeers).catch(ignore)
    }
    const wait = this.options.isComplete() ? DHT_ANNOUNCE_INTERVAL : DHT_SEARCH_INTERVAL
    this.timer = env.clock.setTimer(after(now, wait), () => this.tick())
  }
}
