import { maxMinFairShare } from './fair-share.js'
import type { Flow } from './flow.js'
import type { NetHost } from './net-host.js'
import type { NetworkCounters } from './network.js'
import type { Scheduler } from './scheduler.js'

/**
 * Shares each host's upload and download capacity among the active stream flows, max-min fair
 * (see fair-share.ts), and keeps the shares current as flows start and stop.
 *
 * A change marks the flow's two resources dirty (its sender's upload and its receiver's
 * download); once per instant (or per settle quantum, when one is set) the allocator *settles*:
 * - it walks the flow graph from the dirty resources (breadth-first over active flows). When the
 *   connected component has at most `EXACT_COMPONENT_FLOWS_MAX` flows, it solves the component
 *   exactly, at once. Untouched components keep their rates and pending chunk completions.
 * - otherwise (a big swarm, where flows start and stop all the time) it solves only the flows
 *   of the dirty resources, within what the other flows leave of each resource (residual
 *   capacities, so no resource is ever oversubscribed), and schedules one exact pass over the
 *   touched components at the next multiple of `quantumMs`. Rates are then exact at most one
 *   quantum after any change, and between passes they are feasible and fair around the change.
 *   Hosts of a component found big skip the walk until an exact pass finds it small again.
 *
 * Cost: a settle is O(d log d) for the d flows at the dirty hosts (plus the bounded walk); an
 * exact pass is O((F + R) log R) for the F flows and R resources of the touched components,
 * plus one event reschedule per flow whose rate changed. A 1,000-peer swarm with 5,000
 * connections pays the exact pass at most once per quantum. `quantumMs` 0 makes every settle
 * exact, whatever the component's size.
 */

/** Components up to this many flows are solved exactly at every change. */
export const EXACT_COMPONENT_FLOWS_MAX = 512
const FLOWS_MAX = EXACT_COMPONENT_FLOWS_MAX

/** One side of a host: its upload or its download capacity. */
interface Resource {
  readonly host: NetHost
  readonly isUpload: boolean
}

/** The resources and flows of one walk or local neighbourhood, numbered locally. */
interface Problem {
  readonly hosts: NetHost[]
  readonly isUpload: boolean[]
  readonly flows: Flow[]
}

export class BandwidthAllocator {
  /** Resources changed since the last settle, and since the last exact pass. */
  private dirty: Resource[] = []
  private stale: Resource[] = []
  /** Marks resources already in `dirty` / `stale`; bumped when the list is taken. */
  private dirtyRound = 1
  private staleRound = 1
  /** Marks flows and resources seen by the current walk. */
  private epoch = 0
  private settleScheduled = false
  private exactScheduled = false
  private readonly scratch = new SolveScratch()

  constructor(
    private readonly scheduler: Scheduler,
    private readonly quantumMs: number,
    private readonly counters: NetworkCounters,
    /** Settles happen on multiples of this (0: at the instant of the change). */
    private readonly settleQuantumMs = 0,
  ) {}

  /** The flow has a chunk to send: give it a share (when the allocator settles, this instant). */
  activate(flow: Flow): void {
    if (flow.active) return
    flow.active = true
    flow.rate = 0
    const up = (flow.srcHost.upFlows ??= [])
    flow.upSlot = up.length
    up.push(flow)
    const down = (flow.dstHost.downFlows ??= [])
    flow.downSlot = down.length
    down.push(flow)
    this.touch(flow)
  }

  /** The flow has nothing to send (or is gone): its share goes back to the others. */
  deactivate(flow: Flow): void {
    if (!flow.active) return
    flow.active = false
    flow.srcHost.upAllocated -= flow.rate
    flow.dstHost.downAllocated -= flow.rate
    flow.rate = 0
    removeAt(flow.srcHost.upFlows, flow.upSlot, true)
    removeAt(flow.dstHost.downFlows, flow.downSlot, false)
    flow.upSlot = -1
    flow.downSlot = -1
    this.touch(flow)
  }

  private touch(flow: Flow): void {
    const round = this.dirtyRound
    const src = flow.srcHost
    if (src.upDirtyEpoch !== round) {
      src.upDirtyEpoch = round
      this.dirty.push({ host: src, isUpload: true })
    }
    const dst = flow.dstHost
    if (dst.downDirtyEpoch !== round) {
      dst.downDirtyEpoch = round
      this.dirty.push({ host: dst, isUpload: false })
    }
    if (this.settleScheduled) return
    this.settleScheduled = true
    const now = this.scheduler.now()
    const step = this.settleQuantumMs
    this.scheduler.schedule(step > 0 ? Math.ceil(now / step) * step : now, settle, this)
  }

