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
 * Aggressive (libtorrent's `dht_aggressive_lookups`): alpha bounds the queries in flight among
 * the k closest only, not all of them. When a reply names closer nodes, the queries still out
 * to nodes that fell out of the k closest no longer hold them back: the new ones are asked at
 * once, instead of a round later.
 *
 * Hops: seeds (from our table) have depth 0, a node named in a reply from a node at depth d
 * has depth d + 1. The lookup's hop count is depth + 1 of the closest node that answered: the
 * number of request/response rounds on the path that found it.
 */
import { addressKey, type Address } from '../../core/address.js'
import { compareDistance, equalIds, type Id160 } from '../../core/id.js'
import type { DhtConfig } from './config.js'
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
  /** When it was queried (the `now` given to `next`). */
  queriedAt?: number
}

export interface HopStats {
  readonly depth: number
  queried: number
  responded: number
}

export class LookupState {
  /** Sorted by XOR distance to the target, closest first. */
  private readonly candidates: Candidate[] = []
  /** The same candidates by address key: replies are matched by key, once per response. */
  private readonly byKey = new Map<string, Candidate>()
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
    private readonly aggressive = false,
  ) {}

  /** A lookup for `target` with the node's k, alpha, candidate cap and lookup policy. */
  static forConfig(target: Id160, config: DhtConfig, ownId: Id160): LookupState {
    const { alpha, lookupCandidatesMax, aggressiveLookups, routing } = config
    return new LookupState(target, routing.k, alpha, lookupCandidatesMax, ownId, aggressiveLookups)
  }

  /** Adds nodes found at `depth`, skipping ourselves and nodes already known. */
  add(nodes: readonly NodeInfo[], depth: number): void {
    const candidates = this.candidates
    for (const node of nodes) {
      if (this.ownId !== undefined && equalIds(node.id, this.ownId)) continue
      const key = addressKey(node.address)
      if (this.byKey.has(key)) continue
      let at = candidates.length
      let order = -1
      while (at > 0) {
        order = compareDistance(this.target, node.id, (candidates[at - 1] as Candidate).id)
        if (order >= 0) break
        at--
      }
      // Sorted by distance, a candidate with the same id would sit just before `at`.
      if (at > 0 && order === 0) continue
      if (at >= this.candidatesMax) continue
      const candidate: Candidate = { id: node.id, address: node.address, key, depth, state: 'new' }
      candidates.splice(at, 0, candidate)
      this.byKey.set(key, candidate)
      this.trim()
    }
  }

  /**
   * Candidates to query now (marked in flight, stamped with `now`), at most `limit`, with at
   * most alpha in flight: in all, or (aggressive) among the k closest.
   */
  next(limit = Infinity, now?: number): Candidate[] {
    const out: Candidate[] = []
    let seen = 0
    // Aggressive: the queries in flight above the first new candidate, within the k closest.
    let busy = 0
    for (const c of this.candidates) {
      if (out.length >= limit || seen >= this.k) break
      if (!this.aggressive && this.inflightCount >= this.alpha) break
      if (c.state === 'failed') continue
      seen++
      if (c.state === 'inflight' && c.slow !== true) busy++
      if (c.state !== 'new') continue
      if (this.aggressive && busy >= this.alpha) break
      c.state = 'inflight'
      if (now !== undefined) c.queriedAt = now
      busy++
      this.inflightCount++
      this.outstanding++
      this.contacted++
      this.hopAt(c.depth).queried++
      out.push(c)
    }
    return out
  }

  /**
   * The node at `key` answered with id `id` (undefined: take the candidate's). An answer with
   * another id than the one we were told (the address's node restarted with a new id, or the
   * name was wrong) proves the told id is not there: that candidate is dropped, and the node
   * that answered takes its place under its own id, so the lookup never returns a node that
   * does not exist and still finds the one that does.
   */
  responded(key: string, token?: Uint8Array, id?: Id160): Candidate | undefined {
    const told = this.settle(key, 'responded')
    if (told === undefined) return undefined
    const c = id === undefined || equalIds(id, told.id) ? told : this.rekey(told, id)
    this.hopAt(told.depth).responded++
    if (c !== undefined && token !== undefined) c.token = token
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
    const c = this.byKey.get(key)
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

  /** When the closest node that answered was first queried (undefined: none, or unstamped). */
  closestQueriedAt(): number | undefined {
    return this.candidates.find((c) => c.state === 'responded')?.queriedAt
  }

  depthOf(key: string): number | undefined {
    return this.byKey.get(key)?.depth
  }

  private settle(key: string, state: 'responded' | 'failed'): Candidate | undefined {
    const c = this.byKey.get(key)
    if (c === undefined || c.state !== 'inflight') return undefined
    c.state = state
    if (c.slow !== true) this.inflightCount--
    this.outstanding--
    return c
  }

  /**
   * Replaces the answered candidate `told` by one with the id the node gave, at its place by
   * distance; undefined when that id is already a candidate (at another address) or falls
   * beyond the cap. The address stays known, so it is not queried again.
   */
  private rekey(told: Candidate, id: Id160): Candidate | undefined {
    const candidates = this.candidates
    candidates.splice(candidates.indexOf(told), 1)
    let at = candidates.length
    let order = -1
    while (at > 0) {
      order = compareDistance(this.target, id, (candidates[at - 1] as Candidate).id)
      if (order >= 0) break
      at--
    }
    const own = this.ownId !== undefined && equalIds(id, this.ownId)
    if ((at > 0 && order === 0) || at >= this.candidatesMax || own) {
      told.state = 'failed'
      return undefined
    }
    const c: Candidate = { ...told, id, state: 'responded' }
    candidates.splice(at, 0, c)
    this.byKey.set(told.key, c)
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
      const c = this.candidates[i] as Candidate
      if (c.state === 'inflight') continue
      this.candidates.splice(i, 1)
      this.byKey.delete(c.key)
    }
  }
}
