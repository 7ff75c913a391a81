import { type Address, addressKey, sameAddress } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Instant } from '../../core/time.js'
import { CAN_LIMITS } from './codec.js'
import type { CanMessage, CanNodeInfo } from './messages.js'
import { randomPoint } from './space.js'
import {
  anyAdjacent,
  buddyOf,
  carveOut,
  contains,
  halfFor,
  largestOf,
  overlapping,
  parentOf,
  type Point,
  volumeOf,
  type ZonePath,
} from './zone.js'
import type { Neighbour, Op, Takeover } from './node-types.js'
import { CanStorage } from './storage.js'

/**
 * Membership: the first node, joins that split a zone (dimensions in turn), neighbour updates
 * and heartbeats, takeover of a silent neighbour's zones, and background reassignment so that
 * zones do not fragment. The fourth layer of `CanNode`.
 */
export abstract class CanMembership extends CanStorage {
  /** The first node: it owns the whole space. */
  create(): void {
    this.zonesOwned = ['']
  }

  /**
   * Starts as a member with a zone and neighbours assigned elsewhere (the simulator's central
   * build for very large N, where routing every join would cost more than the measurement).
   * No messages are sent: the first heartbeat tells the neighbours our neighbour list.
   */
  install(now: Instant, zones: readonly ZonePath[], neighbours: readonly CanNodeInfo[]): void {
    this.zonesOwned = [...zones]
    for (const n of neighbours) this.learn(now, n, [], true)
  }

  /** Join through `bootstrap`: find the owner of `point` (random by default) and split. */
  join(now: Instant, bootstrap: Address, point?: Point): void {
    const op = this.newOp('join', point ?? randomPoint(this.random, this.config))
    op.entry = bootstrap
    this.route(now, op)
  }

