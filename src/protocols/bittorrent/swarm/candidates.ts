/**
 * The address book of one torrent: every peer address we heard of (tracker, PEX, DHT, user)
 * and what we know of it. A candidate is `ready` (dial it), `waiting` (backing off until
 * `retryAt`), `connecting` or `connected`. Failed connects back off exponentially and are
 * forgotten after `connectAttemptsMax` in a row; a peer we were connected to is redialled
 * after `redialDelay`. Bans and our own addresses are the caller's business (it checks them
 * before adding or dialling), so this stays a plain bounded table.
 *
 * Source choice by measurement, as Napster's clients pinged candidates before choosing: a
 * TCP connect costs one round trip, so every outbound connect records the candidate's RTT.
 * `next` dials candidates never measured first, in the order we heard of them (everyone gets
 * measured once), then measured ones fastest first. Once connected, the observed rate takes
 * over: the request pipeline is sized by each peer's download rate and the choker reciprocates
 * by rate (requests.ts, choker/).
 *
 * Costs: add and every transition are O(1); `next` is O(ready) when only measured candidates
 * are ready (bounded by `candidatesMax`); `promote` walks the waiting set once per tick.
 */
import { addressKey, type Address } from '../../../core/address.js'
import { after, type Duration, type Instant } from '../../../core/time.js'
import type { PeerSourceKind } from './events.js'

/** Where we heard of an address; `incoming` is an inbound peer's announced listen port. */
export type CandidateSource = PeerSourceKind | 'incoming'

export type CandidateState = 'ready' | 'waiting' | 'connecting' | 'connected'

export interface Candidate {
  readonly address: Address
  readonly key: string
  readonly source: CandidateSource
  state: CandidateState
  /** Consecutive failed connects. */
  failures: number
  retryAt: Instant
  /** The peer had every piece when we last saw it: useless to a seed. */
  seed: boolean
  /** When the last outbound connect to it started. */
  dialedAt: Instant
  /** Round-trip time measured by the last successful connect, ms; undefined until then. */
  rttMs: number | undefined
}

export interface CandidateOptions {
  readonly candidatesMax: number
  readonly connectAttemptsMax: number
  readonly reconnectDelay: Duration
  readonly reconnectDelayMax: Duration
  readonly redialDelay: Duration
}

export class Candidates {
  private readonly byKey = new Map<string, Candidate>()
  /** Insertion-ordered: the first key is the next to dial. */
  private readonly ready = new Set<string>()
  private readonly waiting = new Set<string>()

  constructor(private readonly options: CandidateOptions) {}

  get size(): number {
    return this.byKey.size
  }

  get readyCount(): number {
    return this.ready.size
  }

  get(key: string): Candidate | undefined {
    return this.byKey.get(key)
  }

  /** A new address to dial; false when known already or the table is full. */
  add(address: Address, source: CandidateSource, now: Instant): boolean {
    const key = addressKey(address)
    if (this.byKey.has(key) || this.byKey.size >= this.options.candidatesMax) return false
    const candidate: Candidate = {
      address: { host: address.host, port: address.port },
      key,
      source,
      state: 'ready',
      failures: 0,
      retryAt: now,
      seed: false,
      dialedAt: now,
      rttMs: undefined,
    }
    this.byKey.set(key, candidate)
    this.ready.add(key)
    return true
  }

  /**
   * The next candidate to dial, now `connecting`, or undefined. With `skipSeeds`, known seeds
   * go back to waiting instead (a seed has nothing to give a seed). Bounded by the ready set.
   */
  next(now: Instant, skipSeeds: boolean): Candidate | undefined {
    for (;;) {
      const candidate = this.pick()
      if (candidate === undefined) return undefined
      this.ready.delete(candidate.key)
      if (skipSeeds && candidate.seed) {
        this.wait(candidate, after(now, this.options.redialDelay))
        continue
      }
      candidate.state = 'connecting'
      candidate.dialedAt = now
      return candidate
    }
  }

  /** An outbound connect to `key` completed: one round trip since it was dialled. */
  measured(key: string, now: Instant): void {
    const candidate = this.byKey.get(key)
    if (candidate === undefined || candidate.state !== 'connecting') return
    candidate.rttMs = now - candidate.dialedAt
  }

  /** The first never-measured ready candidate, else the ready one with the lowest RTT. */
  private pick(): Candidate | undefined {
    let best: Candidate | undefined
    for (const key of this.ready) {
      const candidate = this.byKey.get(key) as Candidate
      if (candidate.rttMs === undefined) return candidate
      if (best === undefined || candidate.rttMs < (best.rttMs as number)) best = candidate
    }
    return best
  }

  /** Marks the address connected (an inbound peer's listen address too); adds it if room. */
  connected(address: Address, source: CandidateSource, now: Instant): void {
    const key = addressKey(address)
    if (!this.byKey.has(key)) this.add(address, source, now)
    const candidate = this.byKey.get(key)
    if (candidate === undefined) return
    this.ready.delete(key)
    this.waiting.delete(key)
    candidate.state = 'connected'
    candidate.failures = 0
  }

  /** A connect failed (or the connection broke before the handshake): back off or forget. */
  failed(key: string, now: Instant): void {
    const candidate = this.byKey.get(key)
    if (candidate === undefined) return
    candidate.failures++
    if (candidate.failures >= this.options.connectAttemptsMax) return this.remove(key)
    const { reconnectDelay, reconnectDelayMax } = this.options
    const delay = Math.min(reconnectDelayMax, reconnectDelay * 2 ** (candidate.failures - 1))
    this.wait(candidate, after(now, delay as Duration))
  }

  /** An established connection ended: dial again after `redialDelay`. */
  disconnected(key: string, now: Instant, seed: boolean): void {
    const candidate = this.byKey.get(key)
    if (candidate === undefined) return
    candidate.seed = seed
    this.wait(candidate, after(now, this.options.redialDelay))
  }

  /** Not dialled now (its host has all the connections it may have): try again later. */
  postpone(key: string, now: Instant): void {
    const candidate = this.byKey.get(key)
    if (candidate !== undefined) this.wait(candidate, after(now, this.options.redialDelay))
  }

  remove(key: string): void {
    this.byKey.delete(key)
    this.ready.delete(key)
    this.waiting.delete(key)
  }

  /** Forgets every address of `host` (a ban). O(candidates). */
  removeHost(host: string): void {
    for (const candidate of [...this.byKey.values()]) {
      if (candidate.address.host === host) this.remove(candidate.key)
    }
  }

  /** Moves candidates whose back-off has passed to the ready set. O(waiting). */
  promote(now: Instant): void {
    for (const key of this.waiting) {
      const candidate = this.byKey.get(key) as Candidate
      if (candidate.retryAt > now) continue
      this.waiting.delete(key)
      candidate.state = 'ready'
      this.ready.add(key)
    }
  }

  private wait(candidate: Candidate, retryAt: Instant): void {
    this.ready.delete(candidate.key)
    candidate.state = 'waiting'
    candidate.retryAt = retryAt
    this.waiting.add(candidate.key)
  }
}
