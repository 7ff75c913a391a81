import { type Address, sameAddress } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { DatagramCore, Output } from '../../core/core.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent, OverlayHop, OverlayOpKind } from '../overlay/dht.js'
import { PASTRY_LIMITS } from './codec.js'
import { closer, idFromBytes, sharedPrefix, type PastryId } from './id.js'
import type { PastryAction, PastryMessage, PastryRef } from './messages.js'
import { PastryState } from './state.js'

export interface PastryConfig {
  /** Leaf set size L (L/2 each side). */
  readonly leafSize: number
  /** Neighbourhood set size M. */
  readonly nearSize: number
  /** Leaf-set liveness pings. */
  readonly heartbeatMs: number
  readonly requestTimeoutMs: number
  readonly attempts: number
  readonly maxHops: number
  /**
   * Copies of each key: the owner (the numerically closest node) and the `replicas - 1` leaves
   * closest to the key, as PAST keeps them. A crashed owner's keys are then already on the node
   * that becomes closest.
   */
  readonly replicas: number
}

export const DEFAULT_PASTRY_CONFIG: PastryConfig = {
  leafSize: 16,
  nearSize: 32,
  heartbeatMs: 30_000,
  requestTimeoutMs: 2_000,
  attempts: 4,
  maxHops: 64,
  replicas: 3,
}

export interface PastryDeps {
  readonly random: Random
  readonly hashing: Hashing
}

export interface PastryNodeOptions {
  readonly config?: PastryConfig
  readonly self: Address
  /** A fixed id (32 hex digits); random otherwise. */
  readonly id?: PastryId
}

interface Pending {
  readonly to: Address
  readonly deadline: Instant
  readonly onReply: (now: Instant, message: PastryMessage) => void
  readonly onTimeout: (now: Instant) => void
}

type OpKind = OverlayOpKind | 'join'

interface Stored {
  readonly key: Uint8Array
  readonly value: Uint8Array
  readonly id: PastryId
}

interface Op {
  readonly handle: number
  readonly kind: OpKind
  readonly key: PastryId
  readonly dataKey?: Uint8Array
  readonly value?: Uint8Array
  readonly hops: OverlayHop[]
  messages: number
  attempts: number
  readonly avoid: Address[]
  previous?: PastryRef
}

export interface PastryStats {
  readonly known: number
  readonly leaves: number
  readonly tableEntries: number
  readonly near: number
  readonly items: number
  readonly maintenanceSent: number
  readonly repairs: number
  readonly dropped: number
}

/**
 * A Pastry node (Rowstron and Druschel, Middleware 2001), sans-IO: 128-bit ids, b = 4,
 * prefix routing with a leaf set of L = 16 and a neighbourhood set of M = 32 by measured RTT,
 * which also decides between candidates for a routing-table slot (proximity). A new node
 * routes its own id through a nearby node and builds its tables from the rows, leaf set and
 * neighbourhood set the hops hand back. Leaf-set members are pinged every heartbeat; a silent
 * one is dropped and replaced from the others' leaf sets (carried in every pong), and a
 * routing-table hole is refilled from another entry of the same row.
 */
export class PastryNode implements DatagramCore<PastryMessage, OverlayEvent>, OverlayDht {
  readonly id: PastryId
  readonly state: PastryState
  private readonly config: PastryConfig
  private readonly self: Address
  private readonly hashing: Hashing
  private readonly random: Random
  private readonly pending = new Map<number, Pending>()
  private readonly ops = new Map<number, Op>()
  private readonly store = new Map<string, Stored>()
  /** Nodes with a ping in flight, so that learning a node twice probes it once. */
  private readonly probing = new Set<PastryId>()
  /**
   * Nodes we found dead, and when: others' leaf sets may still name them for a while, and
   * second-hand news must not bring them back (they return by speaking to us themselves).
   */
  private readonly failed = new Map<PastryId, Instant>()
  private outputs: Output<PastryMessage, OverlayEvent>[] = []
  private nextTx = 1
  private nextHandle = 1
  private nextHeartbeat: Instant
  private isJoined = false
  /** A node that never joins (a one-shot client) routes every operation through this one. */
  private gateway: Address | undefined
  private stopped = false
  private maintenanceSent = 0
  private repairs = 0
  private dropped = 0

