import { type Address, sameAddress } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import { PASTRY_LIMITS } from './codec.js'
import { idFromBytes, type PastryId, sharedPrefix } from './id.js'
import type { PastryAction, PastryMessage, PastryRef } from './messages.js'
import type { Op, OpKind } from './node-types.js'
import { PastryNodeState } from './node-state.js'

/**
 * Prefix routing, asked hop by hop by the originator (a silent hop is avoided and the previous
 * one asked again), and the outcome of each operation. The second layer of `PastryNode`.
 */
export abstract class PastryRouting extends PastryNodeState {
  /** Takes a node into the tables (membership). */
  protected abstract learn(now: Instant, ref: PastryRef, measure?: boolean): void
  /** A node failed (membership). */
  protected abstract forget(now: Instant, id: PastryId): void
  /** Puts, gets or removes an item held here (storage). */
  protected abstract applyData(
    action: PastryAction,
    key: Uint8Array,
    value?: Uint8Array,
  ): { status: 'ok' | 'not_found'; value?: Uint8Array }

  /**
   * Makes this node a client that never joins: each operation is first routed by `gateway`
   * (any member) and continues from the hop it names.
   */
  useGateway(gateway: Address): void {
    this.gateway = gateway
  }

  /** `id` is a 128-bit id (16 bytes); longer input is cut, shorter is zero-padded. */
  lookup(now: Instant, id: Uint8Array): number {
    return this.lookupId(now, idFromBytes(id))
  }

  lookupId(now: Instant, key: PastryId): number {
    const op = this.newOp('lookup', key)
    this.route(now, op)
    return op.handle
  }

  protected onRoute(from: Address, m: Extract<PastryMessage, { type: 'route' }>): void {
    if (!this.isJoined) return
    const skip = (r: PastryRef): boolean =>
      sameAddress(r.address, from) || m.avoid.some((a) => sameAddress(a, r.address))
    const next = this.state.nextHop(m.key, skip)
    const l = Math.min(sharedPrefix(this.id, m.key), 31)
    this.send(from, {
      type: 'route_reply',
      tx: m.tx,
      status: next === undefined ? 'owner' : 'next',
      node: next ?? { id: this.id, address: this.self },
      row: m.join ? this.state.row(l) : [],
      leaves: m.join ? this.state.leaves : [],
      near: m.join ? this.state.neighbourhood.slice(0, PASTRY_LIMITS.refs) : [],
    })
  }

  protected newOp(kind: OpKind, key: PastryId, dataKey?: Uint8Array, value?: Uint8Array): Op {
    const op: Op = {
      handle: this.nextHandle++,
      kind,
      key,
      hops: [],
      messages: 0,
      attempts: 0,
      avoid: [],
      ...(dataKey === undefined ? {} : { dataKey }),
      ...(value === undefined ? {} : { value }),
    }
    this.ops.set(op.handle, op)
    return op
  }

  protected route(now: Instant, op: Op): void {
    const gateway = this.gateway
    if (!this.isJoined && op.kind !== 'join' && gateway !== undefined) {
      delete op.previous
      if (op.avoid.some((a) => sameAddress(a, gateway))) return this.fail(op, 'timeout')
      return this.ask(now, op, { id: '', address: gateway } as PastryRef)
    }
    const next = this.state.nextHop(op.key, (r) => op.avoid.some((a) => sameAddress(a, r.address)))
    delete op.previous
    if (next === undefined) this.arrive(now, op, { id: this.id, address: this.self })
    else this.ask(now, op, next)
  }

