import { addressKey, sameAddress, type Address } from '../../core/address.js'
import {
  isRelayedPair,
  pairKey,
  pairPriority,
  type Candidate,
  type CandidateBase,
} from './candidate.js'
import type { ConnectionReport } from './events.js'

export type PairState = 'waiting' | 'in-progress' | 'succeeded' | 'failed'

export interface Pair {
  readonly key: string
  readonly local: Candidate
  readonly remote: Candidate
  readonly priority: bigint
  state: PairState
  /** Controlled side: select as soon as a check succeeds (USE-CANDIDATE already seen). */
  nominateOnSuccess: boolean
  transmissions: number
  rttMs: number | undefined
}

/** A check received before the checks started: answered at once, acted on once they start. */
export interface PendingRequest {
  readonly base: CandidateBase
  readonly from: Address
  readonly priority: number
  readonly useCandidate: boolean
}

/**
 * The remote candidate a check came from (section 7.3.1.3): a known one, else a new
 * peer-reflexive candidate with the request's PRIORITY, added to `candidates`.
 */
export function remoteCandidateFor(candidates: Candidate[], request: PendingRequest): Candidate {
  const known = candidates.find((c) => sameAddress(c.address, request.from))
  if (known !== undefined) return known
  const learnt: Candidate = {
    type: 'prflx',
    address: request.from,
    base: 'host',
    priority: request.priority,
    foundation: `prflx-${addressKey(request.from)}`,
  }
  candidates.push(learnt)
  return learnt
}

/**
 * RFC 8445's check list: the candidate pairs by (base, remote address) and the triggered-check
 * queue. The pair order is by priority, where the controlling agent's candidate counts as G.
 */
export class CheckList {
  private readonly pairs = new Map<string, Pair>()
  private readonly triggered: Pair[] = []

  constructor(private readonly controlling: boolean) {}

  has(key: string): boolean {
    return this.pairs.has(key)
  }

  get(key: string): Pair | undefined {
    return this.pairs.get(key)
  }

  hasDirect(): boolean {
    for (const p of this.pairs.values()) if (!isRelayedPair(p.local, p.remote)) return true
    return false
  }

  pairFor(local: Candidate, remote: Candidate): Pair {
    const key = pairKey(local.base, remote.address)
    let pair = this.pairs.get(key)
    if (pair === undefined) {
      const [g, d] = this.controlling
        ? [local.priority, remote.priority]
        : [remote.priority, local.priority]
      pair = {
        key,
        local,
        remote,
        priority: pairPriority(g, d),
        state: 'waiting',
        nominateOnSuccess: false,
        transmissions: 0,
        rttMs: undefined,
      }
      this.pairs.set(key, pair)
    }
    return pair
  }

  trigger(pair: Pair): void {
    this.triggered.push(pair)
  }

  /**
   * The next pair to check: a triggered one first, else the best waiting one; with
   * `directOnly` (upgrading a relayed session) relayed pairs are passed over.
   */
  next(directOnly = false): Pair | undefined {
    const wanted = (p: Pair): boolean => !directOnly || !isRelayedPair(p.local, p.remote)
    let pair = this.triggered.shift()
    while (pair !== undefined && (pair.state === 'failed' || !wanted(pair))) {
      pair = this.triggered.shift()
    }
    if (pair !== undefined) return pair
    let best: Pair | undefined
    for (const candidate of this.pairs.values()) {
      if (candidate.state !== 'waiting' || !wanted(candidate)) continue
      if (best === undefined || candidate.priority > best.priority) best = candidate
    }
    return best
  }

  /** The pair to nominate: a direct success before any relayed one, then by priority. */
  bestSucceeded(): Pair | undefined {
    let best: Pair | undefined
    for (const pair of this.pairs.values()) {
      if (pair.state !== 'succeeded') continue
      const direct = !isRelayedPair(pair.local, pair.remote)
      const bestDirect = best !== undefined && !isRelayedPair(best.local, best.remote)
      if (
        best === undefined ||
        (direct && !bestDirect) ||
        (direct === bestDirect && pair.priority > best.priority)
      ) {
        best = pair
      }
    }
    return best
  }

  someRelayedSucceeded(): boolean {
    for (const pair of this.pairs.values()) {
      if (pair.state === 'succeeded' && isRelayedPair(pair.local, pair.remote)) return true
    }
    return false
  }

  someDirectPending(): boolean {
    for (const p of this.pairs.values()) {
      const pending = p.state === 'waiting' || p.state === 'in-progress'
      if (pending && !isRelayedPair(p.local, p.remote)) return true
    }
    return false
  }

  /** Upgrading: direct pairs that failed get another round of checks. */
  retryFailedDirect(): boolean {
    let any = false
    for (const p of this.pairs.values()) {
      if (p.state === 'failed' && !isRelayedPair(p.local, p.remote)) {
        p.state = 'waiting'
        any = true
      }
    }
    return any
  }

  /** Falling back: every direct pair counts as failed until checked again. */
  failDirect(): void {
    for (const p of this.pairs.values()) {
      if (!isRelayedPair(p.local, p.remote)) p.state = 'failed'
    }
  }

  /** A pair that may still succeed, or has. */
  someAlive(): boolean {
    for (const p of this.pairs.values()) if (p.state !== 'failed') return true
    return false
  }
}

/** The selection as the agent reports it: which path, and what it took to get there. */
export const connectionReport = (
  role: ConnectionReport['role'],
  pair: Pair,
  checksSent: number,
  elapsedMs: number,
): ConnectionReport => ({
  role,
  path: isRelayedPair(pair.local, pair.remote) ? 'relayed' : 'direct',
  transport: 'udp',
  localType: pair.local.type,
  remoteType: pair.remote.type,
  remote: pair.remote.address,
  checksSent,
  pairTransmissions: pair.transmissions,
  elapsedMs,
  rttMs: pair.rttMs ?? 0,
})
