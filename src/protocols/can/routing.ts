import { type Address, sameAddress } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import { CAN_LIMITS } from './codec.js'
import type { CanMessage, CanNodeInfo, DataAction } from './messages.js'
import { distanceToCentre, distanceToZone, type Point } from './zone.js'
import type { DataAnswer, Op, OpKind } from './node-types.js'
import { CanNodeState } from './node-state.js'

/**
 * Greedy routing: each hop names the neighbour whose zone lies closest to the point; the
 * originator asks hop after hop, backing up one hop around a silent node. The second layer of
 * `CanNode`.
 */
export abstract class CanRouting extends CanNodeState {
  /** The owner of a joining node's point was found: ask it to split (membership). */
  protected abstract askToJoin(now: Instant, op: Op, owner: CanNodeInfo): void
  /** Puts, gets or removes an item held here (storage). */
  protected abstract applyData(action: DataAction, key: Uint8Array, value?: Uint8Array): DataAnswer

  /**
   * Makes this node a client that never joins: each operation starts at `gateway` (any
   * member) and goes on greedily from the neighbours each hop names.
   */
  useGateway(gateway: Address): void {
    this.gateway = gateway
  }

  lookup(now: Instant, id: Uint8Array): number {
    return this.lookupPoint(now, this.pointOf(id))
  }

  lookupPoint(now: Instant, point: Point): number {
    const op = this.newOp('lookup', point)
    this.route(now, op)
    return op.handle
  }

  /** The neighbour whose zone lies closest to `point` (ties: zone centre, then id). */
  protected closest(point: Point, avoid: readonly Address[]): CanNodeInfo | undefined {
    const dims = this.config.dims
    let best: CanNodeInfo | undefined
    let bestZone = Infinity
    let bestCentre = Infinity
    for (const n of this.neighbours.values()) {
      if (avoid.some((a) => sameAddress(a, n.info.address))) continue
      let zone = Infinity
      let centre = Infinity
      for (const z of n.info.zones) {
        zone = Math.min(zone, distanceToZone(z, dims, point))
        centre = Math.min(centre, distanceToCentre(z, dims, point))
      }
      const better =
        zone < bestZone ||
        (zone === bestZone && centre < bestCentre) ||
        (zone === bestZone && centre === bestCentre && best !== undefined && n.info.id < best.id)
      if (best === undefined || better) {
        best = n.info
        bestZone = zone
        bestCentre = centre
      }
    }
    return best
  }

  protected onRoute(from: Address, m: Extract<CanMessage, { type: 'route' }>): void {
    if (m.point.length !== this.config.dims) {
      this.dropped++
      return
    }
    if (this.owns(m.point)) {
      this.send(from, { type: 'route_reply', tx: m.tx, status: 'owner', node: this.info() })
      return
    }
    const next = this.joined ? this.closest(m.point, [...m.avoid, from]) : undefined
    this.send(
      from,
      next === undefined
        ? { type: 'route_reply', tx: m.tx, status: 'none' }
        : { type: 'route_reply', tx: m.tx, status: 'next', node: next },
    )
  }

  protected newOp(kind: OpKind, point: Point, key?: Uint8Array, value?: Uint8Array): Op {
    const op: Op = {
      handle: this.nextHandle++,
      kind,
      point,
      hops: [],
      messages: 0,
      attempts: 0,
      avoid: [],
      ...(key === undefined ? {} : { key }),
      ...(value === undefined ? {} : { value }),
      ...(kind === 'join' || this.gateway === undefined ? {} : { entry: this.gateway }),
    }
    this.ops.set(op.handle, op)
    return op
  }

  /** Takes the next step of `op` from this node's own table. */
  protected route(now: Instant, op: Op): void {
    if (op.kind !== 'join' && this.owns(op.point)) {
      this.arrive(now, op, this.info())
      return
    }
    const next = this.joined ? this.closest(op.point, op.avoid) : undefined
    if (next !== undefined) {
      delete op.previous
      this.ask(now, op, next)
    } else if (
      op.entry !== undefined &&
      !op.avoid.some((a) => sameAddress(a, op.entry as Address))
    ) {
      delete op.previous
      this.ask(now, op, { address: op.entry, id: '', zones: [] })
    } else this.fail(op, 'no_route')
  }