  /** Once per instant (or quantum) with changes: exact for small components, local for big. */
  settle(): void {
    this.settleScheduled = false
    const seeds = this.dirty
    this.dirty = []
    this.dirtyRound++
    const exact = this.quantumMs === 0
    // A host known to sit in a big component skips the walk, which would only give up again.
    const big = !exact && seeds.some((seed) => seed.host.inBigComponent)
    const component = big ? undefined : this.walk(seeds, exact ? Infinity : FLOWS_MAX)
    if (component !== undefined) return this.solveExact(component)
    this.solveLocal(seeds)
    const round = this.staleRound
    for (const seed of seeds) {
      const host = seed.host
      if (seed.isUpload ? host.upStaleEpoch === round : host.downStaleEpoch === round) continue
      if (seed.isUpload) host.upStaleEpoch = round
      else host.downStaleEpoch = round
      this.stale.push(seed)
    }
    if (this.exactScheduled) return
    this.exactScheduled = true
    const now = this.scheduler.now()
    const at = (Math.floor(now / this.quantumMs) + 1) * this.quantumMs
    this.scheduler.schedule(at, exactPass, this)
  }

  /** The deferred exact pass over every component touched since the last one. */
  exactPass(): void {
    this.exactScheduled = false
    const seeds = this.stale
    this.stale = []
    this.staleRound++
    const component = this.walk(seeds, Infinity)
    if (component === undefined) return
    const big = component.flows.length > FLOWS_MAX
    for (const host of component.hosts) host.inBigComponent = big
    this.solveExact(component)
  }

  /**
   * The components reachable from `seeds` over active flows, or undefined when they hold more
   * than `flowsMax` flows. `hosts` doubles as the walk's queue.
   */
  private walk(seeds: readonly Resource[], flowsMax: number): Problem | undefined {
    const epoch = ++this.epoch
    const problem: Problem = { hosts: [], isUpload: [], flows: [] }
    for (const seed of seeds) this.visit(problem, seed.host, seed.isUpload, epoch)
    for (let i = 0; i < problem.hosts.length; i++) {
      const host = problem.hosts[i] as NetHost
      const upload = problem.isUpload[i] as boolean
      for (const flow of (upload ? host.upFlows : host.downFlows) as Flow[]) {
        if (flow.epoch === epoch) continue
        if (problem.flows.length >= flowsMax) {
          for (const seen of problem.hosts) seen.inBigComponent = true
          return undefined
        }
        flow.epoch = epoch
        problem.flows.push(flow)
        if (upload) this.visit(problem, flow.dstHost, false, epoch)
        else this.visit(problem, flow.srcHost, true, epoch)
      }
    }
    return problem
  }

  /** Adds a host's upload or download resource to the problem once, if it carries flows. */
  private visit(problem: Problem, host: NetHost, upload: boolean, epoch: number): void {
    if (upload ? host.upEpoch === epoch : host.downEpoch === epoch) return
    const list = upload ? host.upFlows : host.downFlows
    if (list === undefined || list.length === 0) return
    if (upload) {
      host.upEpoch = epoch
      host.upLocal = problem.hosts.length
    } else {
      host.downEpoch = epoch
      host.downLocal = problem.hosts.length
    }
    problem.hosts.push(host)
    problem.isUpload.push(upload)
  }

  /** A closed component: full capacities, and the allocated sums recomputed from scratch. */
  private solveExact(problem: Problem): void {
    if (problem.flows.length === 0) return
    const capacity = this.scratch.capacityFor(problem.hosts.length)
    for (let r = 0; r < problem.hosts.length; r++) {
      const host = problem.hosts[r] as NetHost
      capacity[r] = problem.isUpload[r] ? host.uploadBytesPerSecond : host.downloadBytesPerSecond
    }
    const rates = this.solve(problem, capacity)
    // The component is closed: every flow of its resources is here, so the sums restart.
    problem.hosts.forEach((host, r) => {
      if (problem.isUpload[r]) host.upAllocated = 0
      else host.downAllocated = 0
    })
    for (let f = 0; f < problem.flows.length; f++) {
      const flow = problem.flows[f] as Flow
      const rate = rates[f] as number
      flow.srcHost.upAllocated += rate
      flow.dstHost.downAllocated += rate
      flow.setRate(rate)
    }
  }

