/**
 * A scripted in-memory network for ChordNode tests: datagrams go through the real codec, with a
 * fixed one-way latency; addresses can be silenced (a crash). Time is virtual: `run` steps
 * deliveries and core timeouts in order. Tests only.
 */
import { address, addressKey, type Address } from '../../core/address.js'
import { SeededRandom } from '../../core/random.js'
import { instant, type Instant } from '../../core/time.js'
import { chordCodec } from './codec.js'
import type { ChordConfig } from './config.js'
import { ChordNode, type ChordEvent } from './node.js'
import { Ring } from './ring.js'

interface Delivery {
  readonly at: number
  readonly seq: number
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

export class ChordTestNet {
  now: Instant = instant(0)
  readonly nodes = new Map<string, ChordNode>()
  readonly events: { readonly node: string; readonly event: ChordEvent }[] = []
  readonly silent = new Set<string>()
  datagrams = 0
  readonly codec
  private queue: Delivery[] = []
  private seq = 0
  private readonly random: SeededRandom

  constructor(
    readonly config: Partial<ChordConfig>,
    seed = 1,
    readonly latencyMs = 10,
  ) {
    this.codec = chordCodec(new Ring(config.bits ?? 160))
    this.random = new SeededRandom(seed)
  }

  /** A node at 10.0.0.<n>:4000 (port 4000 + n / 250 beyond that). */
  addressOf(n: number): Address {
    return address(`10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`, 4000)
  }

  add(n: number, id?: bigint): ChordNode {
    const a = this.addressOf(n)
    const node = new ChordNode(
      this.now,
      { random: this.random.fork(`node${n}`) },
      { config: this.config, address: a, ...(id === undefined ? {} : { id }) },
    )
    this.nodes.set(addressKey(a), node)
    return node
  }

  node(n: number): ChordNode {
    return this.nodes.get(addressKey(this.addressOf(n))) as ChordNode
  }

  /** Takes every node's outputs into the queue and the event list. */
  flushAll(): void {
    for (const [key, node] of this.nodes) {
      for (const output of node.takeOutputs()) {
        if (output.type === 'event') this.events.push({ node: key, event: output.event })
        else this.inject(node.self.address, output.to, this.codec.encode(output.message))
      }
    }
  }

  inject(from: Address, to: Address, bytes: Uint8Array): void {
    this.datagrams++
    this.queue.push({ at: this.now + this.latencyMs, seq: this.seq++, from, to, bytes })
  }

  /** Runs deliveries and timeouts until `until` (virtual ms). */
  run(until: number): void {
    this.flushAll()
    for (;;) {
      let nextTimer = Infinity
      for (const [key, node] of this.nodes) {
        if (this.silent.has(key)) continue
        const t = node.nextTimeout()
        if (t !== undefined && t < nextTimer) nextTimer = t
      }
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const d = this.queue[0]
      const next = Math.min(d?.at ?? Infinity, nextTimer)
      if (next > until) break
      this.now = instant(next)
      if (d !== undefined && d.at === next) {
        this.queue.shift()
        const key = addressKey(d.to)
        const node = this.nodes.get(key)
        if (node !== undefined && !this.silent.has(key)) {
          const decoded = this.codec.decode(d.bytes)
          if (decoded.ok) node.receive(this.now, d.from, decoded.value)
        }
      } else {
        for (const [key, node] of this.nodes) {
          const t = node.nextTimeout()
          if (!this.silent.has(key) && t !== undefined && t <= this.now) node.timeout(this.now)
        }
      }
      this.flushAll()
    }
    this.now = instant(until)
  }

  /** The op_done event for `handle` at node n. */
  done(n: number, handle: number): Extract<ChordEvent, { type: 'op_done' }> | undefined {
    const key = addressKey(this.addressOf(n))
    for (const e of this.events) {
      if (e.node === key && e.event.type === 'op_done' && e.event.handle === handle) return e.event
    }
    return undefined
  }
}
