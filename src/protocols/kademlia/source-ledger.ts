/**
 * Who holds how much of a bounded store. Every stored entry (a BEP 44 item, an announced peer,
 * a swarm) has an owner: the source address that stored it and that address's prefix (/24 in
 * IPv4, /48 in IPv6: what an attacker pays for). The ledger refuses a source or a prefix that
 * has filled its share, and, when the store as a whole is full, names the prefix that holds
 * the most (the only place a newcomer may take room from). Many addresses in a few prefixes
 * therefore cannot flush what others stored: they hit the per-prefix cap and are refused.
 *
 * Counts change by one at a time, so the largest prefix is tracked in O(1) with one set of
 * prefixes per count.
 */
import type { Address } from '../../core/address.js'
import { ipToBytes } from '../../core/ip-bytes.js'
import { isLocalAddress } from './bep42.js'

export interface Owner {
  /** The source address (its host; host:port for an exempt local source). */
  readonly source: string
  /** Its /24 (IPv4) or /48 (IPv6); the source itself for an exempt local source. */
  readonly prefix: string
}

export interface StorageQuota {
  /** Entries one source address may hold. */
  readonly perSourceMax: number
  /** Entries one prefix (/24 IPv4, /48 IPv6) may hold. */
  readonly perPrefixMax: number
}

/** The /24 (IPv4) or /48 (IPv6) of `host`; the host itself when it is not an IP literal. */
export function storagePrefix(host: string): string {
  const ip = ipToBytes(host)
  if (ip === undefined) return host
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}/24`
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff
  if (mapped) return `${ip[12]}.${ip[13]}.${ip[14]}/24`
  return `${Array.from(ip.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join('')}/48`
}

/**
 * The owner of what `from` stores. With `exemptLocal` (tests and LANs, where many nodes share
 * one host), a loopback or private source is counted per address and port instead.
 */
export function ownerOf(from: Address, exemptLocal: boolean): Owner {
  if (exemptLocal && isLocalAddress(from.host)) {
    const key = `${from.host}:${from.port}`
    return { source: key, prefix: key }
  }
  return { source: from.host, prefix: storagePrefix(from.host) }
}

/** A ledger's indexes; made on the first entry (most DHT nodes never store anything). */
interface LedgerMaps {
  readonly bySource: Map<string, number>
  /** prefix -> keys of the entries it owns. */
  readonly byPrefix: Map<string, Set<string>>
  /** count -> prefixes owning exactly that many entries (count >= 1). */
  readonly prefixesByCount: Map<number, Set<string>>
}

const NO_KEYS: ReadonlySet<string> = new Set()

export class SourceLedger {
  // Three Maps per ledger, three ledgers per node: a simulated 100,000-node DHT held 900,000
  // of them, empty, since almost every node stores nothing.
  private maps: LedgerMaps | undefined
  private largest = 0

  constructor(private readonly quota: StorageQuota) {}

  private get m(): LedgerMaps {
    return (this.maps ??= { bySource: new Map(), byPrefix: new Map(), prefixesByCount: new Map() })
  }

  /** True when `owner` may store one more entry (its source and prefix are under quota). */
  admits(owner: Owner): boolean {
    return (
      (this.maps?.bySource.get(owner.source) ?? 0) < this.quota.perSourceMax &&
      this.prefixCount(owner.prefix) < this.quota.perPrefixMax
    )
  }

  prefixCount(prefix: string): number {
    return this.maps?.byPrefix.get(prefix)?.size ?? 0
  }

  /**
   * When the store is full: the prefix a newcomer from `owner` may take room from, i.e. the
   * one holding the most entries, if it holds at least two more than the newcomer's prefix
   * (so repeated evictions converge on equal shares rather than swapping). Undefined: refuse.
   */
  evictionPrefix(owner: Owner): string | undefined {
    if (this.largest < this.prefixCount(owner.prefix) + 2) return undefined
    const prefixes = this.maps?.prefixesByCount.get(this.largest)
    const first = prefixes?.values().next()
    return first === undefined || first.done === true ? undefined : first.value
  }

  /** The keys of the entries `prefix` owns (live view: copy before removing while iterating). */
  keysOf(prefix: string): ReadonlySet<string> {
    return this.maps?.byPrefix.get(prefix) ?? NO_KEYS
  }

  add(owner: Owner, key: string): void {
    const { bySource, byPrefix } = this.m
    bySource.set(owner.source, (bySource.get(owner.source) ?? 0) + 1)
    let keys = byPrefix.get(owner.prefix)
    if (keys === undefined) {
      keys = new Set()
      byPrefix.set(owner.prefix, keys)
    }
    const before = keys.size
    keys.add(key)
    this.moveCount(owner.prefix, before, keys.size)
  }

  remove(owner: Owner, key: string): void {
    const maps = this.maps
    if (maps === undefined) return
    const sourceCount = (maps.bySource.get(owner.source) ?? 0) - 1
    if (sourceCount > 0) maps.bySource.set(owner.source, sourceCount)
    else maps.bySource.delete(owner.source)
    const keys = maps.byPrefix.get(owner.prefix)
    if (keys === undefined || !keys.delete(key)) return
    if (keys.size === 0) maps.byPrefix.delete(owner.prefix)
    this.moveCount(owner.prefix, keys.size + 1, keys.size)
  }

  private moveCount(prefix: string, from: number, to: number): void {
    if (from === to) return
    const { prefixesByCount } = this.m
    if (from > 0) {
      const set = prefixesByCount.get(from)
      set?.delete(prefix)
      if (set !== undefined && set.size === 0) prefixesByCount.delete(from)
    }
    if (to > 0) {
      let set = prefixesByCount.get(to)
      if (set === undefined) {
        set = new Set()
        prefixesByCount.set(to, set)
      }
      set.add(prefix)
    }
    if (to > this.largest) this.largest = to
    // Counts move by one: when the largest count empties, the next is one lower (or none).
    while (this.largest > 0 && !prefixesByCount.has(this.largest)) this.largest--
  }
}
