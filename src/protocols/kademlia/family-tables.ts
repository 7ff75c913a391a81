/**
 * BEP 32: one routing table per address family the node takes part in, with the same id in
 * each. A node is filed by the family of its address; a family we do not take part in (no
 * socket for it) is ignored, so that we never try to reach an address we cannot send to.
 * Lookups draw their first candidates from every table, closest first.
 */
import type { Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import { compareDistance, type Id160 } from '../../core/id.js'
import type { Instant } from '../../core/time.js'
import type { RoutingConfig } from './config.js'
import type { KrpcQuery, NodeInfo } from './messages.js'
import { RoutingTable, type Heard, type InsertResult, type RoutingNode } from './routing-table.js'

/** The family of an address literal, cheaply: every IPv6 literal has a colon, no IPv4 one does. */
export const familyOf = (host: string): IpFamily => (host.includes(':') ? 'ipv6' : 'ipv4')

const IGNORED: InsertResult = { outcome: 'ignored' }

export class FamilyTables {
  private readonly tables: Partial<Record<IpFamily, RoutingTable>> = {}

  constructor(
    ownId: Id160,
    private readonly config: RoutingConfig,
    now: Instant,
    readonly families: readonly IpFamily[],
  ) {
    for (const family of families) this.tables[family] = new RoutingTable(ownId, config, now)
  }

  /** The tables by family (the server answers `want` from them). */
  get byFamily(): Readonly<Partial<Record<IpFamily, RoutingTable>>> {
    return this.tables
  }

  get dualStack(): boolean {
    return this.families.length > 1
  }

  table(family: IpFamily): RoutingTable | undefined {
    return this.tables[family]
  }

  heard(now: Instant, id: Id160, address: Address, how: Heard): InsertResult {
    return this.tables[familyOf(address.host)]?.heard(now, id, address, how) ?? IGNORED
  }

  /** Offers nodes named in a reply (unverified); returns how many went into a table. */
  learn(now: Instant, nodes: readonly NodeInfo[]): number {
    let added = 0
    for (const n of nodes)
      if (this.heard(now, n.id, n.address, 'learned').outcome === 'added') added++
    return added
  }

  /** New tables around `id` (BEP 42: our id followed our external IP), our nodes re-filed. */
  rebuiltFor(now: Instant, id: Id160): FamilyTables {
    const tables = new FamilyTables(id, this.config, now, this.families)
    for (const node of this.allNodes()) {
      tables.heard(now, node.id, node.address, node.lastResponse >= 0 ? 'response' : 'learned')
    }
    return tables
  }

  failed(now: Instant, address: Address): void {
    this.tables[familyOf(address.host)]?.failed(now, address)
  }

  /** The node at `address` answered under another id than `id` (see RoutingTable.forget). */
  forget(now: Instant, address: Address, id: Id160): void {
    this.tables[familyOf(address.host)]?.forget(now, address, id)
  }

  /** Up to `count` nodes closest to `target` from each table, merged closest first. */
  closest(now: Instant, target: Id160, count: number): RoutingNode[] {
    if (this.families.length === 1) {
      return (this.tables[this.families[0] as IpFamily] as RoutingTable).closest(now, target, count)
    }
    const all: RoutingNode[] = []
    for (const family of this.families)
      all.push(...(this.tables[family] as RoutingTable).closest(now, target, count))
    return all.sort((a, b) => compareDistance(target, a.id, b.id))
  }

  get size(): number {
    let total = 0
    for (const family of this.families) total += (this.tables[family] as RoutingTable).size
    return total
  }

  *allNodes(): Generator<RoutingNode> {
    for (const family of this.families) yield* (this.tables[family] as RoutingTable).allNodes()
  }

  *each(): Generator<RoutingTable> {
    for (const family of this.families) yield this.tables[family] as RoutingTable
  }
}

/**
 * BEP 32, dual-stack: a find_node / get_peers asks for both node lists while bootstrapping,
 * else for the list of the family the lookup runs in (the BEP's steady state).
 */
export function withWant(query: KrpcQuery, family: IpFamily, bootstrapping: boolean): KrpcQuery {
  if (query.method !== 'find_node' && query.method !== 'get_peers') return query
  if (bootstrapping) return { ...query, want: { n4: true, n6: true } }
  const v6 = family === 'ipv6'
  return { ...query, want: { n4: !v6, n6: v6 } }
}
