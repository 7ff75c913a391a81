/**
 * One copy of each node id and host string for all the routing tables of a process that runs
 * many DHT nodes at once: the simulator holds 100,000 tables of 70 to 300 nodes, and a node
 * known to 100 tables would otherwise cost 100 copies of its id (about 110 bytes each as a
 * 20-byte typed array) and of its host string. A real node runs one table and leaves this out:
 * its table then copies each id it keeps (see RoutingTable.heard).
 *
 * Entries are never dropped, which suits a run of bounded length (one entry per node that ever
 * existed), not a long-lived process. Shared ids must never be written to: nothing in the DHT
 * writes to an id it was given.
 */
import type { Id160 } from '../../core/id.js'

export class SharedIds {
  private readonly ids = new Map<string, Id160>()
  private readonly hosts = new Map<string, string>()

  /** The shared copy of `id` (made from it the first time). */
  id(id: Id160): Id160 {
    const key = idKey(id)
    const known = this.ids.get(key)
    if (known !== undefined) return known
    const copy = id.slice() as Id160
    this.ids.set(key, copy)
    return copy
  }

  /** The shared copy of a host string (the one seen first). */
  host(host: string): string {
    const known = this.hosts.get(host)
    if (known !== undefined) return known
    this.hosts.set(host, host)
    return host
  }

  /** Distinct ids held (for tests and reports). */
  get size(): number {
    return this.ids.size
  }
}

/** The 20 bytes as a 20-character string: a Map key that compares by content. */
function idKey(id: Id160): string {
  // apply takes any array-like: one flat string, no intermediate pieces.
  return String.fromCharCode.apply(null, id as unknown as number[])
}
