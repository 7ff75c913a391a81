import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { DatagramCore } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent } from '../overlay/dht.js'
import { PASTRY_LIMITS } from './codec.js'
import { closer } from './id.js'
import type { PastryMessage, PastryRef } from './messages.js'
import { PastryMembership } from './membership.js'

export {
  DEFAULT_PASTRY_CONFIG,
  type PastryConfig,
  type PastryDeps,
  type PastryNodeOptions,
  type PastryStats,
} from './node-types.js'

/**
 * A Pastry node (Rowstron and Druschel, Middleware 2001), sans-IO: 128-bit ids, b = 4,
 * prefix routing with a leaf set of L = 16 and a neighbourhood set of M = 32 by measured RTT,
 * which also decides between candidates for a routing-table slot (proximity). A new node
 * routes its own id through a nearby node and builds its tables from the rows, leaf set and
 * neighbourhood set the hops hand back; RTTs are measured only to choose between candidates.
 * Each heartbeat pings every leaf that has not pinged us within the period (a ping is a
 * keep-alive both ways) and takes the leaf sets of the adjacent one on each side; a silent
 * leaf is dropped, and while the leaf set has that gap every leaf is asked for its own.
 * A routing-table hole is refilled from another entry of the same row.
 */
export class PastryNode
  extends PastryMembership
  implements DatagramCore<PastryMessage, OverlayEvent>, OverlayDht
{
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

  receive(now: Instant, from: Address, message: PastryMessage): void {
    if (this.stopped) return
    if (
      message.type === 'route_reply' ||
      message.type === 'pong' ||
      message.type === 'data_reply'
    ) {
      if (!this.pending.settle(now, from, message.tx, message)) this.dropped++
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
        this.pingedBy.set(message.id, now)
        this.state.consider({ id: message.id, address: from })
        this.send(from, {
          type: 'pong',
          tx: message.tx,
          id: this.id,
          leaves: message.wantLeaves ? this.state.leaves.slice(0, PASTRY_LIMITS.refs) : [],
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
    this.pending.expire(now)
    if (now >= this.nextHeartbeat) {
      this.nextHeartbeat = (now + this.config.heartbeatMs) as Instant
      for (const [id, at] of this.failed) {
        if (at < now - 10 * this.config.heartbeatMs) this.failed.delete(id)
      }
      if (this.isJoined) {
        // Every leaf is checked for liveness. Only the adjacent leaf on each side sends its leaf
        // set (enough to hear of a node that joined between us), or every leaf while ours has
        // a gap: offering 16 leaves from each of 16 pongs was a fifth of a large run's CPU.
        // A leaf that pinged us within the last period is alive (its ping is its keep-alive,
        // as in MSPastry): leaf sets are mutual, so each pair is pinged once a period, not twice.
        const gap = this.state.leafGap()
        const adjacent = new Set(this.state.adjacentLeaves().map((r) => r.id))
        const recent = now - this.config.heartbeatMs
        for (const leaf of this.state.leaves) {
          const asks = gap || adjacent.has(leaf.id)
          if (!asks && (this.pingedBy.get(leaf.id) ?? -Infinity) > recent) continue
          this.probe(now, leaf, asks)
        }
      }
      for (const [id, at] of this.pingedBy)
        if (at <= now - this.config.heartbeatMs) this.pingedBy.delete(id)
      // Copies lost with a crashed leaf are made again on the leaves now closest.
      if (this.isJoined) this.pushReplicas(this.store.values())
    }
  }

  nextTimeout(): Instant | undefined {
    if (this.stopped) return undefined
    return this.pending.nextDeadline(this.nextHeartbeat) as Instant
  }
}
