/**
 * The multi-tracker announcer (BEP 12) for one torrent, as a sans-IO state machine. It decides
 * which tracker to announce to, with which event, and when; the driver performs each announce
 * (HTTP or UDP, by URL scheme) and reports the answer.
 *
 * - One announce at a time walks the tiers (`TrackerTiers`): the first ready tracker is asked;
 *   on failure or `requestTimeout` it sits out a backoff and the next one is asked at once.
 * - After a success the next regular announce follows the tracker's interval (`schedule.ts`).
 * - Events: each tracker gets `started` first (until it accepts one); `completed` goes out once,
 *   as soon as the download completes; `stop` sends `stopped` to every tracker that accepted a
 *   `started`, and waits at most `stopTimeout` for the answers.
 */
import { assert } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import { TimerTable } from '../../../core/timers.js'
import { after, type Instant } from '../../../core/time.js'
import { DEFAULT_ANNOUNCER_CONFIG, type AnnouncerConfig } from './announcer-config.js'
import type { AnnounceRequestKey, AnnouncerEvent, AnnouncerOutput } from './announcer-outputs.js'
import { backoffDelay, minIntervalOf, reannounceDelay } from './schedule.js'
import { TrackerTiers, type TrackerState } from './tiers.js'
import type { AnnounceEvent, AnnounceResponse, TrackerError } from './types.js'

export type AnnouncerPhase = 'idle' | 'running' | 'stopping' | 'stopped'

export interface AnnouncerView {
  readonly phase: AnnouncerPhase
  /** Tracker URLs in their current order (shuffled, then promoted), tier by tier. */
  readonly tiers: readonly (readonly string[])[]
  readonly inFlight?: string
  readonly nextAnnounceAt?: Instant
}

interface InFlight {
  readonly key: AnnounceRequestKey
  readonly tracker: TrackerState
  readonly event: AnnounceEvent
}

type TimerName = 'announce' | 'request' | 'stop'

export class Announcer {
  private readonly outputs: AnnouncerOutput[] = []
  private readonly tiers: TrackerTiers
  private readonly timers = new TimerTable<TimerName>()
  private readonly stopping = new Map<AnnounceRequestKey, TrackerState>()
  private phase: AnnouncerPhase = 'idle'
  private current: InFlight | undefined
  private nextKey = 1
  private completedRequested = false
  private completedPending = false
  /** The last successful tracker's `min interval` ends here: `announceSoon` waits for it. */
  private announceAllowedAt: Instant | undefined

  constructor(
    announceList: readonly (readonly string[])[],
    private readonly random: Random,
    private readonly config: AnnouncerConfig = DEFAULT_ANNOUNCER_CONFIG,
  ) {
    // A zero backoff or timeout would let a driver that fails synchronously spin forever.
    assert(config.backoffBase > 0 && config.requestTimeout > 0, 'backoff and timeout must be > 0')
    this.tiers = new TrackerTiers(announceList, random, config.trackersMax)
  }

  /** The torrent starts: announce `started` now. Call once. */
  start(now: Instant): void {
    assert(this.phase === 'idle', 'Announcer.start called twice')
    this.phase = 'running'
    this.round(now)
  }

  /** The download just completed: `completed` goes out once, right away (after `started`). */
  completed(now: Instant): void {
    if (this.completedRequested) return
    this.completedRequested = true
    this.completedPending = true
    this.round(now)
  }

  /** The swarm wants more peers: announce as soon as the tracker's `min interval` allows. */
  announceSoon(now: Instant): void {
    if (this.phase !== 'running' || this.current !== undefined) return
    const allowedAt = this.announceAllowedAt ?? now
    if (allowedAt <= now) return this.round(now)
    const planned = this.timers.get('announce')
    if (planned === undefined || allowedAt < planned) this.timers.set('announce', allowedAt)
  }

  /** Shutdown: `stopped` to each tracker that lists us; `announcer_stopped` when done. */
  stop(now: Instant): void {
    if (this.phase === 'stopping' || this.phase === 'stopped') return
    this.phase = 'stopping'
    this.timers.stop('announce')
    this.timers.stop('request')
    if (this.current !== undefined) {
      this.outputs.push({ type: 'cancel', requestKey: this.current.key })
      this.current = undefined
    }
    for (const tracker of this.tiers.all()) {
      if (!tracker.startSent) continue
      const requestKey = this.allocateKey()
      this.stopping.set(requestKey, tracker)
      this.pushAnnounce(tracker, 'stopped', requestKey, 0)
    }
    if (this.stopping.size === 0) this.finishStop()
    else this.timers.set('stop', after(now, this.config.stopTimeout))
  }

