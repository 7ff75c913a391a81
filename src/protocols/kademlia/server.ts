/**
 * The server half of a DHT node: the answer to one incoming query, computed from the node's
 * state. Every response carries `ip` (BEP 42) so the querier learns its external address.
 *
 * BEP 32: node lists come from the routing table of the family asked for (`want` n4 / n6),
 * or without `want` of the family the query came over; `values` only ever hold peers of the
 * query's family. BEP 33: `scrape` adds the bloom filters of the seeds and the other peers,
 * `noseed` puts leechers first. BEP 51: `sample_infohashes` answers with a sample of the
 * info-hashes held.
 */
import type { Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import type { Hashing } from '../../core/env.js'
import type { Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import type { DhtConfig } from './config.js'
import type { Ed25519 } from './ed25519.js'
import type { InfoHashSampler } from './infohash-sampler.js'
import { familyOf } from './family-tables.js'
import { STORAGE_QUOTA_FULL, validatePut, type ItemStore } from './items.js'
import {
  KRPC_ERROR,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponseBody,
  type NodeInfo,
  type Want,
} from './messages.js'
import type { PeerStore } from './peer-store.js'
import type { RoutingTable } from './routing-table.js'
import { ScrapeBloom } from './scrape-bloom.js'
import { ownerOf } from './source-ledger.js'
import type { TokenSecrets } from './tokens.js'

export interface ServerState {
  readonly id: Id160
  readonly config: DhtConfig
  /** The routing table of each family we take part in (BEP 32: one per family). */
  readonly tables: Readonly<Partial<Record<IpFamily, RoutingTable>>>
  readonly tokens: TokenSecrets
  readonly peers: PeerStore
  readonly items: ItemStore
  readonly sampler: InfoHashSampler
  readonly hashing: Hashing
  readonly ed25519: Ed25519 | undefined
  readonly random: Random
}

type Answer =
  { readonly body: KrpcResponseBody } | { readonly code: number; readonly message: string }

function closestIn(
  state: ServerState,
  now: Instant,
  family: IpFamily,
  target: Id160,
): NodeInfo[] | undefined {
  const table = state.tables[family]
  return table?.closest(now, target, state.config.routing.k).map((n) => n.info())
}

/** `nodes` / `nodes6` as BEP 32 asks: by `want`, else by the family the query came over. */
function nodesNear(
  state: ServerState,
  now: Instant,
  from: Address,
  target: Id160,
  want?: Want,
): KrpcResponseBody {
  const family = familyOf(from.host)
  const n4 = want === undefined ? family === 'ipv4' : want.n4
  const n6 = want === undefined ? family === 'ipv6' : want.n6
  const nodes = n4 ? (closestIn(state, now, 'ipv4', target) ?? []) : undefined
  const nodes6 = n6 ? closestIn(state, now, 'ipv6', target) : undefined
  return {
    id: state.id,
    ...(nodes === undefined ? {} : { nodes }),
    ...(nodes6 === undefined ? {} : { nodes6 }),
  }
}

function getPeers(
  state: ServerState,
  now: Instant,
  from: Address,
  query: Extract<KrpcQuery, { method: 'get_peers' }>,
): Answer {
  const family = familyOf(from.host)
  const values = state.peers.peers(now, query.infoHash, state.config.valuesPerResponseMax, {
    family,
    noseed: query.noseed ?? false,
  })
  const scrape = query.scrape === true ? state.peers.scrape(now, query.infoHash) : undefined
  let filters: { bfsd: Uint8Array; bfpe: Uint8Array } | undefined
  if (scrape !== undefined) {
    const seeds = new ScrapeBloom()
    const peers = new ScrapeBloom()
    for (const seed of scrape.seeds) seeds.insert(state.hashing, seed.host)
    for (const peer of scrape.peers) peers.insert(state.hashing, peer.host)
    filters = { bfsd: seeds.bits, bfpe: peers.bits }
  }
  return {
    body: {
      ...nodesNear(state, now, from, query.infoHash, query.want),
      token: state.tokens.issue(now, from.host),
      ...(values.length > 0 ? { values } : {}),
      ...(filters ?? {}),
    },
  }
}

function answer(state: ServerState, now: Instant, from: Address, query: KrpcQuery): Answer {
  switch (query.method) {
    case 'ping':
      return { body: { id: state.id } }
    case 'find_node':
      return { body: nodesNear(state, now, from, query.target, query.want) }
    case 'get_peers':
      return getPeers(state, now, from, query)
    case 'announce_peer': {
      if (!state.tokens.valid(now, from.host, query.token)) {
        return { code: KRPC_ERROR.protocol, message: 'bad token' }
      }
      const port = query.impliedPort ? from.port : query.port
      if (port === 0) return { code: KRPC_ERROR.protocol, message: 'bad port' }
      const owner = ownerOf(from, state.config.routing.exemptLocalFromIpLimits)
      const peer = { host: from.host, port }
      const stored = state.peers.announce(now, query.infoHash, peer, owner, query.seed ?? false)
      // A refusal is said, not hidden: the announcer can try other nodes of the k closest.
      return stored ? { body: { id: state.id } } : STORAGE_QUOTA_FULL
    }
    case 'sample_infohashes': {
      const sample = state.sampler.sample(now, () => state.peers.infoHashList(), state.random)
      return {
        body: {
          ...nodesNear(state, now, from, query.target),
          interval: sample.interval,
          num: sample.num,
          samples: sample.samples,
        },
      }
    }
    case 'get': {
      const item = state.items.get(now, query.target)
      const base = {
        ...nodesNear(state, now, from, query.target),
        token: state.tokens.issue(now, from.host),
      }
      if (item === undefined) return { body: base }
      if (item.seq === undefined) return { body: { ...base, value: item.value } }
      // BEP 44: a querier that already has this seq or newer gets the seq only.
      const fresh = query.seq === undefined || item.seq > query.seq
      return {
        body: {
          ...base,
          seq: item.seq,
          ...(item.k === undefined ? {} : { k: item.k }),
          ...(fresh && item.sig !== undefined ? { sig: item.sig, value: item.value } : {}),
        },
      }
    }
    case 'put': {
      if (!state.tokens.valid(now, from.host, query.token)) {
        return { code: KRPC_ERROR.protocol, message: 'bad token' }
      }
      const valid = validatePut(state.hashing, state.ed25519, query)
      if ('code' in valid) return valid
      const owner = ownerOf(from, state.config.routing.exemptLocalFromIpLimits)
      const refused = state.items.put(now, valid.target, valid.item, owner, query.cas)
      return refused ?? { body: { id: state.id } }
    }
    case 'unknown':
      return { code: KRPC_ERROR.methodUnknown, message: 'Method Unknown' }
  }
}

/** The reply to `query` from `from` with transaction id `t`. */
export function reply(
  state: ServerState,
  now: Instant,
  from: Address,
  t: Uint8Array,
  query: KrpcQuery,
): KrpcMessage {
  const result = answer(state, now, from, query)
  const version = state.config.version
  const common = { t, ip: from, ...(version === undefined ? {} : { version }) }
  return 'body' in result
    ? { type: 'response', ...common, body: result.body }
    : { type: 'error', ...common, code: result.code, message: result.message }
}