  constructor(now: Instant, deps: PastryDeps, options: PastryNodeOptions) {
    this.config = options.config ?? DEFAULT_PASTRY_CONFIG
    this.self = options.self
    this.hashing = deps.hashing
    this.random = deps.random
    this.id = options.id ?? idFromBytes(deps.random.bytes(16))
    this.state = new PastryState(
      { id: this.id, address: this.self },
      this.config.leafSize,
      this.config.nearSize,
    )
    this.nextHeartbeat = (now + 1 + this.random.int(this.config.heartbeatMs)) as Instant
  }

  get joined(): boolean {
    return this.isJoined
  }

  create(): void {
    this.isJoined = true
  }

  /** Joins through `nearby` (the paper: a node close by the proximity metric). */
  join(now: Instant, nearby: Address): void {
    const op = this.newOp('join', this.id)
    this.ask(now, op, { id: '', address: nearby } as PastryRef)
  }

  /**
   * Makes this node a client that never joins: each operation is first routed by `gateway`
   * (any member) and continues from the hop it names.
   */
  useGateway(gateway: Address): void {
    this.gateway = gateway
  }

  keyId(key: Uint8Array): PastryId {
    return idFromBytes(this.hashing.sha256([key]))
  }

  holds(key: Uint8Array): Uint8Array | undefined {
    return this.store.get(toHex(key))?.value
  }

  inspect(): PastryStats {
    return {
      known: this.state.size(),
      leaves: this.state.leaves.length,
      tableEntries: this.state.table.reduce((s, row) => s + row.filter(Boolean).length, 0),
      near: this.state.neighbourhood.length,
      items: this.store.size,
      maintenanceSent: this.maintenanceSent,
      repairs: this.repairs,
      dropped: this.dropped,
    }
  }

  // ------------------------------------------------------------------ OverlayDht

  /** `id` is a 128-bit id (16 bytes); longer input is cut, shorter is zero-padded. */
  lookup(now: Instant, id: Uint8Array): number {
    return this.lookupId(now, idFromBytes(id))
  }

  lookupId(now: Instant, key: PastryId): number {
    const op = this.newOp('lookup', key)
    this.route(now, op)
    return op.handle
  }

  put(now: Instant, key: Uint8Array, value: Uint8Array): number {
    return this.dataOp(now, 'put', key, value)
  }

  get(now: Instant, key: Uint8Array): number {
    return this.dataOp(now, 'get', key)
  }

  remove(now: Instant, key: Uint8Array): number {
    return this.dataOp(now, 'remove', key)
  }

  /** Hands each key to the leaf numerically closest to it, then goes silent. */
  leave(_now: Instant): void {
    if (this.stopped) return
    const leaves = this.state.leaves
    const byHeir = new Map<
      string,
      { to: Address; items: { key: Uint8Array; value: Uint8Array }[] }
    >()
    for (const item of this.store.values()) {
      let heir: PastryRef | undefined
      for (const r of leaves) if (heir === undefined || closer(item.id, r.id, heir.id)) heir = r
      if (heir === undefined) continue
      const batch = byHeir.get(heir.id) ?? { to: heir.address, items: [] }
      batch.items.push({ key: item.key, value: item.value })
      byHeir.set(heir.id, batch)
    }
    for (const { to, items } of byHeir.values()) this.sendItems(to, items, false)
    if (this.store.size > 0)
      this.emit({ type: 'keys_moved', count: this.store.size, direction: 'out' })
    this.store.clear()
    this.stopped = true
    this.pending.clear()
  }

  // ------------------------------------------------------------------ DatagramCore

  receive(now: Instant, from: Address, message: PastryMessage): void {
    if (this.stopped) return
    if (
      message.type === 'route_reply' ||
      message.type === 'pong' ||
      message.type === 'data_reply'
    ) {
      const waiting = this.pending.get(message.tx)
      if (waiting === undefined || !sameAddress(waiting.to, from)) {
        this.dropped++
        return
      }
      this.pending.delete(message.tx)
      waiting.onReply(now, message)
      return
    }
    switch (message.type) {
      case 'route':
        return this.onRoute(from, message)
      case 'announce':
        this.failed.delete(message.id)
        return this.onAnnounce(now, { id: message.id, address: from })
      case 'ping':
        this.failed.delete(message.id)
        this.state.consider({ id: message.id, address: from })
        this.send(from, {
          type: 'pong',
          tx: message.tx,
          id: this.id,
          leaves: this.state.leaves.slice(0, PASTRY_LIMITS.refs),
        })
        return
      case 'data':
        return this.onData(from, message)
      case 'store':
        for (const item of message.items) {
          this.store.set(toHex(item.key), { ...item, id: this.keyId(item.key) })
        }
        if (message.items.length > 0 && !message.replica) {
          this.emit({ type: 'keys_moved', count: message.items.length, direction: 'in' })
        }
    }
  }

