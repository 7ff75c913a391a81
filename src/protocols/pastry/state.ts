import { addressKey, sameAddress } from '../../core/address.js'
import {
  clockwiseFraction,
  closer,
  idFraction,
  DIGITS,
  digitAt,
  ringDistance,
  sharedPrefix,
  type PastryId,
} from './id.js'
import type { PastryRef } from './messages.js'

/**
 * A Pastry node's three tables (paper, section 2.1): the leaf set (the L/2 numerically
 * closest smaller and L/2 larger ids), the routing table (row l holds nodes sharing l digits
 * with us, one per value of digit l, the nearest by RTT when several are known) and the
 * neighbourhood set (the M nodes nearest by RTT). RTTs are measured by the node and passed in.
 */
export class PastryState {
  private smaller: PastryRef[] = []
  private larger: PastryRef[] = []
  /**
   * Each leaf's distance from this node (counter-clockwise for `smaller`, clockwise for
   * `larger`), index for index: every offered node is compared with a side's members, and
   * recomputing their fractions each time was a tenth of a 10,000-node run.
   */
  private smallerDistance: number[] = []
  private largerDistance: number[] = []
  /** This node's own id as a fraction of the ring (asked for at every offer). */
  private readonly selfFraction: number
  /**
   * Row l of the routing table, made when first needed: only about log16 N + 1 rows ever hold
   * an entry, and 32 rows of 16 slots for each of 100,000 nodes were half a GiB.
   */
  private readonly rows = new Array<(PastryRef | undefined)[] | undefined>(DIGITS)
  private near: PastryRef[] = []
  /** The ids in `near`: every offer asks whether a node is already there. */
  private readonly nearIds = new Set<PastryId>()
  readonly rtt = new Map<PastryId, number>()

  constructor(
    readonly self: PastryRef,
    readonly leafSize: number,
    readonly nearSize: number,
  ) {
    this.selfFraction = idFraction(self.id)
  }

  /** The routing table, 32 rows of 16 slots (rows never used come back empty). */
  get table(): readonly (readonly (PastryRef | undefined)[])[] {
    return Array.from(
      { length: DIGITS },
      (_, l) => this.rows[l] ?? new Array<PastryRef | undefined>(16),
    )
  }

  /** The number of routing-table entries. */
  tableEntries(): number {
    let count = 0
    for (const row of this.rows) {
      if (row !== undefined) for (const r of row) if (r !== undefined) count++
    }
    return count
  }

  private slots(l: number): (PastryRef | undefined)[] {
    let row = this.rows[l]
    if (row === undefined) {
      row = new Array<PastryRef | undefined>(16)
      this.rows[l] = row
    }
    return row
  }

  get leaves(): PastryRef[] {
    return [...this.smaller, ...this.larger]
  }

  get neighbourhood(): readonly PastryRef[] {
    return this.near
  }

  row(l: number): PastryRef[] {
    return (this.rows[l] ?? []).filter((r): r is PastryRef => r !== undefined)
  }

  /** Every node known, once each. */
  known(): PastryRef[] {
    const out = new Map<PastryId, PastryRef>()
    for (const r of this.leaves) out.set(r.id, r)
    for (const row of this.rows) {
      if (row !== undefined) for (const r of row) if (r !== undefined) out.set(r.id, r)
    }
    for (const r of this.near) out.set(r.id, r)
    return [...out.values()]
  }

  /** Offers a node to every table; returns true if any kept it. */
  consider(ref: PastryRef): boolean {
    if (ref.id === this.self.id) return false
    let kept = this.considerLeaf(ref)
    const l = sharedPrefix(this.self.id, ref.id)
    if (l < DIGITS) {
      const row = this.slots(l)
      const d = digitAt(ref.id, l)
      const current = row[d]
      if (current === undefined) {
        row[d] = ref
        kept = true
      } else if (current.id === ref.id) {
        // The same node again (a decoded copy): keep the object we hold unless it moved, so
        // that every table shares one ref a node instead of a copy per message.
        if (!sameAddress(current.address, ref.address)) row[d] = ref
        kept = true
      } else if ((this.rtt.get(ref.id) ?? Infinity) < (this.rtt.get(current.id) ?? Infinity)) {
        // Proximity: of two nodes fit for a slot, keep the one nearer by measured RTT.
        row[d] = ref
        kept = true
      }
    }
    const rtt = this.rtt.get(ref.id)
    if (rtt !== undefined && !this.nearIds.has(ref.id) && this.nearFits(rtt)) {
      // Inserted after every member at most as far: the order a stable sort of the set with
      // the newcomer pushed last would give.
      let at = this.near.length
      while (at > 0 && (this.rtt.get((this.near[at - 1] as PastryRef).id) ?? Infinity) > rtt) at--
      this.near.splice(at, 0, ref)
      this.nearIds.add(ref.id)
      kept = true
      if (this.near.length > this.nearSize) {
        const dropped = this.near.pop() as PastryRef
        this.nearIds.delete(dropped.id)
      }
    }
    return kept
  }

  /** Would a node at `rtt` enter the neighbourhood set (not full, or nearer than its farthest)? */
  private nearFits(rtt: number): boolean {
    const last = this.near[this.near.length - 1]
    return this.near.length < this.nearSize || last === undefined
      ? true
      : rtt < (this.rtt.get(last.id) ?? Infinity)
  }