  protected ask(now: Instant, op: Op, node: PastryRef): void {
    if (op.hops.length >= this.config.maxHops) return this.fail(op, 'too_many_hops')
    const hop = { node: node.address, ...(node.id === '' ? {} : { id: node.id }), sentAt: now }
    const join = op.kind === 'join'
    op.messages++
    this.request(
      now,
      node.address,
      (tx) => ({
        type: 'route',
        tx,
        key: op.key,
        join,
        avoid: op.avoid.slice(-PASTRY_LIMITS.avoid),
      }),
      (at, reply) => {
        if (reply.type !== 'route_reply') return this.fail(op, 'bad_reply')
        op.hops.push({
          ...hop,
          answeredAt: at,
          outcome: reply.status === 'owner' ? 'owner' : 'next',
        })
        if (join) this.absorb(at, reply, op.hops.length === 1)
        if (reply.status === 'owner')
          return this.arrive(at, op, { ...reply.node, address: node.address })
        if (sameAddress(reply.node.address, this.self)) {
          if (join) return this.fail(op, 'id_taken')
          return this.route(at, op)
        }
        if (op.hops.some((h) => sameAddress(h.node, reply.node.address))) {
          op.avoid.push(reply.node.address)
          if (++op.attempts > this.config.attempts) return this.fail(op, 'loop')
          return this.ask(at, op, node)
        }
        op.previous = node
        this.ask(at, op, reply.node)
      },
      (at) => {
        op.hops.push({ ...hop, outcome: 'timeout' })
        op.avoid.push(node.address)
        if (node.id !== '') this.forget(at, node.id)
        if (++op.attempts > this.config.attempts) return this.fail(op, 'timeout')
        const previous = op.previous
        if (previous === undefined) {
          if (join) return this.fail(op, 'timeout')
          return this.route(at, op)
        }
        this.ask(at, op, previous)
      },
    )
  }

  /**
   * Join: take the state the hops hand back (rows, leaves). The first hop is the nearby node:
   * its neighbourhood set becomes ours, ordered by RTTs we measure (the paper's join).
   */
  protected absorb(
    now: Instant,
    reply: Extract<PastryMessage, { type: 'route_reply' }>,
    first: boolean,
  ): void {
    const learned = [...reply.row, ...reply.leaves]
    if (reply.status === 'owner') learned.push(reply.node)
    for (const r of learned) if (!sameAddress(r.address, this.self)) this.learn(now, r)
    if (!first) return
    for (const r of reply.near) if (!sameAddress(r.address, this.self)) this.learn(now, r, true)
  }

  protected arrive(now: Instant, op: Op, owner: PastryRef): void {
    if (op.kind === 'lookup') return this.finish(op, true, { owner })
    if (op.kind === 'join') {
      this.learn(now, owner)
      this.isJoined = true
      this.ops.delete(op.handle)
      // Tell every node in our state that we exist; they take us into theirs.
      for (const r of this.state.known()) {
        this.maintenanceSent++
        this.send(r.address, { type: 'announce', id: this.id })
      }
      return
    }
    if (sameAddress(owner.address, this.self)) {
      return this.finishData(op, owner, this.applyData(op.kind, op.dataKey as Uint8Array, op.value))
    }
    op.messages++
    this.request(
      now,
      owner.address,
      (tx) => ({
        type: 'data',
        tx,
        action: op.kind as PastryAction,
        key: op.dataKey as Uint8Array,
        ...(op.value === undefined ? {} : { value: op.value }),
      }),
      (_at, reply) => {
        if (reply.type !== 'data_reply') return this.fail(op, 'bad_reply')
        this.finishData(op, owner, {
          status: reply.status,
          ...(reply.value === undefined ? {} : { value: reply.value }),
        })
      },
      (at) => {
        op.hops.push({ node: owner.address, id: owner.id, sentAt: at, outcome: 'timeout' })
        this.fail(op, 'timeout')
      },
    )
  }

  protected finishData(
    op: Op,
    owner: PastryRef,
    answer: { status: 'ok' | 'not_found'; value?: Uint8Array },
  ): void {
    if (answer.status === 'not_found') return this.finish(op, false, { owner, error: 'not_found' })
    this.finish(op, true, {
      owner,
      stored: 1,
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  protected fail(op: Op, error: string): void {
    this.finish(op, false, { error })
  }

  protected finish(
    op: Op,
    ok: boolean,
    extra: { owner?: PastryRef; value?: Uint8Array; stored?: number; error?: string },
  ): void {
    if (!this.ops.delete(op.handle) || op.kind === 'join') return
    this.emit({
      type: 'op_done',
      handle: op.handle,
      kind: op.kind,
      ok,
      ...(extra.owner === undefined ? {} : { owner: extra.owner }),
      ...(extra.value === undefined ? {} : { value: extra.value }),
      ...(extra.stored === undefined ? {} : { stored: extra.stored }),
      ...(extra.error === undefined ? {} : { error: extra.error }),
      trace: { hops: op.hops, messages: op.messages },
    })
  }
}
