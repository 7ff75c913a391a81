import { type Address, addressKey, sameAddress } from '../../core/address.js'
import type { DatagramCore, Output } from '../../core/core.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { toHex } from '../../core/bytes.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent, OverlayHop, OverlayOpKind } from '../overlay/dht.js'
import { CAN_LIMITS } from './codec.js'
import type { CanConfig } from './config.js'
import type { CanItem, CanMessage, CanNodeInfo, DataAction, HandoffKind } from './messages.js'
import { pointOfKey, randomPoint } from './space.js'
import {
  anyAdjacent,
  buddyOf,
  contains,
  distanceToCentre,
  distanceToZone,
  parentOf,
  splitOf,
  volumeOf,
  type Point,
  type ZonePath,
} from './zone.js'

export interface CanDeps {
  readonly random: Random
  readonly hashing: Hashing
  /**
   * Where a key lives, when not by hashing: the lecture names its items' coordinates. Every
   * node of a network must use the same function.
   */
  readonly place?: (key: Uint8Array) => Point
}

export interface CanNodeOptions {
  readonly config: CanConfig
  /** The address others reach this node at (it travels in neighbour lists). */
  readonly self: Address
  /** A fixed id (hex) for teaching examples; random otherwise. */
  readonly id?: string
}

interface Neighbour {
  info: CanNodeInfo
  lastHeard: Instant
  /** Its own neighbour list as it last announced it: who may take over its zones. */
  theirs: readonly CanNodeInfo[]
  /**
   * Heard from first-hand (or handed a zone by us). Only such a neighbour's silence means a
   * failure: one learned from another's list may simply not think us adjacent any more.
   */
  direct: boolean
}

interface Stored {
  readonly key: Uint8Array
  readonly value: Uint8Array
  readonly point: Point
}

interface Pending {
  readonly to: Address
  readonly deadline: Instant
  readonly onReply: (now: Instant, message: CanMessage) => void
  readonly onTimeout: (now: Instant) => void
}

type OpKind = OverlayOpKind | 'join'

interface Op {
  readonly handle: number
  readonly kind: OpKind
  readonly point: Point
  readonly key?: Uint8Array
  readonly value?: Uint8Array
  readonly hops: OverlayHop[]
  messages: number
  attempts: number
  readonly avoid: Address[]
  /** The hop that pointed at the one being asked; undefined: this node decided. */
  previous?: CanNodeInfo
  /** Where to start when this node cannot route (a joining node's bootstrap). */
  entry?: Address
}

interface Takeover {
  readonly zones: readonly ZonePath[]
  readonly neighbours: readonly CanNodeInfo[]
  readonly at: Instant
}

export interface CanStats {
  readonly zones: readonly ZonePath[]
  readonly neighbours: number
  readonly items: number
  readonly replicas: number
  readonly maintenanceSent: number
  readonly takeovers: number
  readonly joinsRefused: number
  readonly dropped: number
}

const ITEMS_PER_HANDOFF = CAN_LIMITS.items

/**
 * A CAN node (Ratnasamy et al., SIGCOMM 2001), sans-IO. It owns one zone of the d-torus
 * (more for a while after taking over a failed neighbour's), knows the nodes whose zones abut
 * its own, and stores the items whose key hashes into its zones. Lookups are greedy: each hop
 * names the neighbour whose zone lies closest to the point. Joins split the owner's zone
 * (dimensions in turn); a silent neighbour's zone is taken over by the live neighbour with the
 * smallest volume (the paper's rule, with ranked delays instead of its volume-scaled timers);
 * and a node holding two zones hands one to its buddy's owner so that zones do not fragment.
 */
