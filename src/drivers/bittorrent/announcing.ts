import type { Address } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import {
  Announcer,
  type AnnounceRequestKey,
  type AnnouncerOutput,
} from '../../protocols/bittorrent/tracker/index.js'
import { CoreTimer } from '../core-timer.js'
import type { TrackerTransport } from './tracker-transport.js'

export interface AnnouncingOptions {
  readonly env: Env
  readonly infoHash: Uint8Array
  /** BEP 12 tiers (a magnet's `tr` list is one tracker per tier). */
  readonly announceList: readonly (readonly string[])[]
  readonly peerId: Uint8Array
  readonly port: number
  readonly transport: TrackerTransport
  /** The torrent's byte counts right now, for each announce. */
  readonly progress: () => { uploaded: number; downloaded: number; left: number }
  readonly onPeers: (peers: readonly Address[]) => void
  readonly onMessage: (url: string, message: string) => void
}

/**
 * Drives the sans-IO BEP 12 `Announcer` for one torrent: performs its announces through a
 * `TrackerTransport`, reports the answers back, keeps its timer armed, and passes discovered
 * peers to the swarm.
 */
export class Announcing {
  private readonly announcer: Announcer
  private readonly timer: CoreTimer
  private readonly inFlight = new Map<AnnounceRequestKey, { cancel(): void }>()
  /** The per-session secret trackers use to recognise us across address changes. */
  private readonly key: number
  private onStopped: (() => void) | undefined

  constructor(private readonly options: AnnouncingOptions) {
    const random = options.env.random.fork('announcer')
    this.key = random.int(0x1_0000_0000)
    this.announcer = new Announcer(options.announceList, random)
    this.timer = new CoreTimer(options.env.clock, (now) => {
      this.announcer.timeout(now)
      this.pump()
    })
  }

  start(complete: boolean): void {
    const now = this.options.env.clock.now()
    this.announcer.start(now)
    if (complete) this.announcer.completed(now)
    this.pump()
  }

  completed(): void {
    this.announcer.completed(this.options.env.clock.now())
    this.pump()
  }

  /** Sends `stopped` to the trackers (bounded wait), then calls `done`. */
  stop(done: () => void): void {
    this.onStopped = done
    this.announcer.stop(this.options.env.clock.now())
    this.pump()
  }

  private pump(): void {
    for (;;) {
      const outputs = this.announcer.takeOutputs()
      if (outputs.length === 0) break
      for (const output of outputs) this.perform(output)
    }
    this.timer.arm(this.announcer.nextTimeout())
  }

  private perform(output: AnnouncerOutput): void {
    if (output.type === 'cancel') {
      this.inFlight.get(output.requestKey)?.cancel()
      this.inFlight.delete(output.requestKey)
      return
    }
    if (output.type === 'event') {
      const event = output.event
      if (event.type === 'peers_discovered') this.options.onPeers(event.peers)
      else if (event.type === 'tracker_warning') this.options.onMessage(event.url, event.message)
      else if (event.type === 'tracker_failed') {
        this.options.onMessage(event.url, `failed: ${event.error.message}`)
      } else if (event.type === 'announcer_stopped') {
        this.timer.cancel()
        const stopped = this.onStopped
        this.onStopped = undefined
        stopped?.()
      }
      return
    }
    const { requestKey } = output
    const counts = this.options.progress()
    const handle = this.options.transport.announce(
      {
        url: output.url,
        infoHash: this.options.infoHash,
        peerId: this.options.peerId,
        port: this.options.port,
        ...counts,
        event: output.event,
        numwant: output.numwant,
        key: this.key,
        ...(output.trackerId === undefined ? {} : { trackerId: output.trackerId }),
      },
      (result) => {
        if (!this.inFlight.delete(requestKey)) return
        const now = this.options.env.clock.now()
        if (result.ok) this.announcer.succeeded(now, requestKey, result.value)
        else this.announcer.failed(now, requestKey, result.error)
        this.pump()
      },
    )
    this.inFlight.set(requestKey, handle)
  }
}
