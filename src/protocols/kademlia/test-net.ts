/**
 * A scripted in-memory network for DhtNode tests: nodes by address, datagrams encoded and
 * decoded through the real codec, a fixed one-way latency, and addresses that can be silenced.
 * Time is virtual; `run` steps deliveries and core timeouts in order. Tests only.
 */
import { addressKey, type Address } from '../../core/address.js'
import { instant, type Instant } from '../../core/time.js'
import { familyOf } from './family-tables.js'
import { krpcCodec } from './krpc-codec.js'
import type { DhtNode } from './node.js'
import type { DhtEvent } from './operation.js'

interface Delivery {
  readonly at: number
  readonly seq: number
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

export class TestNet {
  now: Instant = instant(0)
  readonly nodes = new Map<string, DhtNode>()
  readonly events: { readonly node: string; readonly event: DhtEvent }[] = []
  readonly silent = new Set<string>()
  /** Datagrams sent, per destination address key. */
  readonly sentTo = new Map<string, number>()
  datagrams = 0
  /** A dual-stack node's addresses (BEP 32): it sends from the one of the destination's family. */
  private readonly homes = new Map<DhtNode, readonly Address[]>()
  private queue: Delivery[] = []
  private seq = 0

  constructor(readonly latencyMs = 10) {}

  add(address: Address, node: DhtNode): DhtNode {
    this.nodes.set(addressKey(address), node)
    return node
  }

  /** A node reachable at an IPv4 and an IPv6 address; its events are filed under the first. */
  addDual(v4: Address, v6: Address, node: DhtNode): DhtNode {
    this.homes.set(node, [v4, v6])
    this.nodes.set(addressKey(v4), node)
    this.nodes.set(addressKey(v6), node)
    return node
  }

  /** Collects a node's outputs into the queue and the event list. */
  flush(address: Address): void {
    const node = this.nodes.get(addressKey(address))
    if (node === undefined) return
    const homes = this.homes.get(node) ?? [address]
    const key = addressKey(homes[0] as Address)
    for (const output of node.takeOutputs()) {
      if (output.type === 'event') {
        this.events.push({ node: key, event: output.event })
        continue
      }
      const family = familyOf(output.to.host)
      const from = homes.find((home) => familyOf(home.host) === family) ?? address
      this.inject(from, output.to, krpcCodec.encode(output.message))
    }
  }

  /** Queues raw bytes from `from` to `to`. */
  inject(from: Address, to: Address, bytes: Uint8Array): void {
    const toKey = addressKey(to)
    this.datagrams++
    this.sentTo.set(toKey, (this.sentTo.get(toKey) ?? 0) + 1)
    const delivery = { at: this.now + this.latencyMs, seq: this.seq++, from, to, bytes }
    this.queue.push(delivery)
  }

  flushAll(): void {
    for (const key of this.nodes.keys()) this.flush(parseKey(key))
  }

  /** Runs deliveries and timeouts until `until` or until nothing is left to do. */
  run(until: number): void {
    this.flushAll()
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq)
      let nextTimer = Infinity
      let timerKey: string | undefined
      for (const [key, node] of this.nodes) {
        const at = node.nextTimeout()
        if (at !== undefined && at < nextTimer) {
          nextTimer = at
          timerKey = key
        }
      }
      const delivery = this.queue[0]
      const deliveryAt = delivery?.at ?? Infinity
      if (Math.min(deliveryAt, nextTimer) > until) break
      if (delivery !== undefined && deliveryAt <= nextTimer) {
        this.queue.shift()
        this.now = instant(delivery.at)
        const toKey = addressKey(delivery.to)
        const node = this.nodes.get(toKey)
        if (node === undefined || this.silent.has(toKey)) continue
        const decoded = krpcCodec.decode(delivery.bytes)
        if (!decoded.ok) continue
        node.receive(this.now, delivery.from, decoded.value)
        this.flush(delivery.to)
      } else if (timerKey !== undefined) {
        this.now = instant(nextTimer)
        ;(this.nodes.get(timerKey) as DhtNode).timeout(this.now)
        this.flush(parseKey(timerKey))
      }
    }
    this.now = instant(Math.max(this.now, Math.min(until, this.now + 0)))
  }

  eventsOf(type: DhtEvent['type']): DhtEvent[] {
    return this.events.filter((e) => e.event.type === type).map((e) => e.event)
  }
}

function parseKey(key: string): Address {
  const at = key.lastIndexOf(':')
  return { host: key.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(key.slice(at + 1)) }
}