  protected ask(now: Instant, op: Op, node: CanNodeInfo): void {
    if (op.hops.length >= this.config.maxHops) {
      this.fail(op, 'too_many_hops')
      return
    }
    const hop = { node: node.address, ...(node.id === '' ? {} : { id: node.id }), sentAt: now }
    op.messages++
    this.request(
      now,
      node.address,
      (tx) => ({ type: 'route', tx, point: op.point, avoid: op.avoid.slice(-CAN_LIMITS.avoid) }),
      (at, reply) => {
        if (reply.type !== 'route_reply') return this.fail(op, 'bad_reply')
        const outcome =
          reply.status === 'owner' ? 'owner' : reply.status === 'next' ? 'next' : 'error'
        op.hops.push({ ...hop, answeredAt: at, outcome })
        if (reply.status === 'owner' && reply.node !== undefined) {
          this.arrive(at, op, { ...reply.node, address: node.address })
        } else if (reply.status === 'next' && reply.node !== undefined) {
          if (sameAddress(reply.node.address, this.self)) return this.route(at, op)
          if (op.hops.some((h) => sameAddress(h.node, (reply.node as CanNodeInfo).address))) {
            // A loop through stale neighbour news: ask the same hop again, around the repeat.
            op.avoid.push(reply.node.address)
            if (++op.attempts > this.config.attempts) return this.fail(op, 'loop')
            return this.ask(at, op, node)
          }
          op.previous = { ...node, id: node.id }
          this.ask(at, op, reply.node)
        } else this.fail(op, 'no_route')
      },
      (at) => {
        op.hops.push({ ...hop, outcome: 'timeout' })
        op.avoid.push(node.address)
        if (++op.attempts > this.config.attempts) return this.fail(op, 'timeout')
        const previous = op.previous
        if (previous === undefined) this.route(at, op)
        else {
          // Ask the hop that pointed here again, now avoiding the silent one.
          this.ask(at, op, previous)
        }
      },
    )
  }

  /** The owner of the point is known: finish a lookup, act on a key, or join. */
  protected arrive(now: Instant, op: Op, owner: CanNodeInfo): void {
    if (op.kind === 'lookup') return this.finish(op, true, { owner })
    if (op.kind === 'join') return this.askToJoin(now, op, owner)
    if (sameAddress(owner.address, this.self)) {
      const answer = this.applyData(op.kind, op.key as Uint8Array, op.value)
      return this.finishData(op, owner, answer)
    }
    op.messages++
    this.request(
      now,
      owner.address,
      (tx) => ({
        type: 'data',
        tx,
        action: op.kind as DataAction,
        key: op.key as Uint8Array,
        ...(op.value === undefined ? {} : { value: op.value }),
      }),
      (at, reply) => {
        if (reply.type !== 'data_reply') return this.fail(op, 'bad_reply')
        if (reply.status === 'not_owner') return this.retry(at, op, owner.address)
        this.finishData(op, owner, {
          status: reply.status,
          stored: reply.stored,
          ...(reply.value === undefined ? {} : { value: reply.value }),
        })
      },
      (at) => {
        op.hops.push({ node: owner.address, sentAt: at, outcome: 'timeout' })
        this.retry(at, op, owner.address)
      },
    )
  }

  /** Ownership moved under the operation (a split, a takeover): route again. */
  protected retry(now: Instant, op: Op, from: Address): void {
    // A join may meet many concurrent joins at one owner: it keeps trying longer.
    const budget = op.kind === 'join' ? 8 * this.config.attempts : this.config.attempts
    if (++op.attempts > budget) return this.fail(op, 'ownership_moved')
    delete op.previous
    this.ask(now, op, { address: from, id: '', zones: [] })
  }

  protected finishData(op: Op, owner: CanNodeInfo, answer: DataAnswer): void {
    if (answer.status === 'not_owner') return this.fail(op, 'not_owner')
    if (answer.status === 'not_found') return this.finish(op, false, { owner, error: 'not_found' })
    this.finish(op, true, {
      owner,
      stored: answer.stored,
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  protected fail(op: Op, error: string): void {
    this.finish(op, false, { error })
  }

  protected finish(
    op: Op,
    ok: boolean,
    extra: { owner?: CanNodeInfo; value?: Uint8Array; stored?: number; error?: string },
  ): void {
    if (!this.ops.delete(op.handle)) return
    if (op.kind === 'join') {
      if (!ok) {
        this.joinsRefused++
        this.lastJoinError = extra.error ?? 'refused'
      }
      return
    }
    this.emit({
      type: 'op_done',
      handle: op.handle,
      kind: op.kind,
      ok,
      ...(extra.owner === undefined
        ? {}
        : { owner: { address: extra.owner.address, id: extra.owner.id } }),
      ...(extra.value === undefined ? {} : { value: extra.value }),
      ...(extra.stored === undefined ? {} : { stored: extra.stored }),
      ...(extra.error === undefined ? {} : { error: extra.error }),
      trace: { hops: op.hops, messages: op.messages },
    })
  }
}
