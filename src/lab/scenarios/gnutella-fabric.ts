/**
 * A fixed-latency stream fabric for large Gnutella runs: the production `Servent` (any
 * `StreamCore`) driven directly on the simulator's `Scheduler`, without simulated hosts, TCP
 * segments, windows or bandwidth. Each pair of addresses has one fixed latency (a number for
 * all, or a function): a connect completes in one round trip, bytes written arrive one latency
 * later in the order written, a close reaches the far end one latency later; `crash` kills a
 * servent (its neighbours see resets). What it leaves out (congestion, backpressure, loss)
 * plays no part in a flood's reach or message count, and dropping it makes 100,000 servents
 * fit in memory and minutes (docs/protocols/gnutella.md, "Simulator performance"). The `tcp`
 * fabric (SimWorld) stays the reference.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { ConnectionId, StreamCloseReason, StreamCore } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import type { Scheduler } from '../../sim/scheduler.js'

/** One end of a connection: its node, the id its core gave it, and the end it talks to. */
interface End {
  readonly node: FabricNode
  /** Undefined until the core has named it (a dialler's id exists from `connect`). */
  readonly id: ConnectionId
  peer: End | undefined
  open: boolean
}

interface Delivery {
  readonly to: End
  readonly bytes: Uint8Array
}

interface Closing {
  readonly to: End
  readonly reason: StreamCloseReason
}

interface Dial {
  readonly from: End
  readonly fromAddress: Address
  readonly to: Address
}

class FabricNode {
  readonly ends = new Map<ConnectionId, End>()
  /** The instant the pending timer event fires at, and its generation (stale ones are skipped). */
  timerAt: number | undefined
  timerGeneration = 0
  flushing = false
  /** Crashed: its outputs and timers are ignored, its ends are closed. */
  dead = false

  constructor(
    readonly fabric: StreamFabric,
    readonly core: StreamCore<unknown>,
    readonly address: Address,
    readonly onEvent: (event: unknown) => void,
  ) {}
}

const deliver = (d: Delivery): void => {
  const { to } = d
  if (!to.open || to.node.dead) return
  const node = to.node
  node.core.received(node.fabric.now(), to.id, d.bytes)
  node.fabric.flush(node)
}

const closeArrives = (c: Closing): void => {
  const { to } = c
  if (!to.open || to.node.dead) return
  to.open = false
  to.node.ends.delete(to.id)
  to.node.core.closed(to.node.fabric.now(), to.id, c.reason)
  to.node.fabric.flush(to.node)
}

const connectedArrives = (from: End): void => {
  if (!from.open || from.node.dead) return
  from.node.core.connected(from.node.fabric.now(), from.id, from.node.address)
  from.node.fabric.flush(from.node)
}

const refusedArrives = (from: End): void => {
  if (!from.open || from.node.dead) return
  from.open = false
  from.node.ends.delete(from.id)
  from.node.core.connectFailed(from.node.fabric.now(), from.id, 'refused')
  from.node.fabric.flush(from.node)
}

const dialArrives = (dial: Dial): void => {
  const fabric = dial.from.node.fabric
  if (!dial.from.open || dial.from.node.dead) return
  const target = fabric.listening.get(addressKey(dial.to))
  const back = fabric.now() + fabric.latency(dial.to, dial.fromAddress)
  if (target === undefined) {
    fabric.scheduler.schedule(back, refusedArrives, dial.from)
    return
  }
  const id = target.core.accepted(fabric.now(), dial.fromAddress, target.address)
  const accepted: End = { node: target, id, peer: dial.from, open: true }
  dial.from.peer = accepted
  target.ends.set(id, accepted)
  // Scheduled before the acceptor's first bytes, so the dialler is connected when they arrive.
  fabric.scheduler.schedule(back, connectedArrives, dial.from)
  fabric.flush(target)
}

