/**
 * A command in progress (a lookup, an announce, a put, a ping) and the events the node emits
 * about it. An operation first runs an iterative lookup, then, for announce and put, a store
 * phase that sends announce_peer / put to the closest nodes that gave tokens.
 */
import type { Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import type { BValue } from '../../core/codec/bencode.js'
import type { Id160 } from '../../core/id.js'
import type { Instant } from '../../core/time.js'
import type { StoredItem } from './items.js'
import type { HopStats, LookupState } from './lookup.js'
import type { NodeInfo } from './messages.js'
import { ScrapeBloom } from './scrape-bloom.js'

export type OperationKind =
  | 'bootstrap'
  | 'find_node'
  | 'get_peers'
  | 'announce'
  | 'get'
  | 'put_immutable'
  | 'put_mutable'
  | 'ping'
  /** BEP 51: one sample_infohashes query to one node. */
  | 'sample_infohashes'
  /** A bucket refresh: internal, no events. */
  | 'refresh'

export interface LookupTrace {
  /** depth + 1 of the closest node that answered (see lookup.ts). */
  readonly hops: number
  readonly nodesContacted: number
  /** Queries sent, the store phase included. */
  readonly messages: number
  readonly startedAt: Instant
  readonly finishedAt: Instant
  /** get_peers / announce: when the first peers arrived (a client can connect from then on). */
  readonly firstPeersAt?: Instant
  /**
   * When the closest node that answered was first queried: the lookup had found its answer
   * then, and the rest of its time went to hearing back and to confirming nothing is closer.
   */
  readonly closestQueriedAt?: Instant
  /** Per depth: how many nodes at that depth we queried and how many answered. */
  readonly perHop: readonly HopStats[]
}

export type DhtEvent =
  /** get_peers / announce: peers not reported before in this operation. */
  | { readonly type: 'peers'; readonly handle: number; readonly peers: readonly Address[] }
  /** get: a verified item, better (higher seq) than any reported before. */
  | {
      readonly type: 'value'
      readonly handle: number
      readonly target: Id160
      readonly item: StoredItem
    }
  | {
      readonly type: 'done'
      readonly handle: number
      readonly kind: OperationKind
      readonly target: Id160
      /** The k closest nodes that answered (for ping: the node, when it answered). */
      readonly closest: readonly NodeInfo[]
      /** announce / put: nodes that acknowledged the store. */
      readonly stored: number
      /** get_peers / announce: distinct peers found. */
      readonly peersFound: number
      /** get: the best item found; put: the item stored. */
      readonly item?: StoredItem
      /**
       * get_peers with scrape (BEP 33): the swarm's seeds and other peers estimated from the
       * union of the bloom filters the nodes returned (values-only answers count as peers).
       */
      readonly scrape?: ScrapeEstimate
      readonly trace: LookupTrace
    }
  /** BEP 51: a node's answer to sample_infohashes. */
  | {
      readonly type: 'samples'
      readonly handle: number
      readonly from: NodeInfo
      /** Seconds before the node may give another sample. */
      readonly interval: number | undefined
      /** Info-hashes the node stores. */
      readonly num: number | undefined
      readonly samples: readonly Id160[]
      /** Nodes it named near the target (nodes and nodes6). */
      readonly nodes: readonly NodeInfo[]
    }
  /** Our external address as a responder saw it, when it changes (BEP 42 `ip`). */
  | { readonly type: 'external_address'; readonly address: Address }
  /** We took a new BEP 42-compliant id for our external IP; the table was rebuilt. */
  | { readonly type: 'id_changed'; readonly id: Id160 }

export interface ScrapeEstimate {
  readonly seeds: number
  readonly peers: number
  /** Nodes that answered with bloom filters. */
  readonly responders: number
}

/** BEP 33 state of a get_peers with scrape=1: the unions of the filters seen. */
export interface ScrapeState {
  readonly seeds: ScrapeBloom
  readonly peers: ScrapeBloom
  responders: number
}

export interface PutPlan {
  readonly value: BValue
  /** Mutable: the signing seed; the public key, salt, seq, cas. */
  readonly seed?: Uint8Array
  readonly k?: Uint8Array
  readonly salt?: Uint8Array
  seq?: number
  readonly cas?: number
}

export interface Operation {
  readonly handle: number
  readonly kind: OperationKind
  readonly target: Id160
  readonly lookup: LookupState
  readonly startedAt: Instant
  phase: 'lookup' | 'store' | 'done'
  messages: number
  /** Bootstrap queries to addresses whose ids we do not know yet, outstanding. */
  unseeded: number
  /** Store phase: queries outstanding and acknowledged. */
  storesPending: number
  stored: number
  /** get_peers / announce. */
  readonly peerKeys: Set<string>
  readonly announcePort: number
  readonly impliedPort: boolean
  /** get / put. */
  readonly salt: Uint8Array | undefined
  readonly seq: number | undefined
  best: StoredItem | undefined
  readonly put: PutPlan | undefined
  /** ping: the node that answered. */
  pinged: NodeInfo | undefined
  /** get_peers / announce: when the first peers came. */
  firstPeersAt: Instant | undefined
  /** get_peers / announce: BEP 33 options and, with scrape, the filters gathered. */
  readonly scrape: ScrapeState | undefined
  readonly noseed: boolean
  readonly seed: boolean
  /**
   * BEP 32: the one family this lookup runs in (its candidates, `want`, stores), or undefined
   * for a node of one family.
   */
  readonly family: IpFamily | undefined
  /** BEP 32: the operations of one command on a dual-stack node, one per family. */
  group: Operation[] | undefined
}

/** Options of get_peers and announce (BEP 33). */
export interface PeerLookupOptions {
  /** Gather the swarm's bloom filters; `done` carries the estimate. */
  readonly scrape?: boolean
  /** Ask for leechers first in `values`. */
  readonly noseed?: boolean
}

/** What a command sets on its operation beyond kind and target. */
export type OperationExtra = Partial<
  Pick<
    Operation,
    | 'announcePort'
    | 'impliedPort'
    | 'salt'
    | 'seq'
    | 'put'
    | 'noseed'
    | 'seed'
    | 'scrape'
    | 'family'
  >
>

export function peerLookupExtra(options: PeerLookupOptions): OperationExtra {
  return {
    noseed: options.noseed ?? false,
    ...(options.scrape === true
      ? { scrape: { seeds: new ScrapeBloom(), peers: new ScrapeBloom(), responders: 0 } }
      : {}),
  }
}

/** A fresh operation in its lookup phase. */
export function newOperation(
  handle: number,
  kind: OperationKind,
  target: Id160,
  lookup: LookupState,
  now: Instant,
  extra: OperationExtra,
): Operation {
  return {
    handle,
    kind,
    target,
    lookup,
    startedAt: now,
    phase: 'lookup',
    messages: 0,
    unseeded: 0,
    storesPending: 0,
    stored: 0,
    peerKeys: new Set(),
    announcePort: extra.announcePort ?? 0,
    impliedPort: extra.impliedPort ?? false,
    salt: extra.salt,
    seq: extra.seq,
    best: undefined,
    put: extra.put,
    pinged: undefined,
    firstPeersAt: undefined,
    scrape: extra.scrape,
    noseed: extra.noseed ?? false,
    seed: extra.seed ?? false,
    family: extra.family,
    group: undefined,
  }
}