  private considerLeaf(ref: PastryRef): boolean {
    // No closures or copies: this runs for every node offered (every ping, pong and announce),
    // and was a quarter of a 2,000-node run's CPU when it rebuilt and sorted both sides.
    const id = ref.id
    let inLarger = false
    for (const r of this.larger) if (r.id === id) inLarger = true
    let inSmaller = false
    for (const r of this.smaller) if (r.id === id) inSmaller = true
    const fraction = idFraction(id)
    const mine = this.selfFraction
    const up = fraction >= mine ? fraction - mine : fraction - mine + 1
    const down = mine >= fraction ? mine - fraction : mine - fraction + 1
    const intoLarger = !inLarger && this.place(this.larger, this.largerDistance, ref, up)
    const intoSmaller = !inSmaller && this.place(this.smaller, this.smallerDistance, ref, down)
    return !(inLarger || inSmaller) && (intoLarger || intoSmaller)
  }

  /**
   * Puts `ref` at distance `d` into one side of the leaf set (kept in order of distance, at most
   * L/2), after every member at most as far; returns whether it stayed.
   */
  private place(side: PastryRef[], distances: number[], ref: PastryRef, d: number): boolean {
    const half = this.leafSize / 2
    let at = side.length
    while (at > 0 && (distances[at - 1] as number) > d) at--
    if (at >= half) return false
    side.splice(at, 0, ref)
    distances.splice(at, 0, d)
    if (side.length > half) {
      side.pop()
      distances.pop()
    }
    return true
  }

  /**
   * The node holding the routing-table slot `ref` would take, when it is another node: then
   * the two are candidates for one slot, and only then is an RTT needed to choose (proximity).
   */
  slotHolder(ref: PastryRef): PastryRef | undefined {
    const l = sharedPrefix(this.self.id, ref.id)
    if (l >= DIGITS) return undefined
    const current = this.rows[l]?.[digitAt(ref.id, l)]
    return current === undefined || current.id === ref.id ? undefined : current
  }

  /** Has either side of the leaf set fewer than L/2 members (a gap to repair, or a small net)? */
  leafGap(): boolean {
    const half = this.leafSize / 2
    return this.smaller.length < half || this.larger.length < half
  }

  /** The nearest leaf on each side: the two a heartbeat asks for their leaf sets. */
  adjacentLeaves(): PastryRef[] {
    const out: PastryRef[] = []
    if (this.smaller[0] !== undefined) out.push(this.smaller[0])
    if (this.larger[0] !== undefined && this.larger[0].id !== this.smaller[0]?.id)
      out.push(this.larger[0])
    return out
  }

  /** Forgets a node (it failed); returns the routing-table row it left a hole in, if any. */
  remove(id: PastryId): number | undefined {
    this.smallerDistance = this.smallerDistance.filter((_, i) => this.smaller[i]?.id !== id)
    this.smaller = this.smaller.filter((r) => r.id !== id)
    this.largerDistance = this.largerDistance.filter((_, i) => this.larger[i]?.id !== id)
    this.larger = this.larger.filter((r) => r.id !== id)
    this.near = this.near.filter((r) => r.id !== id)
    this.nearIds.delete(id)
    this.rtt.delete(id)
    const l = sharedPrefix(this.self.id, id)
    if (l >= DIGITS) return undefined
    const row = this.rows[l]
    const d = digitAt(id, l)
    if (row === undefined || row[d]?.id !== id) return undefined
    row[d] = undefined
    return l
  }

  /** Is `key` within the leaf set's range (or is the leaf set the whole network)? */
  private coversKey(key: PastryId): boolean {
    const half = this.leafSize / 2
    if (this.smaller.length < half || this.larger.length < half) return true
    const me = this.self.id
    const right = this.larger[this.larger.length - 1] as PastryRef
    const left = this.smaller[this.smaller.length - 1] as PastryRef
    return (
      clockwiseFraction(me, key) <= clockwiseFraction(me, right.id) ||
      clockwiseFraction(key, me) <= clockwiseFraction(left.id, me)
    )
  }

  /**
   * The routing step (paper, figure 3): within the leaf set, the numerically closest node;
   * else the routing-table entry sharing one more digit; else any known node that shares as
   * long a prefix and is numerically closer. `undefined` means this node is the destination.
   */
  nextHop(key: PastryId, skip: (ref: PastryRef) => boolean): PastryRef | undefined {
    const me = this.self.id
    if (this.coversKey(key)) {
      let best: PastryRef | undefined
      for (const r of this.leaves) {
        if (skip(r)) continue
        if (best === undefined ? closer(key, r.id, me) : closer(key, r.id, best.id)) best = r
      }
      return best
    }
    const l = sharedPrefix(me, key)
    if (l >= DIGITS) return undefined
    const entry = this.rows[l]?.[digitAt(key, l)]
    if (entry !== undefined && !skip(entry)) return entry
    let best: PastryRef | undefined
    for (const r of this.known()) {
      if (skip(r) || sharedPrefix(r.id, key) < l) continue
      if (best === undefined ? closer(key, r.id, me) : closer(key, r.id, best.id)) best = r
    }
    return best
  }

  size(): number {
    return this.known().length
  }
}

export const refKey = (ref: PastryRef): string => addressKey(ref.address)
export { ringDistance }
