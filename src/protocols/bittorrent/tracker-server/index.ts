export { TrackerRegistry, DEFAULT_TRACKER_CONFIG, failure, type TrackerConfig } from './registry.js'
export { parseAnnounceQuery, percentDecodeBytes, type AnnounceQuery } from './query.js'
