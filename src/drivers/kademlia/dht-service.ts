/**
 * `DhtAgent` with promises, for the real-world callers that use async/await (the CLI's
 * `plexus dht`, the benches). Code that also runs in the simulator (the `Peer`) drives the
 * agent's callbacks directly: a promise continuation would escape the simulated timeline.
 */
import type { Address } from '../../core/address.js'
import type { BValue } from '../../core/codec/bencode.js'
import type { Id160 } from '../../core/id.js'
import type { DhtNode, DhtStats, PeerLookupOptions } from '../../protocols/kademlia/index.js'
import type { StoredItem } from '../../protocols/kademlia/items.js'
import { promised } from '../promises.js'
import { DhtAgent, type DhtAgentOptions, type DhtDone, type DhtSamples } from './dht-agent.js'

export type { DhtDone } from './dht-agent.js'
export type DhtServiceOptions = DhtAgentOptions

export class DhtService {
  /** Resolves when the start-up bootstrap lookup ended (at once without bootstrap nodes). */
  readonly joined: Promise<void>

  private constructor(readonly agent: DhtAgent) {
    this.joined = new Promise((resolve) => agent.whenJoined(resolve))
  }

  /** Rejects (before anything is bound) when the state file is not ours or the bind fails. */
  static async start(options: DhtServiceOptions): Promise<DhtService> {
    return new DhtService(await promised<DhtAgent>((done) => DhtAgent.start(options, done)))
  }

  get node(): DhtNode {
    return this.agent.node
  }

  get address(): Address {
    return this.agent.address
  }

  /** BEP 32: the IPv6 address of a dual-stack node, else undefined. */
  get address6(): Address | undefined {
    return this.agent.address6
  }

  get port(): number {
    return this.agent.port
  }

  get id(): Id160 {
    return this.agent.id
  }

  stats(): DhtStats {
    return this.agent.stats()
  }

  bootstrap(addresses: readonly Address[]): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.bootstrap(addresses, resolve))
  }

  lookup(target: Id160): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.lookup(target, resolve))
  }

  getPeers(
    infoHash: Id160,
    onPeers?: (peers: readonly Address[]) => void,
    options: PeerLookupOptions = {},
  ): Promise<DhtDone> {
    return new Promise((resolve) =>
      this.agent.getPeers(infoHash, onPeers ?? (() => undefined), resolve, options),
    )
  }

  /** BEP 51: the node's sample (undefined when it did not answer) and the operation's end. */
  async sampleInfohashes(
    address: Address,
    target: Id160,
  ): Promise<{ readonly samples: DhtSamples | undefined; readonly done: DhtDone }> {
    let samples: DhtSamples | undefined
    const done = await new Promise<DhtDone>((resolve) =>
      this.agent.sampleInfohashes(address, target, (s) => (samples = s), resolve),
    )
    return { samples, done }
  }

  announce(
    infoHash: Id160,
    port: number,
    options: {
      impliedPort?: boolean
      seed?: boolean
      onPeers?: (peers: readonly Address[]) => void
    } = {},
  ): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.announce(infoHash, port, options, resolve))
  }

  putImmutable(value: BValue): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.putImmutable(value, resolve))
  }

  putMutable(item: Parameters<DhtNode['putMutable']>[1]): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.putMutable(item, resolve))
  }

  get(
    target: Id160,
    options: { salt?: Uint8Array; seq?: number; onValue?: (item: StoredItem) => void } = {},
  ): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.get(target, options, resolve))
  }

  addNode(address: Address): void {
    this.agent.addNode(address)
  }

  ping(address: Address): Promise<DhtDone> {
    return new Promise((resolve) => this.agent.ping(address, resolve))
  }

  saveState(): Promise<void> {
    return promised<void>((done) => this.agent.saveState(done))
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.agent.close(resolve))
  }
}
