/** BEP 9 metadata fetching for magnet links: a sans-IO `StreamCore`; see fetcher.ts. */
export { MetadataAssembly } from './assembly.js'
export {
  DEFAULT_METADATA_CONFIG,
  metadataConfig,
  type MetadataConfig,
  type MetadataFetcherOptions,
} from './config.js'
export type { MetadataEvent, MetadataFailure, MetadataView } from './events.js'
export { MetadataFetcher } from './fetcher.js'
export { LOCAL_UT_METADATA_ID } from './greeting.js'
export type { MetadataPeerPhase } from './peer.js'