const timerFires = (context: { node: FabricNode; generation: number }): void => {
  const { node } = context
  if (node.timerGeneration !== context.generation || node.dead) return
  node.timerAt = undefined
  node.core.timeout(node.fabric.now())
  node.fabric.flush(node)
}

export interface FabricHandle {
  /** Runs the core's queued outputs (call after a core command). */
  flush(): void
}

export class StreamFabric {
  readonly listening = new Map<string, FabricNode>()

  /** One-way latency between two addresses, milliseconds: constant per pair (so FIFO). */
  readonly latency: (from: Address, to: Address) => number

  constructor(
    readonly scheduler: Scheduler,
    latencyMs: number | ((from: Address, to: Address) => number),
  ) {
    this.latency = typeof latencyMs === 'number' ? () => latencyMs : latencyMs
  }

  /**
   * The servent at `address` crashes: it stops listening, its timers and outputs are ignored,
   * and each far end sees a reset one latency later.
   */
  crash(address: Address): void {
    const node = this.listening.get(addressKey(address))
    if (node === undefined) return
    this.listening.delete(addressKey(address))
    node.dead = true
    for (const end of node.ends.values()) {
      end.open = false
      const peer = end.peer
      if (peer !== undefined)
        this.scheduler.schedule(
          this.now() + this.latency(address, peer.node.address),
          closeArrives,
          {
            to: peer,
            reason: 'reset',
          },
        )
    }
    node.ends.clear()
  }

  now(): Instant {
    return this.scheduler.now()
  }

  /** Adds a core listening at `address`; its events go to `onEvent`. */
  attach<Event>(
    core: StreamCore<Event>,
    address: Address,
    onEvent: (event: Event) => void,
  ): FabricHandle {
    const node = new FabricNode(
      this,
      core as StreamCore<unknown>,
      address,
      onEvent as (event: unknown) => void,
    )
    this.listening.set(addressKey(address), node)
    return { flush: () => this.flush(node) }
  }

  /** Not re-entrant per node: outputs leave in the order they were queued. */
  flush(node: FabricNode): void {
    if (node.flushing || node.dead) return
    node.flushing = true
    try {
      for (;;) {
        const outputs = node.core.takeOutputs()
        if (outputs.length === 0) break
        for (const output of outputs) this.perform(node, output)
      }
    } finally {
      node.flushing = false
    }
    this.armTimer(node)
  }

  private perform(
    node: FabricNode,
    output: ReturnType<StreamCore<unknown>['takeOutputs']>[number],
  ): void {
    switch (output.type) {
      case 'connect': {
        const from: End = { node, id: output.connection, peer: undefined, open: true }
        node.ends.set(output.connection, from)
        const dial: Dial = { from, fromAddress: node.address, to: output.to }
        this.scheduler.schedule(this.later(node, output.to), dialArrives, dial)
        return
      }
      case 'write': {
        const end = node.ends.get(output.connection)
        const peer = end?.peer
        if (peer === undefined) return
        const at = this.later(node, peer.node.address)
        this.scheduler.schedule(at, deliver, { to: peer, bytes: output.bytes })
        return
      }
      case 'close': {
        const end = node.ends.get(output.connection)
        if (end === undefined) return
        end.open = false
        node.ends.delete(output.connection)
        if (end.peer !== undefined)
          this.scheduler.schedule(this.later(node, end.peer.node.address), closeArrives, {
            to: end.peer,
            reason: output.graceful ? 'end' : 'reset',
          })
        return
      }
      case 'pause_reading':
      case 'resume_reading':
        // No receive windows here: a servent that pauses still gets what was sent.
        return
      case 'event':
        node.onEvent(output.event)
        return
    }
  }

  private later(node: FabricNode, to: Address): number {
    return this.now() + this.latency(node.address, to)
  }

  private armTimer(node: FabricNode): void {
    const at = node.core.nextTimeout()
    if (at === node.timerAt) return
    node.timerGeneration++
    node.timerAt = at
    if (at === undefined) return
    this.scheduler.schedule(at, timerFires, { node, generation: node.timerGeneration })
  }
}