export class CanNode implements DatagramCore<CanMessage, OverlayEvent>, OverlayDht {
  readonly id: string
  private zonesOwned: ZonePath[] = []
  private readonly neighbours = new Map<string, Neighbour>()
  private readonly store = new Map<string, Stored>()
  private readonly replicas = new Map<string, Stored>()
  private readonly dead = new Map<string, Instant>()
  private readonly takeovers = new Map<string, Takeover>()
  private readonly pending = new Map<number, Pending>()
  private readonly ops = new Map<number, Op>()
  private outputs: Output<CanMessage, OverlayEvent>[] = []
  private nextTx = 1
  private nextHandle = 1
  private nextHeartbeat: Instant
  private nextRefresh: Instant
  private giving = false
  /** A node that never joins (a one-shot client) starts every operation here. */
  private gateway: Address | undefined
  private stopped = false
  private maintenanceSent = 0
  private takeoverCount = 0
  private joinsRefused = 0
  private dropped = 0
  /** Why the last join failed, for the operator (a joining node has no op_done event). */
  lastJoinError: string | undefined
  private readonly config: CanConfig
  private readonly self: Address
  private readonly random: Random
  private readonly hashing: Hashing
  private readonly place: ((key: Uint8Array) => Point) | undefined

  constructor(now: Instant, deps: CanDeps, options: CanNodeOptions) {
    this.config = options.config
    this.self = options.self
    this.random = deps.random
    this.hashing = deps.hashing
    this.place = deps.place
    this.id = options.id ?? toHex(deps.random.bytes(8))
    // Spread heartbeats so that a network started at once does not beat in step.
    this.nextHeartbeat = (now + this.random.int(this.config.heartbeatMs) + 1) as Instant
    this.nextRefresh = (now + this.config.replicaRefreshMs) as Instant
  }

  get zones(): readonly ZonePath[] {
    return this.zonesOwned
  }

  get joined(): boolean {
    return this.zonesOwned.length > 0
  }

  /** The first node: it owns the whole space. */
  create(): void {
    this.zonesOwned = ['']
  }

  /** Join through `bootstrap`: find the owner of `point` (random by default) and split. */
  join(now: Instant, bootstrap: Address, point?: Point): void {
    const op = this.newOp('join', point ?? randomPoint(this.random, this.config))
    op.entry = bootstrap
    this.route(now, op)
  }

  /**
   * Makes this node a client that never joins: each operation starts at `gateway` (any
   * member) and goes on greedily from the neighbours each hop names.
   */
  useGateway(gateway: Address): void {
    this.gateway = gateway
  }

  info(): CanNodeInfo {
    return { address: this.self, id: this.id, zones: [...this.zonesOwned] }
  }

  neighbourInfos(): CanNodeInfo[] {
    return [...this.neighbours.values()].map((n) => n.info)
  }

  /** The neighbours we pass on in updates and at a leave (bounded by the codec). */
  private heardInfos(): CanNodeInfo[] {
    return this.neighbourInfos().slice(0, CAN_LIMITS.neighbours)
  }

  owns(point: Point): boolean {
    return this.zonesOwned.some((z) => contains(z, this.config.dims, point))
  }

  holds(key: Uint8Array): Uint8Array | undefined {
    return this.store.get(toHex(key))?.value
  }

  pointOf(key: Uint8Array): Point {
    return this.place?.(key) ?? pointOfKey(this.hashing, this.config, key)
  }

  inspect(): CanStats {
    return {
      zones: [...this.zonesOwned],
      neighbours: this.neighbours.size,
      items: this.store.size,
      replicas: this.replicas.size,
      maintenanceSent: this.maintenanceSent,
      takeovers: this.takeoverCount,
      joinsRefused: this.joinsRefused,
      dropped: this.dropped,
    }
  }

  // ------------------------------------------------------------------ OverlayDht

  lookup(now: Instant, id: Uint8Array): number {
    return this.lookupPoint(now, this.pointOf(id))
  }

