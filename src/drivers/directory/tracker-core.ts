import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket, Hashing, Metrics } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import {
  rawDatagramCodec,
  TrackerCore,
  udpResponseName,
  type TrackerConfig,
} from '../../protocols/directory/tracker/index.js'
import { attach, type Attached } from '../attach.js'
import { CoreTimer } from '../core-timer.js'
import type { SwarmCounts } from './index-db.js'
import type { TrackerPort } from './tracker-port.js'

/**
 * The real tracker core behind the server's `TrackerPort`. UDP sockets are bound with `attach`
 * (which also arms the core's expiry timer whenever a datagram arrives); HTTP requests re-arm a
 * timer of their own after each call, so an HTTP-only tracker still sweeps expired peers.
 */
export class NodeTrackerCore implements TrackerPort {
  private readonly core: TrackerCore
  private readonly timer: CoreTimer
  private readonly attached = new Set<Attached>()

  constructor(
    private readonly options: {
      readonly clock: Clock
      readonly random: Random
      readonly hashing: Hashing
      readonly metrics?: Metrics
      readonly config?: Partial<TrackerConfig>
    },
  ) {
    this.core = new TrackerCore({
      random: options.random,
      hashing: options.hashing,
      ...(options.config === undefined ? {} : { config: options.config }),
    })
    this.timer = new CoreTimer(options.clock, (now) => this.tick(now))
  }

  handleHttpAnnounce(rawQuery: string, remote: Address, now: Instant): Uint8Array {
    const body = this.core.handleHttpAnnounce(rawQuery, remote, now)
    this.timer.arm(this.core.nextTimeout())
    return body
  }

  handleHttpScrape(rawQuery: string, remote: Address, now: Instant): Uint8Array {
    const body = this.core.handleHttpScrape(rawQuery, remote, now)
    this.timer.arm(this.core.nextTimeout())
    return body
  }

  admit(remote: Address, now: Instant): boolean {
    return this.core.admit(remote, now)
  }

  countsOf(infoHash: Uint8Array): SwarmCounts | undefined {
    return this.core.countsOf(infoHash)
  }

  takeChangedSwarms(): Uint8Array[] {
    return this.core.takeChangedSwarms()
  }

  allow(infoHash: Uint8Array): void {
    this.core.allow(infoHash)
  }

  setCompleted(infoHash: Uint8Array, completed: number): void {
    this.core.setCompleted(infoHash, completed)
  }

  serveUdp(socket: DatagramSocket): () => void {
    const bound = attach(this.core.udp, rawDatagramCodec, {
      clock: this.options.clock,
      socket,
      onEvent: () => undefined, // The UDP core has no events (UdpTrackerCoreEvent is never).
      messageName: udpResponseName,
      ...(this.options.metrics === undefined ? {} : { metrics: this.options.metrics }),
    })
    this.attached.add(bound)
    return () => {
      bound.detach()
      this.attached.delete(bound)
    }
  }

  close(): void {
    this.timer.cancel()
    for (const bound of this.attached) bound.detach()
    this.attached.clear()
  }

  private tick(now: Instant): void {
    this.core.timeout(now)
    this.timer.arm(this.core.nextTimeout())
  }
}
