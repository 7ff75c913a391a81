import { addressKey, sameAddress, type Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import type { DatagramCore, Output } from '../../core/core.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { after, ms, type Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent, OverlayHop, OverlayOpKind } from '../overlay/dht.js'
import { VALUE_BYTES_MAX } from './codec.js'
import { chordConfig, type ChordConfig } from './config.js'
import type { ChordMessage, NodeRef } from './messages.js'
import { Ring } from './ring.js'

/** Why a datagram was refused; each is reported as a `dropped` event, never thrown. */
export type ChordDropReason =
  | 'id_not_owned'
  | 'id_collision'
  | 'replayed_notify'
  | 'unexpected_answer'
  | 'store_full'
  | 'stopped'
  | 'not_joined'

export type ChordEvent =
  | OverlayEvent
  | { readonly type: 'dropped'; readonly from: Address; readonly reason: ChordDropReason }
  | { readonly type: 'joined'; readonly successor: NodeRef }

export interface ChordDeps {
  readonly random: Random
  /** Needed only with `idsFromAddress`. */
  readonly hashing?: Hashing
}

export interface ChordOptions {
  readonly config?: Partial<ChordConfig>
  /** Where this node is reachable, as others see it. */
  readonly address: Address
  /** The node's id (ignored with `idsFromAddress`); random when absent. */
  readonly id?: bigint
}

/** The routing state a stabilized node holds, for tests and simulators that build rings. */
export interface ChordState {
  readonly predecessor?: NodeRef
  readonly successors: readonly NodeRef[]
  /** finger[1..m], index 0 is finger 1; undefined means "this node itself". */
  readonly fingers: readonly (NodeRef | undefined)[]
}

export interface ChordStats {
  readonly maintenanceSent: number
  readonly lookupSent: number
  readonly storageSent: number
  readonly dropped: number
  readonly keys: number
  /** Distinct nodes in fingers, successor list and predecessor: the routing state's size. */
  readonly stateNodes: number
}

interface Pending {
  readonly to: NodeRef | { readonly id?: undefined; readonly address: Address }
  readonly deadline: Instant
  readonly onAnswer: (now: Instant, m: ChordMessage) => void
  readonly onTimeout: (now: Instant) => void
}

type LookupResult =
  | { readonly ok: true; readonly successors: readonly NodeRef[] }
  | { readonly ok: false; readonly error: string }

/** One iterative lookup: candidates are kept closest-to-target first. */
interface Lookup {
  readonly target: bigint
  readonly hops: OverlayHop[]
  messages: number
  candidates: NodeRef[]
  readonly tried: Set<bigint>
  readonly maintenance: boolean
  readonly done: (now: Instant, result: LookupResult, lookup: Lookup) => void
}

const TID_MAX = 0xffffffff

/**
 * A Chord node (Stoica et al., SIGCOMM 2001 / ToN 2003) as a sans-IO datagram core.
 *
 * Lookups are iterative: the originator asks the closest preceding node it knows; a node
 * answers `found` with its successor list when the target lies in (itself, successor], and
 * otherwise `next` with its best preceding nodes (fingers and successor list both searched),
 * which the originator merges into a candidate list so a failed node is skipped without a
 * restart. Maintenance is the paper's: stabilize + notify, fix_fingers (one finger lookup a
 * step, filling every following finger the answer also covers), check_predecessor, and a
 * successor list of r for failure resilience. Keys live at successor(key) and on the next
 * `replicas - 1` successors; a node pushes the keys it owns to them periodically, hands keys to a
 * new predecessor, and on a graceful leave hands everything to its successor.
 */
export class ChordNode implements DatagramCore<ChordMessage, ChordEvent>, OverlayDht {
  readonly config: ChordConfig
  readonly ring: Ring
  readonly self: NodeRef
  readonly id: string
  predecessor: NodeRef | undefined
  successors: NodeRef[] = []
  readonly fingers: (NodeRef | undefined)[]
  readonly store = new Map<bigint, Uint8Array>()

  private outputs: Output<ChordMessage, ChordEvent>[] = []
  private readonly pending = new Map<number, Pending>()
  private nextTid: number
  private nextHandle = 1
  private nextFinger = 1
  private stabilizeAt: Instant
  private fixFingersAt: Instant
  private checkPredecessorAt: Instant
  private replicateAt: Instant
  private fingerCache: NodeRef[] | undefined
  /** Where our owned range began before the predecessor failed: keys from there on are recovered. */
  private lostPredecessor: bigint | undefined
  private readonly notifiesSeen = new Map<string, number>()
  private readonly idOfAddress = new Map<string, bigint>()
  private stopped = false
  /** A join is in flight: this node's view says nothing yet, so it answers no lookups. */
  private joining = false
  private retryJoin: { readonly at: Instant; readonly seeds: readonly Address[] } | undefined
  /** A node outside the ring (a one-shot client) starts every lookup here. */
  private gateway: Address | undefined
  private counters = { maintenanceSent: 0, lookupSent: 0, storageSent: 0, dropped: 0 }

  constructor(
    now: Instant,
    private readonly deps: ChordDeps,
    options: ChordOptions,
  ) {
    this.config = chordConfig({ ...options.config })
    this.ring = new Ring(this.config.bits)
    const id = this.config.idsFromAddress
      ? this.addressId(options.address)
      : (options.id ?? this.ring.fromDigest(deps.random.bytes(this.ring.idBytes + 1)))
    if (!this.ring.contains(id))
      throw new RangeError(`id ${id} is outside the ${this.config.bits}-bit ring`)
    this.self = { id, address: options.address }
    this.id = this.ring.hex(id)
    this.fingers = new Array<NodeRef | undefined>(this.config.bits).fill(undefined)
    this.nextTid = 1 + deps.random.int(TID_MAX - 1)
    this.stabilizeAt = this.jitter(now, this.config.stabilizeMs)
    this.fixFingersAt = this.jitter(now, this.config.fixFingersMs)
    this.checkPredecessorAt = this.jitter(now, this.config.checkPredecessorMs)
    this.replicateAt = this.jitter(now, this.config.replicateMs)
  }

  /** True while a join is in flight (it answers no lookups then). */
  get isJoining(): boolean {
    return this.joining
  }

  get successor(): NodeRef {
    return this.successors[0] ?? this.self
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /** Joins the ring through any of `seeds` (tried in turn): find successor(self), then stabilize. */
  join(now: Instant, seeds: readonly Address[]): void {
    const tryFrom = (i: number, now: Instant): void => {
      const seed = seeds[i]
      if (seed === undefined) {
        // No seed answered: try them all again later rather than start a ring of one.
        this.retryJoin = { at: after(now, ms(this.config.stabilizeMs)), seeds }
        return
      }
      this.request(
        now,
        { address: seed },
        { type: 'find_successor', target: this.self.id },
        'maintenance',
        {
          onAnswer: (t, m) => {
            if (m.type === 'found') this.adoptJoin(t, m.successors)
            else if (m.type === 'next') {
              const joined: Lookup['done'] = (t2, result) => {
                if (result.ok) this.adoptJoin(t2, result.successors)
                else tryFrom(i + 1, t2)
              }
              this.startLookup(t, this.self.id, true, m.candidates, joined, false)
            }
          },
          onTimeout: (t) => tryFrom(i + 1, t),
        },
      )
    }
    this.joining = seeds.length > 0
    tryFrom(0, now)
  }

  /**
   * Makes this node a client that never joins: each operation starts at `gateway` (any ring
   * member) and continues iteratively from there. Used by one-shot commands, which would
   * otherwise take over a key range for a few seconds and hand it back.
   */
  useGateway(gateway: Address): void {
    this.gateway = gateway
  }

  /** Installs a stabilized routing state (simulators building a large ring from an oracle). */
  adoptState(state: ChordState): void {
    this.predecessor = state.predecessor
    this.successors = state.successors.slice(0, this.config.successors)
    state.fingers.forEach((f, i) => (this.fingers[i] = f))
    this.fingerCache = undefined
  }

  lookup(now: Instant, id: Uint8Array): number {
    return this.operation(now, 'lookup', id, undefined)
  }

  put(now: Instant, key: Uint8Array, value: Uint8Array): number {
    return this.operation(now, 'put', key, value)
  }

  get(now: Instant, key: Uint8Array): number {
    return this.operation(now, 'get', key, undefined)
  }

  remove(now: Instant, key: Uint8Array): number {
    return this.operation(now, 'remove', key, undefined)
  }

  /**
   * The lecture's "circular DHT": follow successor pointers only, one message a node, until a
   * node's successor follows the target. Reported like `lookup`; for teaching and comparison.
   */
  lookupBySuccessors(now: Instant, id: Uint8Array): number {
    const handle = this.nextHandle++
    const target = this.ring.fromBytes(id)
    const hops: OverlayHop[] = []
    let messages = 0
    const finish = (ok: boolean, owner: NodeRef | undefined, error?: string): void =>
      this.emit({
        type: 'op_done',
        handle,
        kind: 'lookup',
        ok,
        ...(owner === undefined
          ? {}
          : { owner: { address: owner.address, id: this.ring.hex(owner.id) } }),
        ...(error === undefined ? {} : { error }),
        trace: { hops, messages },
      })
    if (target === undefined) {
      finish(false, undefined, 'id_out_of_range')
      return handle
    }
    const walk = (t: Instant, at: NodeRef, successor: NodeRef): void => {
      if (this.ring.inHalfOpen(target, at.id, successor.id)) return finish(true, successor)
      if (messages >= this.config.lookupStepsMax) return finish(false, undefined, 'too_many_steps')
      messages++
      this.request(t, successor, { type: 'get_predecessor' }, 'lookup', {
        onAnswer: (t2, m) => {
          if (m.type !== 'predecessor' || m.successors[0] === undefined) {
            hops.push({
              node: successor.address,
              id: this.ring.hex(successor.id),
              sentAt: t,
              outcome: 'error',
            })
            return finish(false, undefined, 'bad_answer')
          }
          const next = m.successors[0]
          const owner = this.ring.inHalfOpen(target, successor.id, next.id)
          hops.push({
            node: successor.address,
            id: this.ring.hex(successor.id),
            sentAt: t,
            answeredAt: t2,
            outcome: owner ? 'owner' : 'next',
          })
          walk(t2, successor, next)
        },
        onTimeout: () => {
          hops.push({
            node: successor.address,
            id: this.ring.hex(successor.id),
            sentAt: t,
            outcome: 'timeout',
          })
          finish(false, undefined, 'timeout')
        },
      })
    }
    walk(now, this.self, this.successor)
    return handle
  }

  leave(_now: Instant): void {
    if (this.stopped) return
    const successor = this.successor
    if (successor.id !== this.self.id) {
      let moved = 0
      for (const [key, value] of this.store) {
        this.send(successor.address, { type: 'store', tid: 0, sender: this.self.id, key, value })
        moved++
      }
      if (moved > 0) this.emit({ type: 'keys_moved', count: moved, direction: 'out' })
      const notice = (to: NodeRef): void =>
        this.send(to.address, {
          type: 'leaving',
          tid: 0,
          sender: this.self.id,
          ...(this.predecessor === undefined ? {} : { predecessor: this.predecessor }),
          successors: this.successors,
        })
      notice(successor)
      if (this.predecessor !== undefined && this.predecessor.id !== successor.id)
        notice(this.predecessor)
    }
    // Operations in flight end here: no answer will be taken any more.
    this.stopped = true
    this.pending.clear()
  }

  inspect(): ChordStats {
    const ids = new Set<bigint>(this.distinctFingers().map((f) => f.id))
    for (const s of this.successors) ids.add(s.id)
    if (this.predecessor !== undefined) ids.add(this.predecessor.id)
    return { ...this.counters, keys: this.store.size, stateNodes: ids.size }
  }

  // -------------------------------------------------------------------------------------------
  // DatagramCore

  takeOutputs(): Output<ChordMessage, ChordEvent>[] {
    const out = this.outputs
    this.outputs = []
    return out
  }

  nextTimeout(): Instant | undefined {
    if (this.stopped) return undefined
    let next = Math.min(
      this.retryJoin?.at ?? Infinity,
      this.stabilizeAt,
      this.fixFingersAt,
      this.checkPredecessorAt,
      this.replicateAt,
    )
    for (const p of this.pending.values()) if (p.deadline < next) next = p.deadline
    return next as Instant
  }

  timeout(now: Instant): void {
    if (this.stopped) return
    for (const [tid, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(tid)
        p.onTimeout(now)
      }
    }
    if (this.retryJoin !== undefined && this.retryJoin.at <= now) {
      const seeds = this.retryJoin.seeds
      this.retryJoin = undefined
      this.join(now, seeds)
    }
    if (this.stabilizeAt <= now) {
      this.stabilizeAt = this.jitter(now, this.config.stabilizeMs)
      this.stabilize(now)
    }
    if (this.fixFingersAt <= now) {
      this.fixFingersAt = this.jitter(now, this.config.fixFingersMs)
      this.fixFingers(now)
    }
    if (this.checkPredecessorAt <= now) {
      this.checkPredecessorAt = this.jitter(now, this.config.checkPredecessorMs)
      this.checkPredecessor(now)
    }
    if (this.replicateAt <= now) {
      this.replicateAt = this.jitter(now, this.config.replicateMs)
      this.replicate()
    }
  }

  receive(now: Instant, from: Address, m: ChordMessage): void {
    if (this.stopped) return this.drop(from, 'stopped')
    if (this.config.idsFromAddress && m.sender !== this.addressId(from)) {
      return this.drop(from, 'id_not_owned')
    }
    if (m.sender === this.self.id && !sameAddress(from, this.self.address)) {
      return this.drop(from, 'id_collision')
    }
    const sender: NodeRef = { id: m.sender, address: from }
    switch (m.type) {
      case 'find_successor':
        // Answering from a half-joined view would let joiners build a second ring.
        if (this.joining) return this.drop(from, 'not_joined')
        return this.answerFindSuccessor(sender, m.tid, m.target)
      case 'get_predecessor':
        return this.send(from, {
          type: 'predecessor',
          tid: m.tid,
          sender: this.self.id,
          ...(this.predecessor === undefined ? {} : { predecessor: this.predecessor }),
          successors: this.successors,
        })
      case 'notify':
        return this.notified(from, sender, m.tid)
      case 'leaving':
        return this.neighbourLeaving(sender, m.predecessor, m.successors)
      case 'ping':
        return this.send(from, { type: 'pong', tid: m.tid, sender: this.self.id })
      case 'store':
        if (!this.store.has(m.key) && this.store.size >= this.config.storedKeysMax) {
          return this.drop(from, 'store_full')
        }
        this.store.set(m.key, m.value)
        if (m.tid !== 0) this.send(from, { type: 'stored', tid: m.tid, sender: this.self.id })
        return
      case 'fetch': {
        const value = this.store.get(m.key)
        return this.send(from, {
          type: 'value',
          tid: m.tid,
          sender: this.self.id,
          ...(value === undefined ? {} : { value }),
        })
      }
      case 'remove':
        this.store.delete(m.key)
        return this.send(from, { type: 'removed', tid: m.tid, sender: this.self.id })
      default:
        return this.answered(now, from, m)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Answering

  private answerFindSuccessor(asker: NodeRef, tid: number, target: bigint): void {
    if (this.ring.inHalfOpen(target, this.self.id, this.successor.id)) {
      this.send(asker.address, {
        type: 'found',
        tid,
        sender: this.self.id,
        successors: this.successorList(),
      })
      return
    }
    const candidates = this.closestPreceding(target, this.config.candidates)
    this.send(asker.address, { type: 'next', tid, sender: this.self.id, candidates })
  }

  /** The successor list as answered: at least this node itself when it is alone. */
  private successorList(): NodeRef[] {
    return this.successors.length === 0 ? [this.self] : this.successors
  }

  private notified(from: Address, candidate: NodeRef, tid: number): void {
    // A replayed notify (same sender, same transaction) would repeat a key hand-over.
    const key = addressKey(from)
    if (this.notifiesSeen.get(key) === tid) return this.drop(from, 'replayed_notify')
    if (this.notifiesSeen.size >= 256) this.notifiesSeen.clear()
    this.notifiesSeen.set(key, tid)
    if (candidate.id === this.self.id) return
    const old = this.predecessor
    if (old !== undefined && !this.ring.inOpen(candidate.id, old.id, this.self.id)) return
    this.predecessor = candidate
    if (this.successors.length === 0) this.setSuccessors([candidate])
    // Keys in (old predecessor, new predecessor] now belong to the newcomer.
    let moved = 0
    for (const [k, value] of this.store) {
      if (this.ring.inHalfOpen(k, candidate.id, this.self.id)) continue
      if (old !== undefined && !this.ring.inHalfOpen(k, old.id, candidate.id)) continue
      this.send(from, { type: 'store', tid: 0, sender: this.self.id, key: k, value })
      moved++
    }
    if (moved > 0) this.emit({ type: 'keys_moved', count: moved, direction: 'out' })
    // After a predecessor failure our range grew back to the new predecessor: those keys were
    // replicas here and are now ours (recovered).
    if (old === undefined && this.lostPredecessor !== undefined) {
      let recovered = 0
      for (const k of this.store.keys()) {
        if (this.ring.inHalfOpen(k, candidate.id, this.lostPredecessor)) recovered++
      }
      this.lostPredecessor = undefined
      if (recovered > 0) this.emit({ type: 'keys_moved', count: recovered, direction: 'in' })
    }
  }

  private neighbourLeaving(
    leaver: NodeRef,
    predecessor: NodeRef | undefined,
    successors: readonly NodeRef[],
  ): void {
    const wasSuccessor = this.successor.id === leaver.id
    this.forget(leaver.id)
    if (
      this.predecessor === undefined &&
      predecessor !== undefined &&
      predecessor.id !== this.self.id
    ) {
      this.predecessor = predecessor
    }
    if (wasSuccessor) this.setSuccessors([...successors, ...this.successors])
  }

  // -------------------------------------------------------------------------------------------
  // Maintenance

  /**
   * stabilize, repeated at once (up to `depth` times) while the successor's predecessor is a
   * closer successor: a pointer that overshot after concurrent joins then walks back several
   * nodes a round instead of one.
   */
  private stabilize(now: Instant, depth = 8): void {
    if (this.successors.length === 0) {
      if (this.predecessor !== undefined) this.setSuccessors([this.predecessor])
      else return
    }
    const successor = this.successor
    this.request(now, successor, { type: 'get_predecessor' }, 'maintenance', {
      onAnswer: (t, m) => {
        if (m.type !== 'predecessor') return
        const x = m.predecessor
        // The successor's own list follows it in ours.
        const list = [successor, ...m.successors]
        const closer = x !== undefined && this.ring.inOpen(x.id, this.self.id, successor.id)
        if (closer) list.unshift(x)
        this.setSuccessors(list)
        if (closer && depth > 1) return this.stabilize(t, depth - 1)
        this.request(t, this.successor, { type: 'notify' }, 'maintenance', {
          onAnswer: () => undefined,
          onTimeout: () => undefined,
        })
      },
      onTimeout: () => this.forget(successor.id),
    })
  }

  private checkPredecessor(now: Instant): void {
    const p = this.predecessor
    if (p === undefined) return
    this.request(now, p, { type: 'ping' }, 'maintenance', {
      onAnswer: () => undefined,
      onTimeout: () => {
        if (this.predecessor?.id !== p.id) return
        this.lostPredecessor = p.id
        this.forget(p.id)
      },
    })
  }

  private fixFingers(now: Instant): void {
    const m = this.config.bits
    // Fingers whose start lies in (n, successor] are the successor itself: no message needed.
    let i = this.nextFinger
    while (
      i <= m &&
      this.ring.inHalfOpen(this.ring.fingerStart(this.self.id, i), this.self.id, this.successor.id)
    ) {
      this.setFinger(i, this.successors[0])
      i++
    }
    if (i > m) {
      this.nextFinger = 1
      return
    }
    const start = this.ring.fingerStart(this.self.id, i)
    const first = this.closestPreceding(start, this.config.candidates)
    this.startLookup(now, start, true, first, (_t, result) => {
      if (!result.ok) {
        this.nextFinger = i + 1 > m ? 1 : i + 1
        return
      }
      const s = result.successors[0] as NodeRef
      if (s.id === this.self.id) {
        for (let j = i; j <= m; j++) this.setFinger(j, undefined)
        this.nextFinger = 1
        return
      }
      // Every later finger whose start is still at or before s has s as its successor too.
      const reach = this.ring.distance(this.self.id, s.id)
      let j = i
      while (
        j <= m &&
        this.ring.distance(this.self.id, this.ring.fingerStart(this.self.id, j)) <= reach
      ) {
        this.setFinger(j, s)
        j++
      }
      this.nextFinger = j > m ? 1 : j
    })
  }

  /** Pushes the keys this node owns to its next `replicas - 1` successors. */
  private replicate(): void {
    if (this.predecessor === undefined || this.store.size === 0) return
    const targets = this.successors.slice(0, this.config.replicas - 1)
    for (const [key, value] of this.store) {
      if (!this.ring.inHalfOpen(key, this.predecessor.id, this.self.id)) continue
      for (const t of targets) {
        this.counters.maintenanceSent++
        this.send(t.address, { type: 'store', tid: 0, sender: this.self.id, key, value })
      }
    }
  }

  private adoptJoin(now: Instant, successors: readonly NodeRef[]): void {
    this.joining = false
    this.setSuccessors(successors)
    this.emit({ type: 'joined', successor: this.successor })
    this.stabilizeAt = now
  }

  // -------------------------------------------------------------------------------------------
  // Routing state

  private setSuccessors(list: readonly NodeRef[]): void {
    const seen = new Set<bigint>()
    const out: NodeRef[] = []
    // Sorted clockwise from this node, without itself or duplicates.
    const sorted = list
      .filter((n) => n.id !== this.self.id)
      .sort((a, b) => {
        const da = this.ring.distance(this.self.id, a.id)
        const db = this.ring.distance(this.self.id, b.id)
        return da < db ? -1 : da > db ? 1 : 0
      })
    for (const n of sorted) {
      if (seen.has(n.id)) continue
      seen.add(n.id)
      out.push(n)
      if (out.length >= this.config.successors) break
    }
    this.successors = out
    this.fingerCache = undefined
  }

  private setFinger(i: number, node: NodeRef | undefined): void {
    const old = this.fingers[i - 1]
    if (
      old?.id === node?.id &&
      (old === undefined || sameAddress(old.address, (node as NodeRef).address))
    )
      return
    this.fingers[i - 1] = node
    this.fingerCache = undefined
  }

  /** Drops a node found dead (or gone) from every table. */
  private forget(id: bigint): void {
    if (this.predecessor?.id === id) this.predecessor = undefined
    const before = this.successors.length
    this.successors = this.successors.filter((s) => s.id !== id)
    for (let i = 0; i < this.fingers.length; i++)
      if (this.fingers[i]?.id === id) this.fingers[i] = undefined
    this.fingerCache = undefined
    if (before > 0 && this.successors.length === 0) {
      // The whole successor list is gone: fall back on the nearest finger clockwise.
      const nearest = this.distinctFingers()[0] ?? this.predecessor
      if (nearest !== undefined) this.successors = [nearest]
    }
  }

  /** Distinct fingers, nearest clockwise first. */
  private distinctFingers(): NodeRef[] {
    if (this.fingerCache !== undefined) return this.fingerCache
    const out: NodeRef[] = []
    let last: bigint | undefined
    for (const f of this.fingers) {
      if (f === undefined || f.id === last || f.id === this.self.id) continue
      last = f.id
      if (!out.some((o) => o.id === f.id)) out.push(f)
    }
    out.sort((a, b) => {
      const da = this.ring.distance(this.self.id, a.id)
      const db = this.ring.distance(this.self.id, b.id)
      return da < db ? -1 : da > db ? 1 : 0
    })
    this.fingerCache = out
    return out
  }

  /**
   * The paper's closest_preceding_node, over the fingers and the successor list both: the
   * `count` known nodes in (n, target), closest to the target first.
   */
  closestPreceding(target: bigint, count: number): NodeRef[] {
    const found: NodeRef[] = []
    const consider = (n: NodeRef): void => {
      if (!this.ring.inOpen(n.id, this.self.id, target)) return
      if (found.some((f) => f.id === n.id)) return
      found.push(n)
    }
    for (const n of this.distinctFingers()) consider(n)
    for (const n of this.successors) consider(n)
    found.sort((a, b) => {
      const da = this.ring.distance(a.id, target)
      const db = this.ring.distance(b.id, target)
      return da < db ? -1 : da > db ? 1 : 0
    })
    return found.slice(0, count)
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  private operation(
    now: Instant,
    kind: OverlayOpKind,
    keyBytes: Uint8Array,
    value: Uint8Array | undefined,
  ): number {
    const handle = this.nextHandle++
    const target = this.ring.fromBytes(keyBytes)
    const fail = (error: string, lookup?: Lookup): void =>
      this.emit({
        type: 'op_done',
        handle,
        kind,
        ok: false,
        error,
        trace: { hops: lookup?.hops ?? [], messages: lookup?.messages ?? 0 },
      })
    if (this.stopped) {
      fail('stopped')
      return handle
    }
    if (target === undefined) {
      fail('id_out_of_range')
      return handle
    }
    if (value !== undefined && value.length > VALUE_BYTES_MAX) {
      fail('value_too_large')
      return handle
    }
    const found: Lookup['done'] = (t, result, lookup) => {
      if (!result.ok) return fail(result.error, lookup)
      const owner = result.successors[0] as NodeRef
      const trace = { hops: lookup.hops, messages: lookup.messages }
      const ownerOut = { address: owner.address, id: this.ring.hex(owner.id) }
      if (kind === 'lookup') {
        return this.emit({ type: 'op_done', handle, kind, ok: true, owner: ownerOut, trace })
      }
      const replicas = result.successors.slice(0, this.config.replicas)
      if (kind === 'get') return this.fetchFrom(t, handle, target, replicas, 0, lookup, ownerOut)
      this.writeReplicas(t, handle, kind, target, value, replicas, lookup, ownerOut)
    }
    if (this.gateway !== undefined && this.successors.length === 0 && !this.joining) {
      this.lookupThrough(now, this.gateway, target, found)
    } else {
      this.startLookup(
        now,
        target,
        false,
        this.closestPreceding(target, this.config.candidates),
        found,
      )
    }
    return handle
  }

  /** A client's lookup: the gateway is asked first (its id unknown), then as `lookupStep`. */
  private lookupThrough(
    now: Instant,
    gateway: Address,
    target: bigint,
    done: Lookup['done'],
  ): void {
    const lookup: Lookup = {
      target,
      hops: [],
      messages: 1,
      candidates: [],
      tried: new Set(),
      maintenance: false,
      done,
    }
    this.request(now, { address: gateway }, { type: 'find_successor', target }, 'lookup', {
      onAnswer: (t, m) => {
        const hop = { node: gateway, id: this.ring.hex(m.sender), sentAt: now, answeredAt: t }
        if (m.type === 'found' && m.successors.length > 0) {
          lookup.hops.push({ ...hop, outcome: 'owner' })
          return done(t, { ok: true, successors: m.successors }, lookup)
        }
        if (m.type !== 'next') {
          lookup.hops.push({ ...hop, outcome: 'error' })
          return done(t, { ok: false, error: 'bad_answer' }, lookup)
        }
        lookup.hops.push({ ...hop, outcome: 'next' })
        lookup.tried.add(m.sender)
        this.mergeCandidates(
          lookup,
          m.candidates.filter((c) => this.ring.inOpen(c.id, m.sender, target)),
        )
        this.lookupStep(t, lookup)
      },
      onTimeout: (t) => {
        lookup.hops.push({ node: gateway, sentAt: now, outcome: 'timeout' })
        done(t, { ok: false, error: 'timeout' }, lookup)
      },
    })
  }

  private fetchFrom(
    now: Instant,
    handle: number,
    key: bigint,
    replicas: readonly NodeRef[],
    index: number,
    lookup: Lookup,
    owner: { address: Address; id: string },
  ): void {
    const trace = (): { hops: OverlayHop[]; messages: number } => ({
      hops: lookup.hops,
      messages: lookup.messages,
    })
    const replica = replicas[index]
    if (replica === undefined) {
      return this.emit({
        type: 'op_done',
        handle,
        kind: 'get',
        ok: false,
        error: 'not_found',
        owner,
        trace: trace(),
      })
    }
    const local = replica.id === this.self.id ? this.store.get(key) : undefined
    if (replica.id === this.self.id) {
      if (local !== undefined) {
        return this.emit({
          type: 'op_done',
          handle,
          kind: 'get',
          ok: true,
          value: local,
          owner,
          trace: trace(),
        })
      }
      return this.fetchFrom(now, handle, key, replicas, index + 1, lookup, owner)
    }
    lookup.messages++
    this.request(now, replica, { type: 'fetch', key }, 'storage', {
      onAnswer: (t, m) => {
        if (m.type === 'value' && m.value !== undefined) {
          return this.emit({
            type: 'op_done',
            handle,
            kind: 'get',
            ok: true,
            value: m.value,
            owner,
            trace: trace(),
          })
        }
        this.fetchFrom(t, handle, key, replicas, index + 1, lookup, owner)
      },
      onTimeout: (t) => {
        this.forget(replica.id)
        this.fetchFrom(t, handle, key, replicas, index + 1, lookup, owner)
      },
    })
  }

  private writeReplicas(
    now: Instant,
    handle: number,
    kind: 'put' | 'remove',
    key: bigint,
    value: Uint8Array | undefined,
    replicas: readonly NodeRef[],
    lookup: Lookup,
    owner: { address: Address; id: string },
  ): void {
    let waiting = replicas.length
    let stored = 0
    const finish = (): void => {
      if (--waiting > 0) return
      this.emit({
        type: 'op_done',
        handle,
        kind,
        ok: stored > 0,
        stored,
        owner,
        ...(stored > 0 ? {} : { error: 'no_replica_answered' }),
        trace: { hops: lookup.hops, messages: lookup.messages },
      })
    }
    for (const replica of replicas) {
      if (replica.id === this.self.id) {
        if (kind === 'put') this.store.set(key, value as Uint8Array)
        else this.store.delete(key)
        stored++
        finish()
        continue
      }
      lookup.messages++
      const message: ChordRequest =
        kind === 'put'
          ? { type: 'store', key, value: value as Uint8Array }
          : { type: 'remove', key }
      this.request(now, replica, message, 'storage', {
        onAnswer: (_t, m) => {
          if (m.type === 'stored' || m.type === 'removed') stored++
          finish()
        },
        onTimeout: () => finish(),
      })
    }
  }

  private startLookup(
    now: Instant,
    target: bigint,
    maintenance: boolean,
    first: readonly NodeRef[],
    done: Lookup['done'],
    /** False while joining: this node's own state says nothing about the ring yet. */
    answerLocally = true,
  ): void {
    const lookup: Lookup = {
      target,
      hops: [],
      messages: 0,
      candidates: [],
      tried: new Set(),
      maintenance,
      done,
    }
    // The target is answered here without a message when it lies in (n, successor], or when
    // no known node precedes it (this node alone, or not yet stabilized): the best we know.
    const local =
      first.length === 0 || this.ring.inHalfOpen(target, this.self.id, this.successor.id)
    if (answerLocally && local) {
      return done(now, { ok: true, successors: this.successorList() }, lookup)
    }
    this.mergeCandidates(lookup, first)
    this.lookupStep(now, lookup)
  }

  private mergeCandidates(lookup: Lookup, more: readonly NodeRef[]): void {
    for (const c of more) {
      if (c.id === this.self.id || lookup.tried.has(c.id)) continue
      if (lookup.candidates.some((x) => x.id === c.id)) continue
      lookup.candidates.push(c)
    }
    const t = lookup.target
    lookup.candidates.sort((a, b) => {
      const da = this.ring.distance(a.id, t)
      const db = this.ring.distance(b.id, t)
      return da < db ? -1 : da > db ? 1 : 0
    })
  }

  private lookupStep(now: Instant, lookup: Lookup): void {
    const next = lookup.candidates.shift()
    if (next === undefined) return lookup.done(now, { ok: false, error: 'no_route' }, lookup)
    if (lookup.tried.size >= this.config.lookupStepsMax) {
      return lookup.done(now, { ok: false, error: 'too_many_steps' }, lookup)
    }
    lookup.tried.add(next.id)
    lookup.messages++
    const sentAt = now
    this.request(
      now,
      next,
      { type: 'find_successor', target: lookup.target },
      lookup.maintenance ? 'maintenance' : 'lookup',
      {
        onAnswer: (t, m) => {
          const hop = { node: next.address, id: this.ring.hex(next.id), sentAt, answeredAt: t }
          if (m.type === 'found' && m.successors.length > 0) {
            lookup.hops.push({ ...hop, outcome: 'owner' })
            return lookup.done(t, { ok: true, successors: m.successors }, lookup)
          }
          if (m.type !== 'next') {
            lookup.hops.push({ ...hop, outcome: 'error' })
            return this.lookupStep(t, lookup)
          }
          lookup.hops.push({ ...hop, outcome: 'next' })
          // Only nodes strictly between the asked node and the target are progress.
          const useful = m.candidates.filter((c) => this.ring.inOpen(c.id, next.id, lookup.target))
          this.mergeCandidates(lookup, useful)
          this.lookupStep(t, lookup)
        },
        onTimeout: (t) => {
          lookup.hops.push({
            node: next.address,
            id: this.ring.hex(next.id),
            sentAt,
            outcome: 'timeout',
          })
          this.forget(next.id)
          this.lookupStep(t, lookup)
        },
      },
    )
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private request(
    now: Instant,
    to: NodeRef | { readonly id?: undefined; readonly address: Address },
    message: ChordRequest,
    purpose: 'maintenance' | 'lookup' | 'storage',
    handlers: Pick<Pending, 'onAnswer' | 'onTimeout'>,
  ): void {
    const tid = this.nextTid
    this.nextTid = this.nextTid >= TID_MAX ? 1 : this.nextTid + 1
    this.pending.set(tid, { to, deadline: after(now, ms(this.config.rpcTimeoutMs)), ...handlers })
    if (purpose === 'maintenance') this.counters.maintenanceSent++
    else if (purpose === 'lookup') this.counters.lookupSent++
    else this.counters.storageSent++
    this.send(to.address, { ...message, tid, sender: this.self.id } as ChordMessage)
  }

  private answered(now: Instant, from: Address, m: ChordMessage): void {
    const p = this.pending.get(m.tid)
    if (
      p === undefined ||
      !sameAddress(p.to.address, from) ||
      (p.to.id !== undefined && p.to.id !== m.sender)
    ) {
      return this.drop(from, 'unexpected_answer')
    }
    this.pending.delete(m.tid)
    p.onAnswer(now, m)
  }

  private send(to: Address, message: ChordMessage): void {
    this.outputs.push({ type: 'send', to, message })
  }

  private emit(event: ChordEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  private drop(from: Address, reason: ChordDropReason): void {
    this.counters.dropped++
    this.emit({ type: 'dropped', from, reason })
  }

  private jitter(now: Instant, mean: number): Instant {
    return after(now, ms(mean * (0.5 + this.deps.random.float())))
  }

  private addressId(a: Address): bigint {
    const key = addressKey(a)
    const known = this.idOfAddress.get(key)
    if (known !== undefined) return known
    const hashing = this.deps.hashing
    if (hashing === undefined) throw new RangeError('idsFromAddress needs hashing')
    const id = this.ring.fromDigest(hashing.sha1([utf8(`${a.host}:${a.port}`)]))
    if (this.idOfAddress.size >= 4096) this.idOfAddress.clear()
    this.idOfAddress.set(key, id)
    return id
  }
}

/** A request as the node builds it; `tid` and `sender` are filled in when it is sent. */
type ChordRequest = DistributiveOmit<
  Extract<
    ChordMessage,
    {
      type: 'find_successor' | 'get_predecessor' | 'notify' | 'ping' | 'store' | 'fetch' | 'remove'
    }
  >,
  'tid' | 'sender'
>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
