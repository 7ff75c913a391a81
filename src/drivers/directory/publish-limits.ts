import type { RateLimitConfig } from '../../protocols/directory/tracker/config.js'

/**
 * What one publish may cost the directory. Every publish is parsed once, stored, and listed on
 * pages; without bounds one upload (a 4.3 MB torrent of 100,000 files) or one busy uploader
 * could stall the server for everyone.
 */

/** Largest accepted .torrent upload (413 beyond). */
export const UPLOAD_BYTES_MAX = 10 * 1024 * 1024

/**
 * Files (padding files left out) per published torrent (422 beyond). Far above real releases
 * (a whole distribution's documentation is about 10,000 files), far below what stalls a page.
 */
export const PUBLISH_FILES_MAX = 10_000

/**
 * Publishes per source (an IPv4 address or an IPv6 /64): 20 at once, then one a minute
 * (429 beyond, with `retry-after`). Every attempt counts, refused or not, since parsing is the
 * cost. 10,000 sources are remembered (the least recently seen is forgotten beyond that).
 */
export const PUBLISH_RATE: RateLimitConfig = { perSecond: 1 / 60, burst: 20, sourcesMax: 10_000 }
