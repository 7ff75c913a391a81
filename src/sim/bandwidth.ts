import { maxMinFairShare } from './fair-share.js'
import type { Flow } from './flow.js'
import type { NetHost } from './net-host.js'
import type { NetworkCounters } from './network.js'
import type { Scheduler } from './scheduler.js'

/**
 * Shares each host's upload and download capacity among the active stream flows, max-min fair
 * (see fair-share.ts), and keeps the shares current as flows start and stop.
 *
 * Incremental: a change marks the two hosts of the flow dirty, and one reallocation per instant
 * (or per `quantumMs`) recomputes only the connected components of the flow graph that contain a
 * dirty host: a breadth-first walk from the dirty hosts' resources over active flows. Flows in
 * untouched components keep their rates and their pending chunk completions.
 *
 * Cost per reallocation: O((F + R) log R) for the F flows and R resources of the touched
 * components, plus one event reschedule per flow whose rate changed. In a 1,000-peer swarm
 * where everyone trades with everyone the component is the swarm: a few thousand active flows,
 * well under a millisecond per reallocation. `quantumMs` bounds how often that can happen.
 */
export class BandwidthAllocator {
  private dirty: NetHost[] = []
  /** Marks hosts already in `dirty`; bumped after each reallocation. */
  private round = 1
  /** Marks flows and resources seen by the current walk. */
  private epoch = 0
  private scheduled = false

  constructor(
    private readonly scheduler: Scheduler,
    private readonly quantumMs: number,
    private readonly counters: NetworkCounters,
  ) {}

  /** The flow has a chunk to send: give it a share (at the next reallocation). */
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
    flow.rate = 0
    removeAt(flow.srcHost.upFlows, flow.upSlot, true)
    removeAt(flow.dstHost.downFlows, flow.downSlot, false)
    flow.upSlot = -1
    flow.downSlot = -1
    this.touch(flow)
  }

  private touch(flow: Flow): void {
    this.markDirty(flow.srcHost)
    this.markDirty(flow.dstHost)
    if (this.scheduled) return
    this.scheduled = true
    const now = this.scheduler.now()
    const at = this.quantumMs > 0 ? Math.ceil(now / this.quantumMs) * this.quantumMs : now
    this.scheduler.schedule(at, reallocate, this)
  }

  private markDirty(host: NetHost): void {
    if (host.dirtyEpoch === this.round) return
    host.dirtyEpoch = this.round
    this.dirty.push(host)
  }

  /** Recomputes the shares of every flow connected to a dirty host. */
  reallocate(): void {
    this.scheduled = false
    const seeds = this.dirty
    this.dirty = []
    this.round++
    const epoch = ++this.epoch
    const hosts: NetHost[] = []
    const isUpload: boolean[] = []
    const flows: Flow[] = []
    const visit = (host: NetHost, upload: boolean): void => {
      if (upload ? host.upEpoch === epoch : host.downEpoch === epoch) return
      const list = upload ? host.upFlows : host.downFlows
      if (list === undefined || list.length === 0) return
      if (upload) {
        host.upEpoch = epoch
        host.upLocal = hosts.length
      } else {
        host.downEpoch = epoch
        host.downLocal = hosts.length
      }
      hosts.push(host)
      isUpload.push(upload)
    }
    for (const host of seeds) {
      visit(host, true)
      visit(host, false)
    }
    // The walk: `hosts` doubles as the queue, bounded by the resources that have active flows.
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i] as NetHost
      const upload = isUpload[i] as boolean
      const list = (upload ? host.upFlows : host.downFlows) as Flow[]
      for (const flow of list) {
        if (flow.epoch === epoch) continue
        flow.epoch = epoch
        flow.localIndex = flows.length
        flows.push(flow)
        if (upload) visit(flow.dstHost, false)
        else visit(flow.srcHost, true)
      }
    }
    if (flows.length === 0) return
    this.solve(hosts, isUpload, flows)
  }

  private solve(hosts: readonly NetHost[], isUpload: readonly boolean[], flows: Flow[]): void {
    const capacity = new Float64Array(hosts.length)
    for (let r = 0; r < hosts.length; r++) {
      const host = hosts[r] as NetHost
      capacity[r] = isUpload[r] ? host.uploadBytesPerSecond : host.downloadBytesPerSecond
    }
    const first = new Int32Array(flows.length)
    const second = new Int32Array(flows.length)
    for (let f = 0; f < flows.length; f++) {
      const flow = flows[f] as Flow
      first[f] = flow.srcHost.upLocal
      second[f] = flow.dstHost.downLocal
    }
    const rates = new Float64Array(flows.length)
    maxMinFairShare({ capacity, first, second }, rates)
    this.counters.bandwidthReallocations++
    this.counters.bandwidthFlowsVisited += flows.length
    for (let f = 0; f < flows.length; f++) (flows[f] as Flow).setRate(rates[f] as number)
  }
}

function reallocate(allocator: BandwidthAllocator): void {
  allocator.reallocate()
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