  /**
   * The flows of the changed resources, re-shared within what the other flows leave: each
   * resource's capacity minus the rates of its flows outside the neighbourhood.
   */
  private solveLocal(seeds: readonly Resource[]): void {
    const epoch = ++this.epoch
    const problem: Problem = { hosts: [], isUpload: [], flows: [] }
    // In seed order: the order the solver's ties depend on.
    for (const seed of seeds) {
      const flows = seed.isUpload ? seed.host.upFlows : seed.host.downFlows
      if (flows === undefined) continue
      for (let i = 0; i < flows.length; i++) {
        const flow = flows[i] as Flow
        if (flow.epoch === epoch) continue
        flow.epoch = epoch
        problem.flows.push(flow)
        this.visit(problem, flow.srcHost, true, epoch)
        this.visit(problem, flow.dstHost, false, epoch)
      }
    }
    const capacity = this.scratch.capacityFor(problem.hosts.length)
    for (let r = 0; r < problem.hosts.length; r++) {
      const host = problem.hosts[r] as NetHost
      capacity[r] = problem.isUpload[r]
        ? host.uploadBytesPerSecond - host.upAllocated
        : host.downloadBytesPerSecond - host.downAllocated
    }
    for (const flow of problem.flows) {
      capacity[flow.srcHost.upLocal] = (capacity[flow.srcHost.upLocal] as number) + flow.rate
      capacity[flow.dstHost.downLocal] = (capacity[flow.dstHost.downLocal] as number) + flow.rate
    }
    for (let r = 0; r < problem.hosts.length; r++) {
      capacity[r] = Math.max(0, capacity[r] as number)
    }
    const rates = this.solve(problem, capacity)
    for (let f = 0; f < problem.flows.length; f++) {
      const flow = problem.flows[f] as Flow
      const rate = rates[f] as number
      flow.srcHost.upAllocated += rate - flow.rate
      flow.dstHost.downAllocated += rate - flow.rate
      flow.setRate(rate)
    }
  }

  /** Rates per flow, in scratch that the next solve overwrites: read them at once. */
  private solve(problem: Problem, capacity: Float64Array): Float64Array {
    const { flows } = problem
    const { first, second, rates } = this.scratch.flowsFor(flows.length)
    for (let f = 0; f < flows.length; f++) {
      const flow = flows[f] as Flow
      // Numbered by `visit` during this walk (`upLocal` / `downLocal` are per-walk scratch).
      first[f] = flow.srcHost.upLocal
      second[f] = flow.dstHost.downLocal
    }
    maxMinFairShare(
      {
        capacity: capacity.subarray(0, problem.hosts.length),
        first: first.subarray(0, flows.length),
        second: second.subarray(0, flows.length),
      },
      rates,
    )
    this.counters.bandwidthReallocations++
    this.counters.bandwidthFlowsVisited += flows.length
    return rates
  }
}

/**
 * Per-solve arrays kept between solves (settles run once per instant or quantum with changes, so a big
 * swarm solves hundreds of thousands of times; fresh arrays each time cost more than the solve).
 */
class SolveScratch {
  private capacity = new Float64Array(64)
  private first = new Int32Array(64)
  private second = new Int32Array(64)
  private rates = new Float64Array(64)

  capacityFor(resources: number): Float64Array {
    if (this.capacity.length < resources) {
      this.capacity = new Float64Array(Math.max(resources, 2 * this.capacity.length))
    }
    return this.capacity
  }

  flowsFor(flows: number): { first: Int32Array; second: Int32Array; rates: Float64Array } {
    if (this.first.length < flows) {
      const size = Math.max(flows, 2 * this.first.length)
      this.first = new Int32Array(size)
      this.second = new Int32Array(size)
      this.rates = new Float64Array(size)
    }
    return { first: this.first, second: this.second, rates: this.rates }
  }
}

function settle(allocator: BandwidthAllocator): void {
  allocator.settle()
}

function exactPass(allocator: BandwidthAllocator): void {
  allocator.exactPass()
}

/** Swap-removes `list[slot]` and fixes the moved flow's slot. */
function removeAt(list: Flow[] | undefined, slot: number, upload: boolean): void {
  if (list === undefined || slot < 0) return
  const last = list.pop() as Flow
  if (slot >= list.length) return
  list[slot] = last
  if (upload) last.upSlot = slot
  else last.downSlot = slot
}