  /**
   * Asks `owner` to make room. With uniform partitioning the owner of the point may answer
   * with a larger neighbour instead; that one is asked once, `redirected`, and splits its own.
   */
  protected askToJoin(now: Instant, op: Op, owner: CanNodeInfo, redirected = false): void {
    op.messages++
    this.request(
      now,
      owner.address,
      (tx) => ({ type: 'join', tx, id: this.id, point: op.point, redirected }),
      (at, reply) => {
        if (reply.type !== 'join_reply') return this.fail(op, 'bad_reply')
        if (!reply.accepted && reply.redirect !== undefined && !redirected) {
          return this.askToJoin(at, op, reply.redirect, true)
        }
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

  protected onJoin(now: Instant, from: Address, m: Extract<CanMessage, { type: 'join' }>): void {
    const dims = this.config.dims
    const refuse = (redirect?: CanNodeInfo): void => {
      this.send(from, {
        type: 'join_reply',
        tx: m.tx,
        accepted: false,
        zones: [],
        neighbours: [],
        ...(redirect === undefined ? {} : { redirect }),
      })
    }
    if (m.point.length !== dims || sameAddress(from, this.self)) return refuse()
    // Sent on by the point's owner: our largest zone is the one to split (uniform partitioning).
    const zone = m.redirected
      ? largestOf(this.zonesOwned)
      : this.zonesOwned.find((z) => contains(z, dims, m.point))
    if (zone === undefined) return refuse()
    if (!m.redirected && this.config.uniformPartitioning && this.zonesOwned.length === 1) {
      const larger = this.largerNeighbour(volumeOf(zone))
      if (larger !== undefined) return refuse(larger)
    }
    let given: ZonePath
    if (this.zonesOwned.length > 1) {
      // Holding a taken-over zone: hand it over whole rather than split (no fragmentation).
      given = zone
      this.zonesOwned = this.zonesOwned.filter((z) => z !== zone)
    } else {
      if (zone.length >= this.config.sideBits * dims) return refuse()
      given = halfFor(zone, dims, m.point)
      this.zonesOwned = [buddyOf(given)]
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
    // Tell every old neighbour the new shape, and the newcomer in our list (so that those
    // abutting its zone greet it), before dropping those no longer adjacent.
    this.learn(now, newcomer, [], true)
    this.announce()
    this.prune()
  }

  /**
   * The live neighbour holding the largest zone, when it is larger than `volume` (ties: the
   * smaller id). Volumes are powers of two, so "larger" means at least twice ours.
   */
  protected largerNeighbour(volume: number): CanNodeInfo | undefined {
    let best: CanNodeInfo | undefined
    let bestVolume = volume
    for (const [key, n] of this.neighbours) {
      if (this.dead.has(key)) continue
      const largest = largestOf(n.info.zones)
      if (largest === undefined) continue
      const v = volumeOf(largest)
      if (v > bestVolume || (v === bestVolume && best !== undefined && n.info.id < best.id)) {
        best = n.info
        bestVolume = v
      }
    }
    return best
  }

  /** Adds or refreshes a node when its zones abut ours; forgets it otherwise. */
  protected learn(
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

  protected prune(): void {
    for (const [key, n] of this.neighbours) {
      if (!anyAdjacent(this.zonesOwned, n.info.zones, this.config.dims)) this.neighbours.delete(key)
    }
  }

  protected onUpdate(
    now: Instant,
    from: Address,
    m: Extract<CanMessage, { type: 'update' }>,
  ): void {
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
      if (this.farFromUs(n)) continue
      const nk = addressKey(n.address)
      if (sameAddress(n.address, this.self) || this.neighbours.has(nk) || this.dead.has(nk))
        continue
      if (!anyAdjacent(this.zonesOwned, n.zones, this.config.dims)) {
        // Overlapping zones do not abut, so two claimants of one zone might never meet:
        // tell it first-hand, and its answer settles the claim (`resolveConflicts`).
        if (this.zonesOwned.some((z) => n.zones.some((c) => overlapping(z, c)))) {
          this.sendUpdate(n.address)
        }
        this.farInfos.add(n)
        continue
      }
      this.learn(now, n, [])
      this.sendUpdate(n.address)
    }
  }

  /**
   * Infos (immutable, shared by the codec) already found not to abut our zones as they are
   * now: every update repeats the sender's neighbours, most of them not ours, and testing each
   * again was a tenth of a run at d = 4. Forgotten whenever our zones change (`zonesOwned` is
   * replaced, never changed in place).
   */
  private farInfos = new WeakSet<CanNodeInfo>()
  private farInfosFor: readonly ZonePath[] = []

  private farFromUs(info: CanNodeInfo): boolean {
    if (this.farInfosFor !== this.zonesOwned) {
      this.farInfos = new WeakSet()
      this.farInfosFor = this.zonesOwned
    }
    return this.farInfos.has(info)
  }

  /**
   * Two nodes claim overlapping zones, heard first-hand (concurrent takeovers, or a takeover
   * from a stale view of the dead node: it claims a zone of which a live node already holds a
   * part). The same zone: the smaller id keeps it. A zone we took over and a part of it: the
   * part's holder keeps the part and we carve it out, keeping the rest; the part's holder answers
   * with an update so that the other hears the part first-hand and carves. Both ends decide
   * alike, so a crossing of updates cannot leave both or neither holding the part.
   */
  /**
   * Two nodes claim overlapping zones, heard first-hand. The same zone (concurrent takeovers):
   * the smaller id keeps it. A zone and a part of it (a takeover made from a stale view of the
   * dead node, or a merge the giver still announces until our reply reaches it): when the
   * part's holder holds other zones too, it gives the part up to the whole's holder; when the
   * part is all it holds, the whole's holder carves the part out and keeps the rest
   * (`carveOut`), so that no node is left without a zone. Both ends decide alike from the
   * same two claims; the end that does not act answers with an update so that the other
   * hears the claim first-hand and does.
   */
  protected resolveConflicts(other: CanNodeInfo): void {
    if (sameAddress(other.address, this.self)) return
    let kept = this.zonesOwned
    const dropped: ZonePath[] = []
    let tellThem = false
    for (const theirs of other.zones) {
      for (const mine of kept) {
        if (!overlapping(mine, theirs)) continue
        if (mine === theirs) {
          if (this.id < other.id) continue
          dropped.push(mine)
          kept = kept.filter((z) => z !== mine)
        } else if (theirs.startsWith(mine)) {
          // We hold the whole.
          const rest = carveOut(mine, theirs)
          if (other.zones.length > 1 || kept.length - 1 + rest.length > CAN_LIMITS.zonesPerNode) {
            tellThem = true
            continue
          }
          dropped.push(theirs)
          kept = [...kept.filter((z) => z !== mine), ...rest]
        } else if (kept.length > 1) {
          // We hold a part, and other zones besides.
          dropped.push(mine)
          kept = kept.filter((z) => z !== mine)
        } else tellThem = true
        break
      }
    }
    if (tellThem) this.sendUpdate(other.address)
    if (dropped.length === 0) return
    this.zonesOwned = kept
    const dims = this.config.dims
    const moving = [...this.store.values()].filter((s) =>
      dropped.some((z) => contains(z, dims, s.point)),
    )
    for (const s of moving) this.store.delete(toHex(s.key))
    this.handoff(other.address, 'primary', moving)
    this.prune()
  }

  protected heartbeat(now: Instant): void {
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

  protected announce(): void {
    for (const n of this.neighbours.values()) this.sendUpdate(n.info.address)
  }

  protected sendUpdate(to: Address): void {
    this.maintenanceSent++
    this.send(to, {
      type: 'update',
      id: this.id,
      zones: [...this.zonesOwned],
      neighbours: this.heardInfos(),
    })
  }

  /**
   * The paper: every neighbour of a failed node starts a timer proportional to its own
   * volume and the first to fire takes over. Here each computes the same ranking from the
   * failed node's last neighbour list (smallest volume first, then id) and waits rank
   * heartbeats, so the smallest live neighbour takes over and the next steps in if it is silent.
   */
  protected planTakeover(now: Instant, gone: Neighbour): void {
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

  protected takeOver(now: Instant, t: Takeover): void {
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

  /** Merge buddy zones; give a spare zone to the owner of its buddy, which merges them. */
  protected reassign(now: Instant): void {
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

  protected onGive(now: Instant, from: Address, m: Extract<CanMessage, { type: 'give' }>): void {
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
    // The giver no longer holds the zone: a leaving node holds nothing, and our announcement
    // must not name it to the others as the owner of what it gave us.
    if (giver !== undefined) {
      const kept = giver.info.zones.filter((z) => z !== m.zone)
      if (kept.length === 0) this.neighbours.delete(addressKey(from))
      else this.learn(now, { ...giver.info, zones: kept }, giver.theirs, true)
    }
    this.announce()
    this.sendUpdate(from)
  }
}
