/**
 * The measurements `--ultrapeer auto` elects from, taken from a running servent: uptime since
 * start, peak upload and download rates over sampling intervals (bytes through its Gnutella
 * connections), reachability (an incoming connection was accepted), the ultrapeers known and
 * whether one asked for more. The decision is the pure `elect` (src/protocols/ultrapeer).
 */
import type { Servent } from '../../protocols/gnutella/index.js'
import {
  DEFAULT_ELECTION,
  elect,
  type Election,
  type ElectionThresholds,
} from '../../protocols/ultrapeer/election.js'

export class RoleMeter {
  private peakUp = 0
  private peakDown = 0
  private last: { at: number; sent: number; received: number } | undefined
  private demotedAt: number | undefined

  constructor(
    private readonly startedAt: number,
    private readonly thresholds: ElectionThresholds = DEFAULT_ELECTION,
  ) {}

  /** Takes one sample (call at a steady interval) and decides. */
  sample(now: number, servent: Servent): Election {
    const m = servent.measurements()
    if (this.last !== undefined && now > this.last.at) {
      const seconds = (now - this.last.at) / 1000
      this.peakUp = Math.max(this.peakUp, (m.bytesSent - this.last.sent) / seconds)
      this.peakDown = Math.max(this.peakDown, (m.bytesReceived - this.last.received) / seconds)
    }
    // A restarted servent counts from zero again.
    this.last = { at: now, sent: m.bytesSent, received: m.bytesReceived }
    return elect(
      {
        role: servent.role === 'ultrapeer' ? 'ultrapeer' : 'leaf',
        uptimeMs: now - this.startedAt,
        uploadBytesPerSecond: this.peakUp,
        downloadBytesPerSecond: this.peakDown,
        reachable: m.accepted > 0,
        ultrapeersKnown: m.ultrapeersKnown,
        ultrapeerNeeded: m.ultrapeerNeeded,
        demotedAgoMs: this.demotedAt === undefined ? undefined : now - this.demotedAt,
      },
      this.thresholds,
    )
  }

  /** The servent demoted itself: the election holds it a leaf for a while (hysteresis). */
  demoted(now: number): void {
    this.demotedAt = now
  }

  /** After a restart the servent's counters begin at zero. */
  restarted(): void {
    this.last = undefined
  }
}
