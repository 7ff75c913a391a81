/**
 * The addresses the fetcher knows: candidates to dial, hosts never to dial again, and peers
 * that spoke BitTorrent for our info-hash (handed to the swarm at the end). All three are
 * bounded: a tracker or PEX can hand us any number of addresses. The next dial is a random
 * candidate, so that a block of bad addresses from one source does not stall the fetch at the
 * head of a queue.
 */
import { addressKey, type Address } from '../../../core/address.js'
import type { Random } from '../../../core/random.js'
import { ipToBytes } from '../wire/index.js'
import type { MetadataConfig } from './config.js'

export class PeerBook {
  private readonly list: Address[] = []
  private readonly keys = new Set<string>()
  /** Insertion-ordered, so the oldest ban is forgotten first when full. */
  private readonly banned = new Set<string>()
  private readonly known = new Map<string, Address>()

  constructor(private readonly config: MetadataConfig) {}

  get candidateCount(): number {
    return this.list.length
  }

  /** Adds a dialable address not yet known; false when invalid, banned, known or full. */
  add(address: Address): boolean {
    if (!Number.isInteger(address.port) || address.port <= 0 || address.port > 0xffff) return false
    // A sans-IO core cannot resolve names: IP literals only (the driver resolves the rest).
    if (ipToBytes(address.host) === undefined || this.banned.has(address.host)) return false
    const key = addressKey(address)
    if (this.keys.has(key) || this.list.length >= this.config.candidatesMax) return false
    this.keys.add(key)
    this.list.push({ host: address.host, port: address.port })
    return true
  }

  /** Removes and returns a random candidate. */
  take(random: Random): Address | undefined {
    if (this.list.length === 0) return undefined
    const index = random.int(this.list.length)
    const last = this.list.pop() as Address
    const chosen = index < this.list.length ? (this.list[index] as Address) : last
    if (chosen !== last) this.list[index] = last
    this.keys.delete(addressKey(chosen))
    return chosen
  }

  /** The peer at `address` passed the BEP 3 handshake for our info-hash. */
  remember(address: Address): void {
    if (this.banned.has(address.host) || this.known.size >= this.config.knownPeersMax) return
    this.known.set(addressKey(address), address)
  }

  knownAddresses(): Address[] {
    return [...this.known.values()]
  }

  /** Forgets every address of `host` and refuses it from now on. */
  ban(host: string): void {
    if (this.banned.has(host)) return
    if (this.banned.size >= this.config.bannedHostsMax) {
      const oldest = this.banned.values().next()
      if (oldest.done !== true) this.banned.delete(oldest.value)
    }
    this.banned.add(host)
    for (const [key, address] of this.known) if (address.host === host) this.known.delete(key)
    for (let i = this.list.length - 1; i >= 0; i--) {
      const address = this.list[i] as Address
      if (address.host !== host) continue
      this.keys.delete(addressKey(address))
      this.list.splice(i, 1)
    }
  }

  isBanned(host: string): boolean {
    return this.banned.has(host)
  }
}
