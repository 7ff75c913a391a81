import type { TorrentState, TorrentStatus } from './api-types.js'

/** Verified share of the torrent, 0..1 (0 while the metadata is unknown). */
export function progressOf(t: TorrentStatus): number {
  if (t.length === 0) return 0
  return t.verifiedBytes / t.length
}

/**
 * Uploaded over downloaded bytes: NaN when neither moved, Infinity for a seed that only
 * uploaded (it had the data from the start).
 */
export function ratioOf(t: TorrentStatus): number {
  if (t.downloadedBytes === 0) return t.uploadedBytes === 0 ? Number.NaN : Infinity
  return t.uploadedBytes / t.downloadedBytes
}

/** Seconds until complete at the current rate; undefined when done or not moving. */
export function etaOf(t: TorrentStatus): number | undefined {
  if (t.complete || t.state !== 'downloading' || t.downloadRate <= 0) return undefined
  return Math.max(0, t.length - t.verifiedBytes) / t.downloadRate
}

export const STATE_LABELS: Readonly<Record<TorrentState, string>> = {
  fetching_metadata: 'Fetching metadata',
  checking: 'Checking',
  downloading: 'Downloading',
  seeding: 'Seeding',
  paused: 'Paused',
  error: 'Error',
}

export type SortKey =
  | 'name'
  | 'length'
  | 'progress'
  | 'state'
  | 'downloadRate'
  | 'uploadRate'
  | 'ratio'
  | 'peers'
  | 'eta'

export interface Sort {
  readonly key: SortKey
  readonly descending: boolean
}

const keyOf: Readonly<Record<SortKey, (t: TorrentStatus) => number | string>> = {
  name: (t) => t.name.toLowerCase(),
  length: (t) => t.length,
  progress: progressOf,
  state: (t) => STATE_LABELS[t.state],
  downloadRate: (t) => t.downloadRate,
  uploadRate: (t) => t.uploadRate,
  // Torrents without a ratio sort below every real one.
  ratio: (t) => (Number.isNaN(ratioOf(t)) ? -1 : ratioOf(t)),
  peers: (t) => t.peers,
  // Finished or stalled torrents sort after every one with an ETA.
  eta: (t) => etaOf(t) ?? Number.MAX_VALUE,
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a).localeCompare(String(b))
}

/** A new array in the given order; ties keep name order, then info-hash, so rows never jump. */
export function sortTorrents(list: readonly TorrentStatus[], sort: Sort): TorrentStatus[] {
  const key = keyOf[sort.key]
  const sign = sort.descending ? -1 : 1
  return [...list].sort(
    (a, b) =>
      sign * compare(key(a), key(b)) ||
      compare(a.name.toLowerCase(), b.name.toLowerCase()) ||
      compare(a.infoHash, b.infoHash),
  )
}

/** Clicking a column: the same column flips the direction; a new one starts in its natural one. */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, descending: !current.descending }
  // Names and states read A to Z; numbers biggest first.
  return { key, descending: !(key === 'name' || key === 'state' || key === 'eta') }
}

export type StateFilter = 'all' | 'active' | 'downloading' | 'seeding' | 'paused' | 'error'

export const STATE_FILTERS: readonly StateFilter[] = [
  'all',
  'active',
  'downloading',
  'seeding',
  'paused',
  'error',
]

const matchesState = (t: TorrentStatus, filter: StateFilter): boolean => {
  switch (filter) {
    case 'all':
      return true
    case 'active':
      return t.downloadRate > 0 || t.uploadRate > 0
    case 'downloading':
      return t.state === 'downloading' || t.state === 'fetching_metadata' || t.state === 'checking'
    default:
      return t.state === filter
  }
}

/** Torrents whose state fits and whose name or info-hash contains every word of `text`. */
export function filterTorrents(
  list: readonly TorrentStatus[],
  text: string,
  state: StateFilter,
): TorrentStatus[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean)
  return list.filter((t) => {
    if (!matchesState(t, state)) return false
    const haystack = `${t.name} ${t.infoHash}`.toLowerCase()
    return words.every((word) => haystack.includes(word))
  })
}