  /** The driver's report: the announce `requestKey` succeeded. Unknown keys are ignored. */
  succeeded(now: Instant, requestKey: AnnounceRequestKey, response: AnnounceResponse): void {
    if (this.stopping.has(requestKey)) return this.stopAnswered(requestKey)
    const current = this.current
    if (current?.key !== requestKey) return
    this.current = undefined
    this.timers.stop('request')
    const { tracker, event } = current
    tracker.failures = 0
    tracker.retryAt = now
    if (response.trackerId !== undefined) tracker.trackerId = response.trackerId
    if (event === 'started') tracker.startSent = true
    if (event === 'completed') this.completedPending = false
    this.tiers.promote(tracker)
    if (response.warning !== undefined) {
      this.emit({ type: 'tracker_warning', url: tracker.url, message: response.warning })
    }
    if (response.peers.length > 0) {
      const source = { kind: 'tracker', label: tracker.url } as const
      this.emit({ type: 'peers_discovered', source, peers: response.peers })
    }
    this.announceAllowedAt = after(now, minIntervalOf(response, this.config))
    // An event still owed (`completed` requested while `started` was in flight) goes now.
    if (this.eventFor(tracker) !== 'none') return this.round(now)
    this.timers.set('announce', after(now, reannounceDelay(response, this.config)))
  }

  /** The driver's report: the announce `requestKey` failed. Unknown keys are ignored. */
  failed(now: Instant, requestKey: AnnounceRequestKey, error: TrackerError): void {
    if (this.stopping.has(requestKey)) return this.stopAnswered(requestKey)
    if (this.current?.key !== requestKey) return
    this.onFailure(now, error)
  }

  timeout(now: Instant): void {
    for (const name of this.timers.expire(now)) {
      if (name === 'announce') this.round(now)
      else if (name === 'request' && this.current !== undefined) {
        this.outputs.push({ type: 'cancel', requestKey: this.current.key })
        const seconds = this.config.requestTimeout / 1000
        this.onFailure(now, { code: 'timeout', message: `no answer within ${seconds} s` })
      } else if (name === 'stop') {
        for (const requestKey of this.stopping.keys()) {
          this.outputs.push({ type: 'cancel', requestKey })
        }
        this.finishStop()
      }
    }
  }

  nextTimeout(): Instant | undefined {
    return this.timers.next()
  }

  takeOutputs(): AnnouncerOutput[] {
    return this.outputs.splice(0)
  }

  inspect(): AnnouncerView {
    const nextAnnounceAt = this.timers.get('announce')
    return {
      phase: this.phase,
      tiers: this.tiers.urls(),
      ...(this.current === undefined ? {} : { inFlight: this.current.tracker.url }),
      ...(nextAnnounceAt === undefined ? {} : { nextAnnounceAt }),
    }
  }

  /** Asks the first ready tracker, or waits for the first one to leave its backoff. */
  private round(now: Instant): void {
    if (this.phase !== 'running' || this.current !== undefined) return
    const tracker = this.tiers.firstReady(now)
    if (tracker === undefined) {
      const retryAt = this.tiers.earliestRetry()
      if (retryAt !== undefined) this.timers.set('announce', retryAt)
      return
    }
    this.timers.stop('announce')
    const key = this.allocateKey()
    const event = this.eventFor(tracker)
    this.current = { key, tracker, event }
    this.timers.set('request', after(now, this.config.requestTimeout))
    this.pushAnnounce(tracker, event, key, this.config.numwant)
  }

  private onFailure(now: Instant, error: TrackerError): void {
    const current = this.current
    if (current === undefined) return
    this.current = undefined
    this.timers.stop('request')
    const { tracker } = current
    tracker.failures++
    tracker.retryAt = after(now, backoffDelay(tracker.failures, this.config, this.random))
    this.emit({ type: 'tracker_failed', url: tracker.url, error })
    this.round(now)
  }

  private eventFor(tracker: TrackerState): AnnounceEvent {
    if (!tracker.startSent) return 'started'
    return this.completedPending ? 'completed' : 'none'
  }

  private stopAnswered(requestKey: AnnounceRequestKey): void {
    this.stopping.delete(requestKey)
    if (this.stopping.size === 0) this.finishStop()
  }

  private finishStop(): void {
    this.stopping.clear()
    this.timers.stop('stop')
    this.phase = 'stopped'
    this.emit({ type: 'announcer_stopped' })
  }

  private pushAnnounce(
    tracker: TrackerState,
    event: AnnounceEvent,
    requestKey: AnnounceRequestKey,
    numwant: number,
  ): void {
    const { url, trackerId } = tracker
    this.outputs.push({
      type: 'announce',
      url,
      event,
      requestKey,
      numwant,
      ...(trackerId === undefined ? {} : { trackerId }),
    })
  }

  private allocateKey(): AnnounceRequestKey {
    return this.nextKey++ as AnnounceRequestKey
  }

  private emit(event: AnnouncerEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}
