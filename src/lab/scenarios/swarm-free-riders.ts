import type { SwarmView } from '../../protocols/bittorrent/swarm/index.js'

/**
 * Where uploads go when some leechers are free riders: the share of the contributing
 * leechers' upload and of the seed's upload that reached free riders, beside the free
 * riders' share of the peers. Tit-for-tat should give free riders less than their share of
 * the leechers' upload; the seed's round robin gives everyone a turn.
 *
 * Sampled once per step from every uploading host's swarm view: the growth of each
 * connection's upload counter, by the role of the host at its far end. A connection that
 * closes between two samples loses its last step (at most one step of one connection).
 */
export interface FreeRiderShares {
  /** Free riders among the leechers (0-1). */
  readonly ofLeechers: number
  /** Of the bytes contributing leechers uploaded, the share free riders received (0-1). */
  readonly ofLeecherUpload: number
  /** Of the bytes the seed uploaded, the share free riders received (0-1). */
  readonly ofSeedUpload: number
}

export interface UploaderSample {
  readonly view: SwarmView
  readonly isSeed: boolean
}

export class FreeRiderSampler {
  /** Upload counter at the last sample, per uploading host and connection. */
  private readonly before = new Map<string, number>()
  private leecherToFree = 0
  private leecherTotal = 0
  private seedToFree = 0
  private seedTotal = 0

  /** `freeRiderHosts`: the hosts (IP addresses) of the free riders. */
  constructor(
    private readonly freeRiderHosts: ReadonlySet<string>,
    private readonly leechers: number,
  ) {}

  /** One step: every uploading host (seed and contributors) running now, keyed by index. */
  sample(uploaders: ReadonlyMap<number, UploaderSample>): void {
    // Without free riders every share is 0 whatever was uploaded: keep no counters (they
    // would hold one entry per connection of the run, 75,000 at 1,000 peers).
    if (this.freeRiderHosts.size === 0) return
    for (const [index, { view, isSeed }] of uploaders) {
      for (const peer of view.peers) {
        const key = `${index} ${peer.connection}`
        const grown = peer.uploadedBytes - (this.before.get(key) ?? 0)
        this.before.set(key, peer.uploadedBytes)
        if (grown <= 0) continue
        const toFree = this.freeRiderHosts.has(peer.address.host) ? grown : 0
        if (isSeed) {
          this.seedTotal += grown
          this.seedToFree += toFree
        } else {
          this.leecherTotal += grown
          this.leecherToFree += toFree
        }
      }
    }
  }

  report(): FreeRiderShares {
    const share = (part: number, whole: number): number =>
      whole === 0 ? 0 : Math.round((1000 * part) / whole) / 1000
    return {
      ofLeechers: share(this.freeRiderHosts.size, this.leechers),
      ofLeecherUpload: share(this.leecherToFree, this.leecherTotal),
      ofSeedUpload: share(this.seedToFree, this.seedTotal),
    }
  }
}