  lookupPoint(now: Instant, point: Point): number {
    const op = this.newOp('lookup', point)
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

  leave(_now: Instant): void {
    if (this.stopped) return
    const all = [...this.neighbours.values()]
    for (const zone of this.zonesOwned) {
      const buddy = all.find((n) => n.info.zones.length === 1 && n.info.zones[0] === buddyOf(zone))
      const heir = buddy ?? this.smallestAdjacent(zone, all)
      if (heir === undefined) continue
      this.send(heir.info.address, {
        type: 'give',
        tx: this.nextTx++,
        id: this.id,
        zone,
        merge: buddy !== undefined,
      })
      const items = [...this.store.values()].filter((s) =>
        contains(zone, this.config.dims, s.point),
      )
      this.handoff(heir.info.address, 'primary', items)
      if (items.length > 0) this.emit({ type: 'keys_moved', count: items.length, direction: 'out' })
    }
    // An empty zone list tells each neighbour to drop us, and our neighbour list lets the
    // heirs meet the nodes that abut the zones they now hold.
    const list = this.heardInfos()
    for (const n of all) {
      this.send(n.info.address, { type: 'update', id: this.id, zones: [], neighbours: list })
    }
    this.stopped = true
    this.zonesOwned = []
    this.pending.clear()
  }

  // ------------------------------------------------------------------ DatagramCore

  receive(now: Instant, from: Address, message: CanMessage): void {
    if (this.stopped) return
    if ('tx' in message && message.type.endsWith('_reply')) {
      const waiting = this.pending.get(message.tx)
      // A reply from anyone but the node asked is dropped: it cannot settle our request.
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
      case 'data':
        return this.onData(from, message)
      case 'join':
        return this.onJoin(now, from, message)
      case 'update':
        return this.onUpdate(now, from, message)
      case 'give':
        return this.onGive(now, from, message)
      case 'handoff':
        return this.onHandoff(message.kind, message.items)
      default:
        this.dropped++
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
    for (const [key, t] of this.takeovers) {
      if (t.at <= now) {
        this.takeovers.delete(key)
        this.takeOver(now, t)
      }
    }
    if (now >= this.nextHeartbeat) {
      this.nextHeartbeat = (now + this.config.heartbeatMs) as Instant
      this.heartbeat(now)
    }
  }

  nextTimeout(): Instant | undefined {
    if (this.stopped) return undefined
    let next = this.nextHeartbeat as number
    for (const p of this.pending.values()) next = Math.min(next, p.deadline)
    for (const t of this.takeovers.values()) next = Math.min(next, t.at)
    return next as Instant
  }

  takeOutputs(): Output<CanMessage, OverlayEvent>[] {
    const out = this.outputs
    this.outputs = []
    return out
  }

  // ------------------------------------------------------------------ routing

  /** The neighbour whose zone lies closest to `point` (ties: zone centre, then id). */
  private closest(point: Point, avoid: readonly Address[]): CanNodeInfo | undefined {
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

  private onRoute(from: Address, m: Extract<CanMessage, { type: 'route' }>): void {
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

  private newOp(kind: OpKind, point: Point, key?: Uint8Array, value?: Uint8Array): Op {
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

  private dataOp(now: Instant, action: DataAction, key: Uint8Array, value?: Uint8Array): number {
    const op = this.newOp(action, this.pointOf(key), key, value)
    this.route(now, op)
    return op.handle
  }

  /** Takes the next step of `op` from this node's own table. */
  private route(now: Instant, op: Op): void {
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

  private ask(now: Instant, op: Op, node: CanNodeInfo): void {
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
  private arrive(now: Instant, op: Op, owner: CanNodeInfo): void {
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
  private retry(now: Instant, op: Op, from: Address): void {
    // A join may meet many concurrent joins at one owner: it keeps trying longer.
    const budget = op.kind === 'join' ? 8 * this.config.attempts : this.config.attempts
    if (++op.attempts > budget) return this.fail(op, 'ownership_moved')
    delete op.previous
    this.ask(now, op, { address: from, id: '', zones: [] })
  }

  private finishData(op: Op, owner: CanNodeInfo, answer: DataAnswer): void {
    if (answer.status === 'not_owner') return this.fail(op, 'not_owner')
    if (answer.status === 'not_found') return this.finish(op, false, { owner, error: 'not_found' })
    this.finish(op, true, {
      owner,
      stored: answer.stored,
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  private fail(op: Op, error: string): void {
    this.finish(op, false, { error })
  }

  private finish(
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

  // ------------------------------------------------------------------ data

  private onData(from: Address, m: Extract<CanMessage, { type: 'data' }>): void {
    const answer = this.applyData(m.action, m.key, m.value)
    this.send(from, {
      type: 'data_reply',
      tx: m.tx,
      status: answer.status,
      stored: Math.min(255, answer.stored),
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  private applyData(action: DataAction, key: Uint8Array, value?: Uint8Array): DataAnswer {
    const point = this.pointOf(key)
    if (!this.owns(point)) return { status: 'not_owner', stored: 0 }
    const name = toHex(key)
    if (action === 'get') {
      const found = this.store.get(name)
      return found === undefined
        ? { status: 'not_found', stored: 0 }
        : { status: 'ok', stored: 1, value: found.value }
    }
    const item = { key, value: value ?? new Uint8Array(0), point }
    if (action === 'put') this.store.set(name, item)
    else if (!this.store.delete(name)) return { status: 'not_found', stored: 0 }
    let copies = 0
    if (this.config.replicate) {
      for (const n of this.neighbours.values()) {
        this.handoff(n.info.address, action === 'put' ? 'replica' : 'unreplicate', [item])
        copies++
      }
    }
    return { status: 'ok', stored: 1 + copies }
  }

  private onHandoff(kind: HandoffKind, items: readonly CanItem[]): void {
    let moved = 0
    for (const item of items) {
      const name = toHex(item.key)
      const stored = { ...item, point: this.pointOf(item.key) }
      if (kind === 'primary') {
        this.store.set(name, stored)
        moved++
      } else if (kind === 'replica') this.replicas.set(name, stored)
      else this.replicas.delete(name)
    }
    if (moved > 0) this.emit({ type: 'keys_moved', count: moved, direction: 'in' })
  }

  private handoff(to: Address, kind: HandoffKind, items: readonly Stored[]): void {
    for (let i = 0; i < items.length; i += ITEMS_PER_HANDOFF) {
      const chunk = items
        .slice(i, i + ITEMS_PER_HANDOFF)
        .map((s) => ({ key: s.key, value: s.value }))
      this.send(to, { type: 'handoff', kind, items: chunk })
    }
  }

  // ------------------------------------------------------------------ join

  private askToJoin(now: Instant, op: Op, owner: CanNodeInfo): void {
    op.messages++
    this.request(
      now,
      owner.address,
      (tx) => ({ type: 'join', tx, id: this.id, point: op.point }),
      (at, reply) => {
        if (reply.type !== 'join_reply') return this.fail(op, 'bad_reply')
        if (!reply.accepted || reply.zones.length === 0) return this.retry(at, op, owner.address)
        this.zonesOwned = [...reply.zones]
        for (const n of reply.neighbours) {
          this.learn(at, n, [], sameAddress(n.address, owner.address))
        }
        this.finish(op, true, {})
        this.announce()
      },
      (at) => this.retry(at, op, owner.address),
    )
  }

  private onJoin(now: Instant, from: Address, m: Extract<CanMessage, { type: 'join' }>): void {
    const dims = this.config.dims
    const refuse = (): void => {
      this.send(from, { type: 'join_reply', tx: m.tx, accepted: false, zones: [], neighbours: [] })
    }
    if (m.point.length !== dims || sameAddress(from, this.self)) return refuse()
    const zone = this.zonesOwned.find((z) => contains(z, dims, m.point))
    if (zone === undefined) return refuse()
    let given: ZonePath
    if (this.zonesOwned.length > 1) {
      // Holding a taken-over zone: hand it over whole rather than split (no fragmentation).
      given = zone
      this.zonesOwned = this.zonesOwned.filter((z) => z !== zone)
    } else {
      if (zone.length >= this.config.sideBits * dims) return refuse()
      const [low, high] = splitOf(zone)
      given = contains(high, dims, m.point) ? high : low
      this.zonesOwned = [given === high ? low : high]
    }
    const newcomer: CanNodeInfo = { address: from, id: m.id, zones: [given] }
    const candidates = [...this.neighbourInfos(), this.info()]
    const neighbours = candidates
      .filter((n) => anyAdjacent([given], n.zones, dims))
      .slice(0, CAN_LIMITS.neighbours)
    this.send(from, { type: 'join_reply', tx: m.tx, accepted: true, zones: [given], neighbours })
    const moving = [...this.store.values()].filter((s) => contains(given, dims, s.point))
    for (const s of moving) this.store.delete(toHex(s.key))
    this.handoff(from, 'primary', moving)
    if (moving.length > 0) this.emit({ type: 'keys_moved', count: moving.length, direction: 'out' })
    // Tell every old neighbour the new shape before dropping those no longer adjacent.
    this.announce()
    this.learn(now, newcomer, [], true)
    this.prune()
  }

  // ------------------------------------------------------------------ neighbours

  /** Adds or refreshes a node when its zones abut ours; forgets it otherwise. */
  private learn(
    now: Instant,
    info: CanNodeInfo,
    theirs: readonly CanNodeInfo[],
    direct = false,
  ): void {
    const key = addressKey(info.address)
    if (sameAddress(info.address, this.self)) return
    if (!anyAdjacent(this.zonesOwned, info.zones, this.config.dims)) {
      this.neighbours.delete(key)
      return
    }
    const known = this.neighbours.get(key)
    if (known === undefined) this.neighbours.set(key, { info, lastHeard: now, theirs, direct })
    else if (direct) {
      known.info = info
      known.lastHeard = now
      known.theirs = theirs
      known.direct = true
    }
  }

  private prune(): void {
    for (const [key, n] of this.neighbours) {
      if (!anyAdjacent(this.zonesOwned, n.info.zones, this.config.dims)) this.neighbours.delete(key)
    }
  }

  private onUpdate(now: Instant, from: Address, m: Extract<CanMessage, { type: 'update' }>): void {
    const key = addressKey(from)
    this.dead.delete(key)
    this.takeovers.delete(key)
    const info: CanNodeInfo = { address: from, id: m.id, zones: m.zones }
    this.resolveConflicts(info)
    // A zone now claimed by a live node needs no takeover.
    for (const [deadKey, t] of this.takeovers) {
      if (t.zones.some((z) => m.zones.some((c) => c.startsWith(z) || z.startsWith(c)))) {
        this.takeovers.delete(deadKey)
      }
    }
    const wasNeighbour = this.neighbours.has(key)
    this.learn(now, info, m.neighbours, true)
    // The sender believes we abut; we do not (it used stale news): say so once, so that it
    // drops us instead of waiting for our heartbeats and then taking our zone for dead.
    const listsUs = m.neighbours.some((n) => sameAddress(n.address, this.self))
    if (!this.neighbours.has(key) && !wasNeighbour && listsUs) this.sendUpdate(from)
    // Second-hand news: a node that abuts us and that we did not know (repair after splits).
    for (const n of m.neighbours) {
      const nk = addressKey(n.address)
      if (sameAddress(n.address, this.self) || this.neighbours.has(nk) || this.dead.has(nk))
        continue
      if (!anyAdjacent(this.zonesOwned, n.zones, this.config.dims)) continue
      this.learn(now, n, [])
      this.sendUpdate(n.address)
    }
  }

  /** Two nodes claim the same zone (concurrent takeovers): the smaller id keeps it. */
  private resolveConflicts(other: CanNodeInfo): void {
    const clash = this.zonesOwned.filter((z) => other.zones.includes(z))
    if (clash.length === 0 || this.id < other.id) return
    this.zonesOwned = this.zonesOwned.filter((z) => !clash.includes(z))
    const dims = this.config.dims
    const moving = [...this.store.values()].filter((s) =>
      clash.some((z) => contains(z, dims, s.point)),
    )
    for (const s of moving) this.store.delete(toHex(s.key))
    this.handoff(other.address, 'primary', moving)
  }

  private heartbeat(now: Instant): void {
    const deadline = now - this.config.deadAfterMs
    for (const [key, n] of this.neighbours) {
      if (n.lastHeard >= deadline) continue
      this.neighbours.delete(key)
      this.dead.set(key, now)
      if (n.direct) this.planTakeover(now, n)
    }
    for (const [key, at] of this.dead) {
      if (at < now - 10 * this.config.deadAfterMs) this.dead.delete(key)
    }
    if (this.joined) {
      this.reassign(now)
      this.announce()
      if (this.config.replicate && now >= this.nextRefresh) {
        this.nextRefresh = (now + this.config.replicaRefreshMs) as Instant
        const items = [...this.store.values()]
        for (const n of this.neighbours.values()) this.handoff(n.info.address, 'replica', items)
      }
    }
  }

  private announce(): void {
    for (const n of this.neighbours.values()) this.sendUpdate(n.info.address)
  }

  private sendUpdate(to: Address): void {
    this.maintenanceSent++
    this.send(to, {
      type: 'update',
      id: this.id,
      zones: [...this.zonesOwned],
      neighbours: this.heardInfos(),
    })
  }

  // ------------------------------------------------------------------ takeover

  private volumeOfZones(zones: readonly ZonePath[]): number {
    return zones.reduce((s, z) => s + volumeOf(z), 0)
  }

  /**
   * The paper: every neighbour of a failed node starts a timer proportional to its own
   * volume and the first to fire takes over. Here each computes the same ranking from the
   * failed node's last neighbour list (smallest volume first, then id) and waits rank
   * heartbeats, so the smallest live neighbour takes over and the next steps in if it is silent.
   */
  private planTakeover(now: Instant, gone: Neighbour): void {
    if (!this.joined) return
    const candidates = gone.theirs
      .filter((n) => !this.dead.has(addressKey(n.address)) && !sameAddress(n.address, this.self))
      .map((n) => ({ id: n.id, volume: this.volumeOfZones(n.zones) }))
    candidates.push({ id: this.id, volume: this.volumeOfZones(this.zonesOwned) })
    candidates.sort((a, b) => a.volume - b.volume || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const rank = candidates.findIndex((c) => c.id === this.id)
    this.takeovers.set(addressKey(gone.info.address), {
      zones: gone.info.zones,
      neighbours: gone.theirs,
      at: (now + rank * this.config.heartbeatMs) as Instant,
    })
  }

  private takeOver(now: Instant, t: Takeover): void {
    const claimed = (z: ZonePath): boolean =>
      this.zonesOwned.some((c) => c.startsWith(z) || z.startsWith(c)) ||
      [...this.neighbours.values()].some((n) =>
        n.info.zones.some((c) => c.startsWith(z) || z.startsWith(c)),
      )
    const free = t.zones.filter((z) => !claimed(z))
    if (free.length === 0 || this.zonesOwned.length + free.length > CAN_LIMITS.zonesPerNode) return
    this.takeoverCount++
    this.zonesOwned.push(...free)
    const dims = this.config.dims
    let promoted = 0
    for (const [name, r] of this.replicas) {
      if (!free.some((z) => contains(z, dims, r.point))) continue
      this.store.set(name, r)
      this.replicas.delete(name)
      promoted++
    }
    if (promoted > 0) this.emit({ type: 'keys_moved', count: promoted, direction: 'in' })
    for (const n of t.neighbours) {
      if (!this.dead.has(addressKey(n.address))) this.learn(now, n, [])
    }
    this.announce()
  }

  // ------------------------------------------------------------------ reassignment

  /** Merge buddy zones; give a spare zone to the owner of its buddy, which merges them. */
  private reassign(now: Instant): void {
    let merged = true
    while (merged) {
      merged = false
      for (const z of this.zonesOwned) {
        if (z.length > 0 && this.zonesOwned.includes(buddyOf(z))) {
          this.zonesOwned = this.zonesOwned.filter((c) => c !== z && c !== buddyOf(z))
          this.zonesOwned.push(parentOf(z))
          merged = true
          break
        }
      }
    }
    if (this.zonesOwned.length < 2 || this.giving) return
    for (const zone of [...this.zonesOwned].sort((a, b) => b.length - a.length)) {
      const heir = [...this.neighbours.values()].find(
        (n) => n.info.zones.length === 1 && n.info.zones[0] === buddyOf(zone),
      )
      if (heir === undefined) continue
      this.giving = true
      this.request(
        now,
        heir.info.address,
        (tx) => ({ type: 'give', tx, id: this.id, zone, merge: true }),
        (_at, reply) => {
          this.giving = false
          if (reply.type !== 'give_reply' || !reply.accepted) return
          if (!this.zonesOwned.includes(zone) || this.zonesOwned.length < 2) return
          this.zonesOwned = this.zonesOwned.filter((z) => z !== zone)
          const dims = this.config.dims
          const moving = [...this.store.values()].filter((s) => contains(zone, dims, s.point))
          for (const s of moving) this.store.delete(toHex(s.key))
          this.handoff(heir.info.address, 'primary', moving)
          this.announce()
          this.prune()
        },
        () => {
          this.giving = false
        },
      )
      return
    }
  }

  private onGive(now: Instant, from: Address, m: Extract<CanMessage, { type: 'give' }>): void {
    const sole = this.zonesOwned.length === 1 ? this.zonesOwned[0] : undefined
    const overlaps = this.zonesOwned.some((c) => c.startsWith(m.zone) || m.zone.startsWith(c))
    let accepted = false
    if (m.merge && sole === buddyOf(m.zone) && m.zone.length > 0) {
      this.zonesOwned = [parentOf(m.zone)]
      accepted = true
    } else if (this.joined && !overlaps && this.zonesOwned.length < CAN_LIMITS.zonesPerNode) {
      this.zonesOwned.push(m.zone)
      accepted = true
    }
    this.send(from, { type: 'give_reply', tx: m.tx, accepted })
    if (!accepted) return
    // The giver's neighbours that abut the new zone become ours.
    const giver = this.neighbours.get(addressKey(from))
    for (const n of giver?.theirs ?? [])
      if (!this.dead.has(addressKey(n.address))) this.learn(now, n, [])
    this.announce()
    this.sendUpdate(from)
  }

  private smallestAdjacent(zone: ZonePath, all: readonly Neighbour[]): Neighbour | undefined {
    let best: Neighbour | undefined
    for (const n of all) {
      if (!anyAdjacent([zone], n.info.zones, this.config.dims)) continue
      if (
        best === undefined ||
        this.volumeOfZones(n.info.zones) < this.volumeOfZones(best.info.zones)
      ) {
        best = n
      }
    }
    return best
  }

  // ------------------------------------------------------------------ plumbing

  private request(
    now: Instant,
    to: Address,
    build: (tx: number) => CanMessage,
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

  private send(to: Address, message: CanMessage): void {
    this.outputs.push({ type: 'send', to, message })
  }

  private emit(event: OverlayEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}

interface DataAnswer {
  readonly status: 'ok' | 'not_found' | 'not_owner'
  readonly stored: number
  readonly value?: Uint8Array
}
