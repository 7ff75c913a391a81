/**
 * Max-min fair rates by progressive filling (Bertsekas & Gallager, "Data Networks", 6.5.2).
 *
 * Every flow crosses exactly two resources: its sender's upload and its receiver's download.
 * All flows grow at the same pace; when a resource runs out, the flows through it freeze at
 * the share they reached, and the others keep growing. Equivalently: repeatedly take the
 * resource whose fair share (remaining capacity / unfrozen flows) is smallest, give that share
 * to its unfrozen flows, and charge them to their other resource.
 *
 * A lazy min-heap of resources keyed by share makes it O((F + R) log R) for F flows over R
 * resources: each flow freezes once and updates one other resource's entry.
 */

export interface FairShareProblem {
  /** Capacity of each resource, bytes per second; all positive. */
  readonly capacity: ArrayLike<number>
  /** The two resources of each flow; `first[f] !== second[f]`. */
  readonly first: ArrayLike<number>
  readonly second: ArrayLike<number>
}

/** Rates per flow, in the capacity's units, written into `rates` (length >= flows). */
export function maxMinFairShare(problem: FairShareProblem, rates: Float64Array): void {
  const { capacity, first, second } = problem
  const resources = capacity.length
  const flows = first.length
  // Scratch reused across calls: the simulator solves small problems very often, and fresh
  // typed arrays per call made allocation and GC a large share of a big swarm's run time.
  const s = scratchFor(resources, flows)
  const { remaining, unfrozen, start, fill, members, frozen, version, heap } = s
  for (let r = 0; r < resources; r++) {
    remaining[r] = capacity[r] as number
    unfrozen[r] = 0
    version[r] = 0
  }
  frozen.fill(0, 0, flows)
  heap.size = 0
  for (let f = 0; f < flows; f++) {
    const a = first[f] as number
    const b = second[f] as number
    unfrozen[a] = (unfrozen[a] as number) + 1
    unfrozen[b] = (unfrozen[b] as number) + 1
  }
  // Flows grouped by resource (compressed sparse rows): a flow appears under both resources.
  start[0] = 0
  for (let r = 0; r < resources; r++) {
    start[r + 1] = (start[r] as number) + (unfrozen[r] as number)
    fill[r] = start[r] as number
  }
  for (let f = 0; f < flows; f++) {
    const a = first[f] as number
    const b = second[f] as number
    members[fill[a] as number] = f
    fill[a] = (fill[a] as number) + 1
    members[fill[b] as number] = f
    fill[b] = (fill[b] as number) + 1
  }
  for (let r = 0; r < resources; r++) {
    const count = unfrozen[r] as number
    if (count > 0) heap.push((remaining[r] as number) / count, r, 0)
  }
  // Shares taken from the heap never decrease; clamping to the last one absorbs rounding.
  let floor = 0
  while (heap.size > 0) {
    const r = heap.topResource()
    const stale = heap.topVersion() !== version[r] || unfrozen[r] === 0
    let share = heap.topShare()
    heap.pop()
    if (stale) continue
    if (share < floor) share = floor
    floor = share
    for (let i = start[r] as number; i < (start[r + 1] as number); i++) {
      const f = members[i] as number
      if (frozen[f] === 1) continue
      frozen[f] = 1
      rates[f] = share
      const other = first[f] === r ? (second[f] as number) : (first[f] as number)
      remaining[other] = (remaining[other] as number) - share
      const left = (unfrozen[other] as number) - 1
      const next = (version[other] as number) + 1
      unfrozen[other] = left
      version[other] = next
      if (left > 0) heap.push(Math.max(0, remaining[other] as number) / left, other, next)
    }
    unfrozen[r] = 0
  }
}

interface Scratch {
  readonly resources: number
  readonly flows: number
  readonly remaining: Float64Array
  readonly unfrozen: Int32Array
  readonly start: Int32Array
  readonly fill: Int32Array
  readonly members: Int32Array
  readonly frozen: Uint8Array
  readonly version: Int32Array
  readonly heap: ShareHeap
}

let scratch: Scratch | undefined

/** Scratch arrays at least this big (doubling, so a run allocates O(log size) times). */
function scratchFor(resources: number, flows: number): Scratch {
  const have = scratch
  if (have !== undefined && have.resources >= resources && have.flows >= flows) return have
  const r = Math.max(64, resources, 2 * (have?.resources ?? 0))
  const f = Math.max(64, flows, 2 * (have?.flows ?? 0))
  scratch = {
    resources: r,
    flows: f,
    remaining: new Float64Array(r),
    unfrozen: new Int32Array(r),
    start: new Int32Array(r + 1),
    fill: new Int32Array(r),
    members: new Int32Array(2 * f),
    frozen: new Uint8Array(f),
    version: new Int32Array(r),
    heap: new ShareHeap(r),
  }
  return scratch
}

/** A binary min-heap of (share, resource, version) in flat arrays; stale entries stay. */
class ShareHeap {
  private shares: Float64Array
  private resources: Int32Array
  private versions: Int32Array
  size = 0

  constructor(capacity: number) {
    const initial = Math.max(16, capacity * 2)
    this.shares = new Float64Array(initial)
    this.resources = new Int32Array(initial)
    this.versions = new Int32Array(initial)
  }

  topShare(): number {
    return this.shares[0] as number
  }

  topResource(): number {
    return this.resources[0] as number
  }

  topVersion(): number {
    return this.versions[0] as number
  }

  push(share: number, resource: number, version: number): void {
    if (this.size === this.shares.length) this.grow()
    let hole = this.size++
    while (hole > 0) {
      const parent = (hole - 1) >> 1
      if ((this.shares[parent] as number) <= share) break
      this.move(parent, hole)
      hole = parent
    }
    this.shares[hole] = share
    this.resources[hole] = resource
    this.versions[hole] = version
  }

  pop(): void {
    const last = --this.size
    if (last <= 0) return
    const share = this.shares[last] as number
    const resource = this.resources[last] as number
    const version = this.versions[last] as number
    let hole = 0
    for (;;) {
      let child = 2 * hole + 1
      if (child >= last) break
      if (child + 1 < last && (this.shares[child + 1] as number) < (this.shares[child] as number)) {
        child++
      }
      if (share <= (this.shares[child] as number)) break
      this.move(child, hole)
      hole = child
    }
    this.shares[hole] = share
    this.resources[hole] = resource
    this.versions[hole] = version
  }

  private move(from: number, to: number): void {
    this.shares[to] = this.shares[from] as number
    this.resources[to] = this.resources[from] as number
    this.versions[to] = this.versions[from] as number
  }

  private grow(): void {
    const shares = new Float64Array(this.shares.length * 2)
    const resources = new Int32Array(this.shares.length * 2)
    const versions = new Int32Array(this.shares.length * 2)
    shares.set(this.shares)
    resources.set(this.resources)
    versions.set(this.versions)
    this.shares = shares
    this.resources = resources
    this.versions = versions
  }
}