  timeout(now: Instant): void {
    if (this.stopped) return
    for (const [tx, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(tx)
        p.onTimeout(now)
      }
    }
    if (now >= this.nextHeartbeat) {
      this.nextHeartbeat = (now + this.config.heartbeatMs) as Instant
      for (const [id, at] of this.failed) {
        if (at < now - 10 * this.config.heartbeatMs) this.failed.delete(id)
      }
      if (this.isJoined) for (const leaf of this.state.leaves) this.probe(now, leaf)
      // Copies lost with a crashed leaf are made again on the leaves now closest.
      if (this.isJoined) this.pushReplicas(this.store.values())
    }
  }

  nextTimeout(): Instant | undefined {
    if (this.stopped) return undefined
    let next = this.nextHeartbeat as number
    for (const p of this.pending.values()) next = Math.min(next, p.deadline)
    return next as Instant
  }

  takeOutputs(): Output<PastryMessage, OverlayEvent>[] {
    const out = this.outputs
    this.outputs = []
    return out
  }

  // ------------------------------------------------------------------ routing

  private onRoute(from: Address, m: Extract<PastryMessage, { type: 'route' }>): void {
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

  private newOp(kind: OpKind, key: PastryId, dataKey?: Uint8Array, value?: Uint8Array): Op {
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

  private dataOp(now: Instant, action: PastryAction, key: Uint8Array, value?: Uint8Array): number {
    const op = this.newOp(action, this.keyId(key), key, value)
    this.route(now, op)
    return op.handle
  }

  private route(now: Instant, op: Op): void {
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

  private ask(now: Instant, op: Op, node: PastryRef): void {
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
        if (join) this.absorb(at, reply)
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

  /** Join: take the state the hops hand back (rows, the nearby node's neighbourhood, leaves). */
  private absorb(now: Instant, reply: Extract<PastryMessage, { type: 'route_reply' }>): void {
    const learned = [...reply.row, ...reply.leaves, ...reply.near]
    if (reply.status === 'owner') learned.push(reply.node)
    for (const r of learned) if (!sameAddress(r.address, this.self)) this.learn(now, r)
  }

  private arrive(now: Instant, op: Op, owner: PastryRef): void {
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

  private finishData(
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

  private fail(op: Op, error: string): void {
    this.finish(op, false, { error })
  }

  private finish(
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

  // ------------------------------------------------------------------ data

  private onData(from: Address, m: Extract<PastryMessage, { type: 'data' }>): void {
    const answer = this.applyData(m.action, m.key, m.value)
    // tx 0: an owner removing its copies wants no answer.
    if (m.tx === 0) return
    this.send(from, {
      type: 'data_reply',
      tx: m.tx,
      status: answer.status,
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  private applyData(
    action: PastryAction,
    key: Uint8Array,
    value?: Uint8Array,
  ): { status: 'ok' | 'not_found'; value?: Uint8Array } {
    const name = toHex(key)
    if (action === 'put') {
      const item = { key, value: value ?? new Uint8Array(0), id: this.keyId(key) }
      this.store.set(name, item)
      this.pushReplicas([item])
      return { status: 'ok' }
    }
    const found = this.store.get(name)
    if (found === undefined) return { status: 'not_found' }
    if (action === 'remove') {
      this.store.delete(name)
      // The owner deletes its copies too (a replica that misses this keeps a stale copy).
      if (this.owns(found.id)) this.removeReplicas(found)
    }
    return { status: 'ok', value: found.value }
  }

  private sendItems(
    to: Address,
    items: readonly { key: Uint8Array; value: Uint8Array }[],
    replica: boolean,
  ): void {
    for (let i = 0; i < items.length; i += PASTRY_LIMITS.items) {
      if (replica) this.maintenanceSent++
      this.send(to, { type: 'store', replica, items: items.slice(i, i + PASTRY_LIMITS.items) })
    }
  }

  /** This node is the numerically closest it knows to `id`: it owns the key. */
  private owns(id: PastryId): boolean {
    return this.state.leaves.every((r) => !closer(id, r.id, this.id))
  }

  /** The `replicas - 1` leaves closest to `id`: where the owner keeps copies. */
  private replicaTargets(id: PastryId): PastryRef[] {
    const k = this.config.replicas - 1
    if (k <= 0) return []
    return [...this.state.leaves]
      .sort((a, b) => (closer(id, a.id, b.id) ? -1 : closer(id, b.id, a.id) ? 1 : 0))
      .slice(0, k)
  }

  private removeReplicas(item: Stored): void {
    for (const r of this.replicaTargets(item.id)) {
      this.maintenanceSent++
      this.send(r.address, { type: 'data', tx: 0, action: 'remove', key: item.key })
    }
  }

  /** Sends copies of the items this node owns to their replica leaves, one batch a leaf. */
  private pushReplicas(items: Iterable<Stored>): void {
    const batches = new Map<string, { to: Address; items: Stored[] }>()
    for (const item of items) {
      if (!this.owns(item.id)) continue
      for (const r of this.replicaTargets(item.id)) {
        const batch = batches.get(r.id) ?? { to: r.address, items: [] }
        batch.items.push(item)
        batches.set(r.id, batch)
      }
    }
    for (const { to, items: batch } of batches.values()) this.sendItems(to, batch, true)
  }

  // ------------------------------------------------------------------ membership

  private onAnnounce(now: Instant, ref: PastryRef): void {
    this.learn(now, ref)
    // Keys now numerically closer to the newcomer move to it.
    const moving = [...this.store.values()].filter((s) => closer(s.id, ref.id, this.id))
    if (moving.length === 0) return
    for (const s of moving) this.store.delete(toHex(s.key))
    this.sendItems(ref.address, moving, false)
    this.emit({ type: 'keys_moved', count: moving.length, direction: 'out' })
  }

  /** Takes a node into the tables and measures its RTT once, for proximity. */
  private learn(now: Instant, ref: PastryRef): void {
    this.state.consider(ref)
    if (!this.state.rtt.has(ref.id)) this.probe(now, ref)
  }

  private probe(now: Instant, ref: PastryRef): void {
    if (this.probing.has(ref.id)) return
    this.probing.add(ref.id)
    this.maintenanceSent++
    this.request(
      now,
      ref.address,
      (tx) => ({ type: 'ping', tx, id: this.id }),
      (at, reply) => {
        this.probing.delete(ref.id)
        if (reply.type !== 'pong' || reply.id !== ref.id) return
        this.state.rtt.set(ref.id, at - now)
        this.state.consider(ref)
        // Leaf-set repair: the peer's leaves fill gaps in ours.
        for (const r of reply.leaves)
          if (r.id !== this.id && !this.failed.has(r.id)) this.state.consider(r)
      },
      (at) => {
        this.probing.delete(ref.id)
        this.forget(at, ref.id)
      },
    )
  }

  /** A node failed: drop it, and refill its routing-table slot from the same row. */
  private forget(now: Instant, id: PastryId): void {
    this.failed.set(id, now)
    // Keys the failed node owned and this node now owns: recovered from our replicas.
    const theirs = [...this.store.values()].filter((s) => closer(s.id, id, this.id))
    const row = this.state.remove(id)
    const recovered = theirs.filter((s) => this.owns(s.id)).length
    if (recovered > 0) this.emit({ type: 'keys_moved', count: recovered, direction: 'in' })
    if (row === undefined) return
    const others = this.state.row(row)
    if (others.length === 0) return
    const helper = others[this.random.int(others.length)] as PastryRef
    this.repairs++
    this.maintenanceSent++
    // The helper shares `row` digits with us; its row `row` holds candidates for the hole.
    this.request(
      now,
      helper.address,
      (tx) => ({ type: 'route', tx, key: id, join: true, avoid: [] }),
      (at, reply) => {
        if (reply.type !== 'route_reply') return
        for (const r of reply.row) {
          if (r.id !== id && r.id !== this.id && !this.failed.has(r.id)) this.learn(at, r)
        }
      },
      () => undefined,
    )
  }

  // ------------------------------------------------------------------ plumbing

  private request(
    now: Instant,
    to: Address,
    build: (tx: number) => PastryMessage,
    onReply: Pending['onReply'],
    onTimeout: Pending['onTimeout'],
  ): void {
    const tx = this.nextTx
    this.nextTx = (this.nextTx % 0xffffffff) + 1
    this.pending.set(tx, {
      to,
      deadline: (now + this.config.requestTimeoutMs) as Instant,
      onReply,
      onTimeout,
    })
    this.send(to, build(tx))
  }

  private send(to: Address, message: PastryMessage): void {
    this.outputs.push({ type: 'send', to, message })
  }

  private emit(event: OverlayEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}
