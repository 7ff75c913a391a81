export {
  DhtNode,
  type DhtDeps,
  type DhtNodeOptions,
  type DhtStats,
  type PeerLookupOptions,
} from './node.js'
export { ScrapeBloom, SCRAPE_BLOOM_BYTES } from './scrape-bloom.js'
export { krpcCodec, encodeKrpc, decodeKrpc, krpcMessageName, KRPC_LIMITS } from './krpc-codec.js'
export type { KrpcDecodeError, KrpcDecodeErrorCode } from './krpc-codec.js'
export {
  DEFAULT_DHT_CONFIG,
  DEFAULT_ROUTING_CONFIG,
  dhtConfig,
  type DhtConfig,
  type RoutingConfig,
} from './config.js'
export type { DhtEvent, LookupTrace, OperationKind, ScrapeEstimate } from './operation.js'
export {
  KRPC_ERROR,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponseBody,
  type NodeInfo,
} from './messages.js'
export type { Ed25519 } from './ed25519.js'
export { exportState, importState, type PersistedState } from './persistence.js'
export {
  immutableTarget,
  mutableTarget,
  signedBytes,
  ITEM_VALUE_BYTES_MAX,
  ITEM_SALT_BYTES_MAX,
  type StoredItem,
} from './items.js'
export { bep42Id, bep42Valid, isLocalAddress } from './bep42.js'
export { crc32c } from './crc32c.js'
export { RoutingTable, RoutingNode, nodeState, type NodeState } from './routing-table.js'
export { SharedIds } from './shared-ids.js'
export { subnetOf } from './ip-policy.js'
export {
  listStored,
  STORED_LISTING_MAX,
  type StoredItemSummary,
  type StoredListing,
  type StoredSwarm,
} from './stored-listing.js'
