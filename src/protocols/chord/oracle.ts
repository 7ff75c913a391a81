import type { ChordState } from './node.js'
import type { NodeRef } from './messages.js'
import type { Ring } from './ring.js'

/**
 * The central truth a distributed Chord must agree with: every live node, sorted by id. It
 * answers successor(k), predecessor(n) and the whole stabilized state of a node (successor list,
 * predecessor, fingers), by binary search. Tests check nodes against it; simulators use it to
 * build a large ring already stabilized, as the paper's own simulator does.
 */
export class RingOracle {
  private readonly sorted: NodeRef[]

  constructor(
    readonly ring: Ring,
    nodes: readonly NodeRef[],
  ) {
    this.sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  get size(): number {
    return this.sorted.length
  }

  get nodes(): readonly NodeRef[] {
    return this.sorted
  }

  /** Index of the first node with id >= k, wrapping to 0. */
  private indexAtOrAfter(k: bigint): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.sorted[mid] as NodeRef).id < k) lo = mid + 1
      else hi = mid
    }
    return lo === this.sorted.length ? 0 : lo
  }

  /** successor(k): the first node clockwise from k, k included. */
  successor(k: bigint): NodeRef {
    return this.sorted[this.indexAtOrAfter(k)] as NodeRef
  }

  /** The r nodes following node n (n excluded). */
  successorsOf(n: bigint, r: number): NodeRef[] {
    const out: NodeRef[] = []
    let i = this.indexAtOrAfter(this.ring.add(n, 1n))
    for (let c = 0; c < Math.min(r, this.sorted.length - 1); c++) {
      out.push(this.sorted[i] as NodeRef)
      i = (i + 1) % this.sorted.length
    }
    return out
  }

  /** The node just before n (n excluded), or undefined when n is alone. */
  predecessorOf(n: bigint): NodeRef | undefined {
    if (this.sorted.length < 2) return undefined
    // The node at i is n itself or the first after n: either way its predecessor is n's.
    const i = this.indexAtOrAfter(n)
    return this.sorted[(i - 1 + this.sorted.length) % this.sorted.length] as NodeRef
  }

  /** The stabilized state of node n: what stabilize, notify and fix_fingers converge to. */
  stateOf(n: bigint, r: number): ChordState {
    const fingers: (NodeRef | undefined)[] = []
    let current: NodeRef | undefined
    let reach = -1n
    for (let i = 1; i <= this.ring.bits; i++) {
      const start = this.ring.fingerStart(n, i)
      const d = this.ring.distance(n, start)
      if (d > reach) {
        current = this.successor(start)
        reach = current.id === n ? this.ring.size : this.ring.distance(n, current.id)
      }
      fingers.push(current?.id === n ? undefined : current)
    }
    const predecessor = this.predecessorOf(n)
    return {
      ...(predecessor === undefined || predecessor.id === n ? {} : { predecessor }),
      successors: this.successorsOf(n, r),
      fingers,
    }
  }
}
