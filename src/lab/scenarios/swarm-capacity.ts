import type { SwarmView } from '../../protocols/bittorrent/swarm/index.js'

/**
 * Where the swarm's upload capacity goes (issue 20, goal 3): sampled once per step of virtual
 * time from every running host's swarm view.
 *
 * - utilisation: payload uploaded in the step over the upload capacity of the hosts present
 *   (seed included). The fluid bound assumes 1 for the whole run.
 * - idle slots: upload slots (the choker's `slots`) not used by an unchoked peer, over all
 *   slots of hosts that still have something some peer lacks; of those, the ones an
 *   interested peer we keep choked could have used (a policy loss, not a lack of content).
 * - unchoked but not interested: peers we unchoke that want nothing from us (a slot that
 *   carries no data).
 * - starved: peers that unchoked us and that we are interested in, with no request of ours
 *   outstanding (download capacity idle for want of requests).
 * Shares are of peer-slot samples summed over the run; `perSecond` keeps the utilisation
 * series so it can be plotted.
 */
export interface CapacityReport {
  /** Mean of the per-step utilisation (0-1). */
  readonly utilisation: number
  /** Utilisation per step (rounded to 0.001), in step order. */
  readonly perSecond: readonly number[]
  /** Share of upload-slot samples with nobody unchoked in them. */
  readonly idleSlotShare: number
  /** Share of upload-slot samples idle while an interested peer was kept choked. */
  readonly idleWhileWantedShare: number
  /** Share of unchoked-peer samples where the peer was not interested. */
  readonly unchokedNotInterestedShare: number
  /** Share of "it unchoked us and we want its pieces" samples with no request outstanding. */
  readonly starvedShare: number
}

export interface HostSample {
  readonly view: SwarmView
  readonly uploadBytesPerSecond: number
}

export class CapacitySampler {
  private readonly uploadedBefore = new Map<number, number>()
  private readonly series: number[] = []
  private slots = 0
  private idleSlots = 0
  private idleWhileWanted = 0
  private unchoked = 0
  private unchokedNotInterested = 0
  private wanting = 0
  private starved = 0

  /** One step: `hosts` are the hosts running now, keyed by a stable index. */
  sample(hosts: ReadonlyMap<number, HostSample>, stepSeconds: number): void {
    let uploaded = 0
    let capacity = 0
    for (const [index, { view, uploadBytesPerSecond }] of hosts) {
      const total = view.stats.uploadedBytes
      uploaded += total - (this.uploadedBefore.get(index) ?? 0)
      this.uploadedBefore.set(index, total)
      capacity += uploadBytesPerSecond * stepSeconds
      this.slotsOf(view)
    }
    this.series.push(capacity === 0 ? 0 : Math.round((1000 * uploaded) / capacity) / 1000)
  }

  report(): CapacityReport {
    const mean =
      this.series.length === 0 ? 0 : this.series.reduce((a, b) => a + b, 0) / this.series.length
    const share = (part: number, whole: number): number =>
      whole === 0 ? 0 : Math.round((1000 * part) / whole) / 1000
    return {
      utilisation: Math.round(1000 * mean) / 1000,
      perSecond: [...this.series],
      idleSlotShare: share(this.idleSlots, this.slots),
      idleWhileWantedShare: share(this.idleWhileWanted, this.slots),
      unchokedNotInterestedShare: share(this.unchokedNotInterested, this.unchoked),
      starvedShare: share(this.starved, this.wanting),
    }
  }

  private slotsOf(view: SwarmView): void {
    const slots = view.config.uploadSlots ?? view.config.choke.slots
    let unchoked = 0
    let waiting = 0
    let anyoneLacks = false
    for (const peer of view.peers) {
      if (peer.phase !== 'open') continue
      if (!peer.isSeed) anyoneLacks = true
      if (peer.amChoking && peer.peerInterested && !peer.isSeed) waiting++
      if (!peer.amChoking) {
        unchoked++
        if (!peer.peerInterested) this.unchokedNotInterested++
      }
      if (peer.amInterested && !peer.peerChoking) {
        this.wanting++
        if (peer.outstandingRequests === 0) this.starved++
      }
    }
    this.unchoked += unchoked
    // A host whose peers are all seeds has nothing to give: its slots are not idle capacity.
    if (!anyoneLacks || view.config.freeRider === true) return
    this.slots += slots
    const idle = Math.max(0, slots - unchoked)
    this.idleSlots += idle
    this.idleWhileWanted += Math.min(idle, waiting)
  }
}
