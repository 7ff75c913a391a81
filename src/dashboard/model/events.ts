/**
 * Which peer events (GET /events) change what the torrent list shows. The stream also carries
 * every session event of every torrent (`torrent_event`: pieces, peers, stats), many a second
 * while downloading: those wait for the next `stats` event instead of each fetching the list.
 */
const LIST_EVENTS: ReadonlySet<string> = new Set([
  'torrent_added',
  'torrent_removed',
  'torrent_state',
  'torrent_metadata',
  'torrent_completed',
])

export const changesList = (type: string): boolean => LIST_EVENTS.has(type)
