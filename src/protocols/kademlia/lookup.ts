/**
 * The iterative lookup of Kademlia as a pure state machine, in the shape of rust-libp2p's
 * iterators: `next` says whom to query, `responded` / `failed` feed outcomes back. It knows no
 * sockets, clocks or messages, so it is tested against a scripted network.
 *
 * Termination (closest-k): among the candidates not known to have failed, take the k closest;
 * the lookup is done when every one of them has answered. While one of them is new, it is
 * queried (closest first, at most alpha in flight); while one is in flight, we wait. A node in
 * flight that has since dropped out of the k closest does not hold the lookup up.
 *
 * Hops: seeds (from our table) have depth 0, a node named in a reply from a node at depth d
 * has depth d + 1. The lookup's hop count is depth + 1 of the closest node that answered: the
 * number of request/response rounds on the path that found it.
 */
import { addressKey, type Address } from '../../core/address.js'
import { compareDistance, equalIds, type Id160 } from '../../core/id.js'
import type { NodeInfo } from './messages.js'

export type CandidateState = 'new' | 'inflight' | 'responded' | 'failed'

export interface Candidate {
  readonly id: Id160
  readonly address: Address
  readonly key: string
  readonly depth: number
  state: CandidateState
  /** In flight past the short timeout: no longer counted against alpha (libtorrent's widening). */
  slow?: boolean
  /** The write token it gave (get_peers, get), for announce_peer and put. */
  token?: Uint8Array
}

export interface HopStats {
  readonly depth: number
  queried: number
  responded: number
}

export class LookupState {
  /** Sorted by XOR distance to the target, closest first. */
  private readonly candidates: Candidate[] = []
  /** Queries in flight that count against alpha (not slow). */
  private inflightCount = 0
  /** Every query in flight, slow ones included. */
  private outstanding = 0
  readonly hops: HopStats[] = []
  contacted = 0

  constructor(
    readonly target: Id160,
    private readonly k: number,
    private readonly alpha: number,
    private readonly candidatesMax: number,
    private readonly ownId?: Id160,
  ) {}

  /** Adds nodes found at `depth`, skipping ourselves and nodes already known. */
  add(nodes: readonly NodeInfo[], depth: number): void {
    for (const node of nodes) {
      if (this.ownId !== undefined && equalIds(node.id, this.ownId)) continue
      const key = addressKey(node.address)
      if (this.candidates.some((c) => c.key === key || equalIds(c.id, node.id))) continue
      const candidate: Candidate = { id: node.id, address: node.address, key, depth, state: 'new' }
      let at = this.candidates.length
      while (
        at > 0 &&
        compareDistance(this.target, node.id, (this.candidates[at - 1] as Candidate).id) < 0
      ) {
        at--
      }
      if (at >= this.candidatesMax) continue
      this.candidates.splice(at, 0, candidate)
      this.trim()
    }
  }

  /** Candidates to query now (marked in flight), at most `limit` and alpha in flight. */
  next(limit = Infinity): Candidate[] {
    const out: Candidate[] = []
    let seen = 0
    for (const c of this.candidates) {
      if (this.inflightCount >= this.alpha || out.length >= limit || seen >= this.k) break
      if (c.state === 'failed') continue
      seen++
      if (c.state !== 'new') continue
      c.state = 'inflight'
      this.inflightCount++
      this.outstanding++
      this.contacted++
      this.hopAt(c.depth).queried++
      out.push(c)
    }
    return out
  }

  responded(key: string, token?: Uint8Array): Candidate | undefined {
    const c = this.settle(key, 'responded')
    if (c === undefined) return undefined
    if (token !== undefined) c.token = token
    this.hopAt(c.depth).responded++
    return c
  }

  failed(key: string): void {
    this.settle(key, 'failed')
  }

  /** True when the k closest candidates not failed have all answered. */
  done(): boolean {
    let seen = 0
    for (const c of this.candidates) {
      if (seen >= this.k) break
      if (c.state === 'failed') continue
      seen++
      if (c.state !== 'responded') return false
    }
    return true
  }

  /** Every query in flight, slow ones included. */
  get inflight(): number {
    return this.outstanding
  }

  /**
   * libtorrent's short timeout: the query to `key` is taking long; it stays in flight (an answer
   * still counts, and termination still waits for it) but frees its alpha slot, so the lookup
   * widens instead of stalling behind a slow node. True when it freed a slot.
   */
  stall(key: string): boolean {
    const c = this.candidates.find((x) => x.key === key)
    if (c === undefined || c.state !== 'inflight' || c.slow === true) return false
    c.slow = true
    this.inflightCount--
    return true
  }

  /** The k closest that answered, closest first. */
  closestResponded(count = this.k): Candidate[] {
    return this.candidates.filter((c) => c.state === 'responded').slice(0, count)
  }

  /** depth + 1 of the closest node that answered; 0 when none did. */
  hopCount(): number {
    const best = this.candidates.find((c) => c.state === 'responded')
    return best === undefined ? 0 : best.depth + 1
  }

  depthOf(key: string): number | undefined {
    return this.candidates.find((c) => c.key === key)?.depth
  }

  private settle(key: string, state: 'responded' | 'failed'): Candidate | undefined {
    const c = this.candidates.find((x) => x.key === key)
    if (c === undefined || c.state !== 'inflight') return undefined
    c.state = state
    if (c.slow !== true) this.inflightCount--
    this.outstanding--
    return c
  }

  private hopAt(depth: number): HopStats {
    while (this.hops.length <= depth)
      this.hops.push({ depth: this.hops.length, queried: 0, responded: 0 })
    return this.hops[depth] as HopStats
  }

  /** Beyond the cap, forget the farthest candidates that are not in flight. */
  private trim(): void {
    for (
      let i = this.candidates.length - 1;
      i >= 0 && this.candidates.length > this.candidatesMax;
      i--
    ) {
      if ((this.candidates[i] as Candidate).state !== 'inflight') this.candidates.splice(i, 1)
    }
  }
}
