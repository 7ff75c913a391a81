/**
 * BEP 32 on a dual-stack node: the IPv4 and IPv6 DHTs are two networks with one node id, so a
 * command (a lookup, an announce, a put, a bootstrap) runs as one operation per family, each
 * over its own table, asking for its own family's nodes and storing on its own family's closest
 * nodes. Together they are one command: the same handle on every event, and one `done` once
 * every part ended.
 *
 * A response may name nodes of the other family (bootstrap asks for both): those feed the
 * sibling's lookup, so one IPv4 bootstrap node can start the IPv6 lookup too. A part whose
 * lookup ran dry waits while a sibling still has queries out, since one of their answers may
 * give it candidates.
 */
import { addressKey } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import { compareDistance } from '../../core/id.js'
import type { Instant } from '../../core/time.js'
import { familyOf } from './family-tables.js'
import type { HopStats } from './lookup.js'
import type { NodeInfo } from './messages.js'
import type { DhtEvent, Operation } from './operation.js'

type Done = Extract<DhtEvent, { type: 'done' }>

/** The family of a node's address, as the routing tables file it. */
export const nodeFamily = (node: NodeInfo): IpFamily => familyOf(node.address.host)

/** The nodes an operation may use: those of its family, or all for a one-family node. */
export function nodesForOperation(op: Operation, nodes: readonly NodeInfo[]): readonly NodeInfo[] {
  const family = op.family
  if (family === undefined) return nodes
  return nodes.every((n) => nodeFamily(n) === family)
    ? nodes
    : nodes.filter((n) => nodeFamily(n) === family)
}

/** Gives the siblings of `op` still looking up the nodes of their family from a response. */
export function feedSiblings(op: Operation, nodes: readonly NodeInfo[], depth: number): void {
  if (op.group === undefined) return
  for (const sibling of op.group) {
    if (sibling === op || sibling.phase !== 'lookup') continue
    const theirs = nodesForOperation(sibling, nodes)
    if (theirs.length > 0) sibling.lookup.add(theirs, depth)
  }
}

/** True while another part of `op`'s command still has lookup queries out. */
export function siblingsBusy(op: Operation): boolean {
  if (op.group === undefined) return false
  return op.group.some(
    (s) => s !== op && s.phase === 'lookup' && (s.unseeded > 0 || s.lookup.inflight > 0),
  )
}

/** The parts' `done` events as one: counts summed, closest nodes of every family merged. */
export function mergeDone(parts: readonly Done[], now: Instant): Done {
  const first = parts[0] as Done
  if (parts.length === 1) return first
  const seen = new Set<string>()
  const closest: NodeInfo[] = []
  for (const part of parts) {
    for (const node of part.closest) {
      const key = addressKey(node.address)
      if (seen.has(key)) continue
      seen.add(key)
      closest.push(node)
    }
  }
  closest.sort((a, b) => compareDistance(first.target, a.id, b.id))
  const perHop: HopStats[] = []
  for (const part of parts) {
    for (const hop of part.trace.perHop) {
      const at = perHop.find((h) => h.depth === hop.depth)
      if (at === undefined) perHop.push({ ...hop })
      else {
        at.queried += hop.queried
        at.responded += hop.responded
      }
    }
  }
  perHop.sort((a, b) => a.depth - b.depth)
  const firstPeers = parts
    .map((p) => p.trace.firstPeersAt)
    .filter((at): at is Instant => at !== undefined)
  // The command found its answer once every family's lookup had.
  const closestQueried = parts
    .map((p) => p.trace.closestQueriedAt)
    .filter((at): at is Instant => at !== undefined)
  const item = bestItem(parts)
  return {
    ...first,
    closest,
    stored: sum(parts, (p) => p.stored),
    peersFound: sum(parts, (p) => p.peersFound),
    ...(item === undefined ? {} : { item }),
    trace: {
      hops: Math.max(...parts.map((p) => p.trace.hops)),
      nodesContacted: sum(parts, (p) => p.trace.nodesContacted),
      messages: sum(parts, (p) => p.trace.messages),
      startedAt: Math.min(...parts.map((p) => p.trace.startedAt)) as Instant,
      finishedAt: now,
      ...(firstPeers.length === 0 ? {} : { firstPeersAt: Math.min(...firstPeers) as Instant }),
      ...(closestQueried.length === 0
        ? {}
        : { closestQueriedAt: Math.max(...closestQueried) as Instant }),
      perHop,
    },
  }
}

const sum = (parts: readonly Done[], of: (p: Done) => number): number =>
  parts.reduce((total, p) => total + of(p), 0)

/** The item with the highest seq (a mutable item), else any (an immutable one). */
function bestItem(parts: readonly Done[]): Done['item'] {
  let best: Done['item']
  for (const part of parts) {
    const item = part.item
    if (item === undefined) continue
    if (best === undefined || (item.seq ?? -1) > (best.seq ?? -1)) best = item
  }
  return best
}
