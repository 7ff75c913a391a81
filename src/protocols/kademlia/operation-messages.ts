/**
 * The messages of an operation (operation.ts), as pure functions of its state: the query its
 * lookup phase sends, the store query (announce_peer or a signed put), and what a lookup
 * response yields (peers not seen before, a verified item better than the best so far).
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Hashing } from '../../core/env.js'
import type { Ed25519 } from './ed25519.js'
import { signedBytes, verifyReceivedItem, type StoredItem } from './items.js'
import type { KrpcQuery, KrpcResponseBody } from './messages.js'
import type { Instant } from '../../core/time.js'
import type { DhtEvent, Operation, ScrapeState } from './operation.js'

/** The query an operation's lookup phase sends to each node. */
export function lookupQueryFor(op: Operation): KrpcQuery {
  switch (op.kind) {
    case 'get_peers':
    case 'announce':
      return {
        method: 'get_peers',
        infoHash: op.target,
        ...(op.scrape === undefined ? {} : { scrape: true }),
        ...(op.noseed ? { noseed: true } : {}),
      }
    case 'sample_infohashes':
      return { method: 'sample_infohashes', target: op.target }
    case 'get':
      return {
        method: 'get',
        target: op.target,
        ...(op.seq === undefined ? {} : { seq: op.seq }),
      }
    case 'put_immutable':
    case 'put_mutable':
      return { method: 'get', target: op.target }
    default:
      return { method: 'find_node', target: op.target }
  }
}

/** The store query without its token, or undefined when the operation stores nothing. */
export function storeQueryFor(op: Operation, ed25519: Ed25519 | undefined): KrpcQuery | undefined {
  if (op.kind === 'announce') {
    return {
      method: 'announce_peer',
      infoHash: op.target,
      port: op.announcePort,
      token: new Uint8Array(0),
      impliedPort: op.impliedPort,
      ...(op.seed ? { seed: true } : {}),
    }
  }
  const put = op.put
  if (put === undefined) return undefined
  if (op.kind === 'put_immutable')
    return { method: 'put', token: new Uint8Array(0), value: put.value }
  const ed = ed25519 as Ed25519
  put.seq ??= (op.best?.seq ?? 0) + 1
  const sig = ed.sign(put.seed as Uint8Array, signedBytes(put.salt, put.seq, put.value))
  op.best = {
    value: put.value,
    k: put.k as Uint8Array,
    seq: put.seq,
    sig,
    ...(put.salt === undefined ? {} : { salt: put.salt }),
  }
  return {
    method: 'put',
    token: new Uint8Array(0),
    value: put.value,
    k: put.k as Uint8Array,
    sig,
    seq: put.seq,
    ...(put.salt === undefined ? {} : { salt: put.salt }),
    ...(put.cas === undefined ? {} : { cas: put.cas }),
  }
}

/** Peers and items a lookup response carries. */
export function collectResponse(
  op: Operation,
  body: KrpcResponseBody,
  hashing: Hashing,
  ed25519: Ed25519 | undefined,
): DhtEvent[] {
  const events: DhtEvent[] = []
  if (body.values !== undefined && (op.kind === 'get_peers' || op.kind === 'announce')) {
    const fresh: Address[] = []
    for (const peer of body.values) {
      const key = addressKey(peer)
      if (op.peerKeys.has(key)) continue
      op.peerKeys.add(key)
      fresh.push(peer)
    }
    if (fresh.length > 0) {
      events.push({ type: 'peers', handle: op.handle, peers: fresh })
    }
  }
  if (op.scrape !== undefined) collectScrape(op.scrape, body, hashing)
  if (op.kind !== 'get' && op.kind !== 'put_immutable' && op.kind !== 'put_mutable') return events
  if (op.put !== undefined && body.seq !== undefined && op.put.seq === undefined) {
    // putMutable without seq: remember the highest seq seen, verified or not is moot since
    // overshooting only skips numbers.
    op.best = { value: 0, seq: Math.max(body.seq, op.best?.seq ?? 0) }
  }
  if (body.value === undefined || op.kind !== 'get') return events
  const item: StoredItem = {
    value: body.value,
    ...(body.k === undefined ? {} : { k: body.k }),
    ...(body.sig === undefined ? {} : { sig: body.sig }),
    ...(body.seq === undefined ? {} : { seq: body.seq }),
    ...(op.salt === undefined ? {} : { salt: op.salt }),
  }
  if (!verifyReceivedItem(hashing, ed25519, op.target, item, op.salt)) return events
  const best = op.best
  if (best !== undefined && (best.seq === undefined || (item.seq ?? 0) <= best.seq)) return events
  op.best = item
  events.push({ type: 'value', handle: op.handle, target: op.target, item })
  return events
}

/**
 * BEP 33: ORs a node's filters into the operation's. A legacy answer with `values` and no
 * filters counts its IPs as peers, unless the seed filters already hold them.
 */
function collectScrape(scrape: ScrapeState, body: KrpcResponseBody, hashing: Hashing): void {
  if (body.bfsd !== undefined || body.bfpe !== undefined) {
    if (body.bfsd !== undefined) scrape.seeds.union(body.bfsd)
    if (body.bfpe !== undefined) scrape.peers.union(body.bfpe)
    scrape.responders++
    return
  }
  for (const peer of body.values ?? []) {
    if (!scrape.seeds.mayContain(hashing, peer.host)) scrape.peers.insert(hashing, peer.host)
  }
}

/** The `done` event of a finished operation: what it found or stored, and its trace. */
export function doneEvent(op: Operation, now: Instant): Extract<DhtEvent, { type: 'done' }> {
  const closest =
    op.kind === 'ping' || op.kind === 'sample_infohashes'
      ? op.pinged === undefined
        ? []
        : [op.pinged]
      : op.lookup.closestResponded().map((c) => ({ id: c.id, address: c.address }))
  const item =
    op.kind === 'put_immutable'
      ? op.put === undefined
        ? undefined
        : { value: op.put.value }
      : op.best
  return {
    type: 'done',
    handle: op.handle,
    kind: op.kind,
    target: op.target,
    closest,
    stored: op.stored,
    peersFound: op.peerKeys.size,
    ...(item === undefined || op.kind === 'get_peers' || op.kind === 'announce' ? {} : { item }),
    ...(op.scrape === undefined
      ? {}
      : {
          scrape: {
            seeds: op.scrape.seeds.estimate(),
            peers: op.scrape.peers.estimate(),
            responders: op.scrape.responders,
          },
        }),
    trace: {
      hops: op.lookup.hopCount(),
      nodesContacted: op.lookup.contacted,
      messages: op.messages,
      startedAt: op.startedAt,
      finishedAt: now,
      ...(op.firstPeersAt === undefined ? {} : { firstPeersAt: op.firstPeersAt }),
      ...closestQueried(op),
      perHop: op.lookup.hops.map((h) => ({ ...h })),
    },
  }
}

function closestQueried(op: Operation): { closestQueriedAt?: Instant } {
  const at = op.lookup.closestQueriedAt()
  return at === undefined ? {} : { closestQueriedAt: at as Instant }
}
