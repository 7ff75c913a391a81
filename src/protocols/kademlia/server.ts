/**
 * The server half of a DHT node: the answer to one incoming query, computed from the node's
 * state. Every response carries `ip` (BEP 42) so the querier learns its external address.
 */
import type { Address } from '../../core/address.js'
import type { Hashing } from '../../core/env.js'
import type { Instant } from '../../core/time.js'
import type { DhtConfig } from './config.js'
import type { Ed25519 } from './ed25519.js'
import { STORAGE_QUOTA_FULL, validatePut, type ItemStore } from './items.js'
import { KRPC_ERROR, type KrpcMessage, type KrpcQuery, type KrpcResponseBody } from './messages.js'
import type { PeerStore } from './peer-store.js'
import type { RoutingTable } from './routing-table.js'
import { ownerOf } from './source-ledger.js'
import type { TokenSecrets } from './tokens.js'
import type { Id160 } from '../../core/id.js'

export interface ServerState {
  readonly id: Id160
  readonly config: DhtConfig
  readonly table: RoutingTable
  readonly tokens: TokenSecrets
  readonly peers: PeerStore
  readonly items: ItemStore
  readonly hashing: Hashing
  readonly ed25519: Ed25519 | undefined
}

type Answer =
  { readonly body: KrpcResponseBody } | { readonly code: number; readonly message: string }

function nodesNear(state: ServerState, now: Instant, target: Id160): KrpcResponseBody {
  const nodes = state.table.closest(now, target, state.config.routing.k).map((n) => n.info())
  return { id: state.id, nodes }
}

function answer(state: ServerState, now: Instant, from: Address, query: KrpcQuery): Answer {
  switch (query.method) {
    case 'ping':
      return { body: { id: state.id } }
    case 'find_node':
      return { body: nodesNear(state, now, query.target) }
    case 'get_peers': {
      const values = state.peers.peers(now, query.infoHash, state.config.valuesPerResponseMax)
      return {
        body: {
          ...nodesNear(state, now, query.infoHash),
          token: state.tokens.issue(now, from.host),
          ...(values.length > 0 ? { values } : {}),
        },
      }
    }
    case 'announce_peer': {
      if (!state.tokens.valid(now, from.host, query.token)) {
        return { code: KRPC_ERROR.protocol, message: 'bad token' }
      }
      const port = query.impliedPort ? from.port : query.port
      if (port === 0) return { code: KRPC_ERROR.protocol, message: 'bad port' }
      const owner = ownerOf(from, state.config.routing.exemptLocalFromIpLimits)
      const stored = state.peers.announce(now, query.infoHash, { host: from.host, port }, owner)
      // A refusal is said, not hidden: the announcer can try other nodes of the k closest.
      return stored ? { body: { id: state.id } } : STORAGE_QUOTA_FULL
    }
    case 'get': {
      const item = state.items.get(now, query.target)
      const base = {
        ...nodesNear(state, now, query.target),
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
