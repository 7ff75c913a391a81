import type { Address } from '../../core/address.js'
import type { DatagramCore } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent } from '../overlay/dht.js'
import type { CanMessage } from './messages.js'
import { buddyOf, contains } from './zone.js'
import { CanMembership } from './membership.js'

export type { CanDeps, CanNodeOptions, CanStats } from './node-types.js'

/**
 * A CAN node (Ratnasamy et al., SIGCOMM 2001), sans-IO. It owns one zone of the d-torus
 * (more for a while after taking over a failed neighbour's), knows the nodes whose zones abut
 * its own, and stores the items whose key hashes into its zones. Lookups are greedy: each hop
 * names the neighbour whose zone lies closest to the point. Joins split the owner's zone
 * (dimensions in turn); a silent neighbour's zone is taken over by the live neighbour with the
 * smallest volume (the paper's rule, with ranked delays instead of its volume-scaled timers);
 * and a node holding two zones hands one to its buddy's owner so that zones do not fragment.
 */
export class CanNode
  extends CanMembership
  implements DatagramCore<CanMessage, OverlayEvent>, OverlayDht
{
  leave(_now: Instant): void {
    if (this.stopped) return
    const all = [...this.neighbours.values()]
    for (const zone of this.zonesOwned) {
      const buddy = all.find((n) => n.info.zones.length === 1 && n.info.zones[0] === buddyOf(zone))
      const heir = buddy ?? this.smallestAdjacent(zone, all)
      if (heir === undefined) continue
      this.send(heir.info.address, {
        type: 'give',
        tx: this.pending.nextId(),
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

  receive(now: Instant, from: Address, message: CanMessage): void {
    if (this.stopped) return
    if ('tx' in message && message.type.endsWith('_reply')) {
      // A reply from anyone but the node asked is dropped: it cannot settle our request.
      if (!this.pending.settle(now, from, message.tx, message)) this.dropped++
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
    this.pending.expire(now)
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
    let next = this.pending.nextDeadline(this.nextHeartbeat)
    for (const t of this.takeovers.values()) next = Math.min(next, t.at)
    return next as Instant
  }
}
