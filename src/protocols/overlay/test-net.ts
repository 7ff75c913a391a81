/**
 * A scripted in-memory network for overlay core tests (CAN, Pastry): cores by address,
 * datagrams encoded and decoded through the real codec, a one-way latency per link (a
 * function, so proximity tests can shape it), and addresses that can be silenced. Time is
 * virtual; `run` steps deliveries and core timeouts in order. Tests only.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Codec, DatagramCore } from '../../core/core.js'
import { instant, type Instant } from '../../core/time.js'
import type { OverlayEvent } from './dht.js'

interface Delivery {
  readonly at: number
  readonly seq: number
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

export class OverlayTestNet<Message, Core extends DatagramCore<Message, OverlayEvent>> {
  now: Instant = instant(0)
  readonly nodes = new Map<string, Core>()
  readonly events: { readonly node: string; readonly event: OverlayEvent }[] = []
  readonly silent = new Set<string>()
  datagrams = 0
  malformed = 0
  private queue: Delivery[] = []
  private seq = 0

  constructor(
    private readonly codec: Codec<Message, unknown>,
    readonly latency: (from: Address, to: Address) => number = () => 10,
  ) {}

  add(address: Address, core: Core): Core {
    this.nodes.set(addressKey(address), core)
    return core
  }

  flush(address: Address): void {
    const key = addressKey(address)
    const core = this.nodes.get(key)
    if (core === undefined) return
    for (const output of core.takeOutputs()) {
      if (output.type === 'event') this.events.push({ node: key, event: output.event })
      else this.inject(address, output.to, this.codec.encode(output.message))
    }
  }

  inject(from: Address, to: Address, bytes: Uint8Array): void {
    this.datagrams++
    this.queue.push({ at: this.now + this.latency(from, to), seq: this.seq++, from, to, bytes })
  }

  /** Runs deliveries and timeouts until `until` (virtual ms) or until nothing is left. */
  run(until: number): void {
    for (;;) {
      let nextTimer = Infinity
      let timerKey: string | undefined
      for (const [key, core] of this.nodes) {
        if (this.silent.has(key)) continue
        const t = core.nextTimeout()
        if (t !== undefined && t < nextTimer) {
          nextTimer = t
          timerKey = key
        }
      }
      let best = -1
      for (let i = 0; i < this.queue.length; i++) {
        const d = this.queue[i] as Delivery
        const b = best < 0 ? undefined : (this.queue[best] as Delivery)
        if (b === undefined || d.at < b.at || (d.at === b.at && d.seq < b.seq)) best = i
      }
      const delivery = best < 0 ? undefined : (this.queue[best] as Delivery)
      const deliveryAt = delivery?.at ?? Infinity
      if (Math.min(deliveryAt, nextTimer) > until) {
        this.now = instant(Math.max(this.now, until))
        return
      }
      if (delivery !== undefined && deliveryAt <= nextTimer) {
        this.queue.splice(best, 1)
        this.now = instant(Math.max(this.now, delivery.at))
        const key = addressKey(delivery.to)
        const core = this.nodes.get(key)
        if (core === undefined || this.silent.has(key)) continue
        const decoded = this.codec.decode(delivery.bytes)
        if (!decoded.ok) {
          this.malformed++
          continue
        }
        core.receive(this.now, delivery.from, decoded.value as Message)
        this.flush(delivery.to)
      } else if (timerKey !== undefined) {
        this.now = instant(Math.max(this.now, nextTimer))
        const core = this.nodes.get(timerKey) as Core
        core.timeout(this.now)
        const [host, port] = splitKey(timerKey)
        this.flush({ host, port })
      }
    }
  }

  /** The op_done event for `handle` at `address`, if it has arrived. */
  done(address: Address, handle: number): Extract<OverlayEvent, { type: 'op_done' }> | undefined {
    const key = addressKey(address)
    for (const e of this.events) {
      if (e.node === key && e.event.type === 'op_done' && e.event.handle === handle) return e.event
    }
    return undefined
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':')
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

export type { Instant }
