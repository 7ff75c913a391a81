import Database from 'better-sqlite3'
import { idFromHex } from '../../core/id.js'
import { formatMagnet } from '../../protocols/bittorrent/metainfo/index.js'
import { matchExpression } from './fts-query.js'
import type { TorrentRecord } from './record.js'
import type { ServedTemplate } from './served-torrent.js'
import { migrate } from './schema.js'

/**
 * The directory's index: published torrents, their files, a full-text index over names and
 * paths, the latest tracker counts and a bounded history of them, in one SQLite file.
 *
 * Durability: WAL with `synchronous = NORMAL` for the frequent, replaceable writes (counts and
 * samples: losing the last few seconds of them on a power cut costs nothing), but a publish
 * runs as one transaction with `synchronous = FULL`, so once `publish` returns the torrent
 * survives a crash or power loss, and a process killed mid-publish leaves either the whole
 * torrent (row, blob, files, search entry) or nothing.
 */

export { SORT_COLUMNS, type SortColumn } from './sort-columns.js'
import type { SortColumn } from './sort-columns.js'
export type SortOrder = 'asc' | 'desc'

export interface SearchOptions {
  readonly sort?: SortColumn
  readonly order?: SortOrder
  readonly limit?: number
  readonly offset?: number
  /** Trackers to put in each result's magnet link. */
  readonly trackers?: readonly string[]
}

export interface SwarmCounts {
  readonly seeders: number
  readonly leechers: number
  readonly completed: number
}

/** A swarm the tracker forgot has no peers, but its `completed` count stays as stored. */
export interface CountsUpdate {
  readonly seeders: number
  readonly leechers: number
  readonly completed?: number
}

export interface TorrentSummary extends SwarmCounts {
  readonly infoHash: string
  readonly name: string
  /** Bytes, all files together (`length`, as BEP 3 and `plexus info` call it). */
  readonly length: number
  readonly fileCount: number
  /** Milliseconds since the Unix epoch. */
  readonly added: number
  readonly uploader: string
  readonly magnet: string
}

export interface TorrentDetail extends TorrentSummary {
  readonly pieceLength: number
  /** One page of the file list (`FILE_PAGE_SIZE` files); `files` is the whole count. */
  readonly files: readonly { readonly path: string; readonly length: number }[]
  /** 1-based page of `files`, and how many pages there are (at least 1). */
  readonly filePage: number
  readonly filePages: number
}

export interface SearchPage {
  readonly results: TorrentSummary[]
  /** True when a further page exists (found by asking for one row more than `limit`). */
  readonly hasMore: boolean
}

export interface Sample {
  readonly at: number
  readonly seeders: number
  readonly leechers: number
}

export const SEARCH_LIMIT_DEFAULT = 50
export const SEARCH_LIMIT_MAX = 500
/** Deep paging costs a scan of every skipped row; nobody reads page 2000. */
export const SEARCH_OFFSET_MAX = 100_000
export const SAMPLE_BUCKET_MS = 5 * 60_000
export const SAMPLE_KEEP_MS = 7 * 24 * 3600_000
/**
 * Files listed per page (web page and JSON): a page costs a bounded read and render whatever
 * the torrent's size (an index from before the files cap may hold 100,000-file torrents).
 */
export const FILE_PAGE_SIZE = 1000
/** The FTS `paths` text per torrent is capped: a 100k-file torrent is found by its name. */
const FTS_PATHS_CHARS_MAX = 64 * 1024

interface SummaryRow {
  readonly info_hash: string
  readonly name: string
  readonly size: number
  readonly file_count: number
  readonly added: number
  readonly uploader: string
  readonly seeders: number
  readonly leechers: number
  readonly completed: number
}

const SUMMARY_COLUMNS =
  't.id, t.info_hash, t.name, t.size, t.file_count, t.added, t.uploader, ' +
  't.seeders, t.leechers, t.completed'

/** Whitelisted ORDER BY expressions: user input picks a key, never writes SQL. */
const ORDER_SQL: Readonly<Record<Exclude<SortColumn, 'added'>, string>> = {
  name: 't.name COLLATE NOCASE',
  length: 't.size',
  seeders: 't.seeders',
  leechers: 't.leechers',
  completed: 't.completed',
}

export class IndexDb {
  private readonly db: Database.Database
  private readonly searches = new Map<string, Database.Statement>()
  private readonly insertTorrent: Database.Statement
  private readonly insertBlob: Database.Statement
  private readonly insertFile: Database.Statement
  private readonly insertFts: Database.Statement
  private readonly insertServed: Database.Statement
  private readonly idOf: Database.Statement
  private readonly updateCounts: Database.Statement
  private readonly upsertSample: Database.Statement

  /** Opens (creating if needed) the index at `path` (':memory:' for a throwaway one). */
  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    // A reader (the web pages) never waits on the writer in WAL; writers are this process.
    this.db.pragma('busy_timeout = 5000')
    // SQLite's default page cache is 2 MiB: far too small for a million-row index whose
    // B-trees are walked at random by inserts (info_hash) and searches (sorts, FTS doclists).
    this.db.pragma('cache_size = -131072')
    this.db.pragma('mmap_size = 1073741824')
    this.db.pragma('temp_store = MEMORY')
    migrate(this.db)
    this.insertTorrent = this.db.prepare(
      'INSERT INTO torrents (info_hash, name, size, file_count, piece_length, added, uploader, ' +
        'seeders, leechers, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.insertBlob = this.db.prepare('INSERT INTO torrent_blobs (torrent_id, bytes) VALUES (?, ?)')
    this.insertFile = this.db.prepare(
      'INSERT INTO files (torrent_id, idx, path, size) VALUES (?, ?, ?, ?)',
    )
    this.insertFts = this.db.prepare(
      'INSERT INTO torrents_fts (rowid, name, paths) VALUES (?, ?, ?)',
    )
    this.insertServed = this.db.prepare(
      'INSERT OR REPLACE INTO served_torrents (torrent_id, tiers, tail) VALUES (?, ?, ?)',
    )
    this.idOf = this.db.prepare('SELECT id FROM torrents WHERE info_hash = ?').pluck()
    this.updateCounts = this.db.prepare(
      'UPDATE torrents SET seeders = ?, leechers = ?, completed = coalesce(?, completed) ' +
        'WHERE id = ?',
    )
    this.upsertSample = this.db.prepare(
      'INSERT INTO samples (torrent_id, at, seeders, leechers) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (torrent_id, at) DO UPDATE SET seeders = excluded.seeders, ' +
        'leechers = excluded.leechers',
    )
  }

  /**
   * Adds a torrent durably and atomically. Returns false (and changes nothing) when a torrent
   * with this info-hash is already listed. `counts` are the tracker's current ones, if any.
   */
  publish(record: TorrentRecord, counts?: SwarmCounts): boolean {
    // FULL makes this commit wait for the WAL fsync; NORMAL would only wait at checkpoints.
    // The pragma cannot change inside a transaction, so it brackets it.
    this.db.pragma('synchronous = FULL')
    try {
      return this.db
        .transaction(() => {
          if (this.idOf.get(record.infoHash) !== undefined) return false
          this.insertOne(record, counts)
          return true
        })
        .immediate()
    } finally {
      this.db.pragma('synchronous = NORMAL')
    }
  }

  /** Bulk insert in one transaction (generators, imports); skips info-hashes already present. */
  insertMany(records: Iterable<TorrentRecord & { readonly counts?: SwarmCounts }>): number {
    let added = 0
    this.db
      .transaction(() => {
        for (const record of records) {
          if (this.idOf.get(record.infoHash) !== undefined) continue
          this.insertOne(record, record.counts)
          added++
        }
      })
      .immediate()
    return added
  }

  private insertOne(record: TorrentRecord, counts?: SwarmCounts): void {
    const info = this.insertTorrent.run(
      record.infoHash,
      record.name,
      record.size,
      record.files.length,
      record.pieceLength,
      record.added,
      record.uploader,
      counts?.seeders ?? 0,
      counts?.leechers ?? 0,
      counts?.completed ?? 0,
    )
    const id = Number(info.lastInsertRowid)
    if (record.torrent !== undefined) this.insertBlob.run(id, record.torrent)
    if (record.served !== undefined) this.putServed(id, record.served)
    let paths = ''
    record.files.forEach((file, index) => {
      this.insertFile.run(id, index, file.path, file.size)
      if (paths.length < FTS_PATHS_CHARS_MAX) paths += `${file.path}\n`
    })
    this.insertFts.run(id, record.name, paths.slice(0, FTS_PATHS_CHARS_MAX))
  }

  has(infoHash: string): boolean {
    return this.idOf.get(infoHash) !== undefined
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM torrents').pluck().get() as number
  }

  /**
   * Torrents matching `query` (keywords, each a prefix; all must match the name or a file
   * path), or all of them when it has no keyword, sorted by one column (ties: newest first).
   * `added` sorts by publish order (the same as the `added` time unless the clock went back).
   */
  search(query: string, options: SearchOptions = {}): SearchPage {
    const sort = options.sort ?? 'added'
    const order = options.order ?? (sort === 'name' ? 'asc' : 'desc')
    const limit = clamp(options.limit ?? SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX)
    const offset = clamp(options.offset ?? 0, 0, SEARCH_OFFSET_MAX)
    const match = matchExpression(query)
    const statement = this.searchStatement(sort, order, match !== undefined)
    const parameters = match === undefined ? [limit + 1, offset] : [match, limit + 1, offset]
    const rows = statement.all(...parameters) as SummaryRow[]
    const trackers = options.trackers ?? []
    return {
      results: rows.slice(0, limit).map((row) => summaryOf(row, trackers)),
      hasMore: rows.length > limit,
    }
  }

  /**
   * Two plans. `added` is publish order, which is `id` order (ids grow with each publish), and
   * FTS5 hands out matches in rowid order: so the newest matches come first from the full-text
   * index itself and LIMIT stops the scan early, whatever the number of matches. Other columns
   * need every match's sort key, so they cost time in proportion to the number of matches.
   */
  private searchStatement(sort: SortColumn, order: SortOrder, matching: boolean) {
    const key = `${sort}:${order}:${matching}`
    let statement = this.searches.get(key)
    if (statement === undefined) {
      const direction = order === 'asc' ? 'ASC' : 'DESC'
      let sql: string
      if (sort === 'added' && matching) {
        sql =
          `SELECT ${SUMMARY_COLUMNS} FROM torrents_fts JOIN torrents t ON t.id = torrents_fts.rowid ` +
          `WHERE torrents_fts MATCH ? ORDER BY torrents_fts.rowid ${direction} LIMIT ? OFFSET ?`
      } else if (sort === 'added') {
        sql = `SELECT ${SUMMARY_COLUMNS} FROM torrents t ORDER BY t.id ${direction} LIMIT ? OFFSET ?`
      } else {
        // Driving the join from the FTS side skips building an IN list of every match first.
        const from = matching
          ? 'torrents_fts JOIN torrents t ON t.id = torrents_fts.rowid WHERE torrents_fts MATCH ?'
          : 'torrents t'
        sql =
          `SELECT ${SUMMARY_COLUMNS} FROM ${from} ` +
          `ORDER BY ${ORDER_SQL[sort]} ${direction}, t.id DESC LIMIT ? OFFSET ?`
      }
      statement = this.db.prepare(sql)
      this.searches.set(key, statement)
    }
    return statement
  }

  /** A torrent with page `filePage` (1-based, clamped to the last page) of its file list. */
  detail(
    infoHash: string,
    trackers: readonly string[] = [],
    filePage = 1,
  ): TorrentDetail | undefined {
    const row = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS}, t.piece_length FROM torrents t WHERE t.info_hash = ?`)
      .get(infoHash) as (SummaryRow & { id: number; piece_length: number }) | undefined
    if (row === undefined) return undefined
    const filePages = Math.max(1, Math.ceil(row.file_count / FILE_PAGE_SIZE))
    const page = clamp(filePage, 1, filePages)
    // The primary key (torrent_id, idx) makes this a range read of one page.
    const fileList = this.db
      .prepare(
        'SELECT path, size FROM files WHERE torrent_id = ? AND idx >= ? ORDER BY idx LIMIT ?',
      )
      .all(row.id, (page - 1) * FILE_PAGE_SIZE, FILE_PAGE_SIZE) as { path: string; size: number }[]
    const files = fileList.map((file) => ({ path: file.path, length: file.size }))
    return {
      ...summaryOf(row, trackers),
      pieceLength: row.piece_length,
      files,
      filePage: page,
      filePages,
    }
  }

  /** The stored serving template, if the torrent has one (see served-torrent.ts). */
  servedTemplate(infoHash: string): ServedTemplate | undefined {
    const row = this.db
      .prepare(
        'SELECT s.tiers, s.tail FROM served_torrents s JOIN torrents t ON t.id = s.torrent_id ' +
          'WHERE t.info_hash = ?',
      )
      .get(infoHash) as { tiers: string; tail: Buffer } | undefined
    if (row === undefined) return undefined
    return { tiers: JSON.parse(row.tiers) as string[][], tail: new Uint8Array(row.tail) }
  }

  /** Stores a template for a torrent published before templates existed. */
  storeServedTemplate(infoHash: string, template: ServedTemplate): void {
    const id = this.idOf.get(infoHash) as number | undefined
    if (id !== undefined) this.putServed(id, template)
  }

  private putServed(id: number, template: ServedTemplate): void {
    this.insertServed.run(id, JSON.stringify(template.tiers), template.tail)
  }

  /** The .torrent as uploaded. */
  torrentBytes(infoHash: string): Uint8Array | undefined {
    const bytes = this.db
      .prepare(
        'SELECT b.bytes FROM torrent_blobs b JOIN torrents t ON t.id = b.torrent_id ' +
          'WHERE t.info_hash = ?',
      )
      .pluck()
      .get(infoHash) as Buffer | undefined
    return bytes === undefined ? undefined : new Uint8Array(bytes)
  }

  /**
   * Stores the tracker's latest counts for listed torrents (others are ignored: announces for
   * unlisted info-hashes are tracked but not indexed) and records them in the 5-minute sample
   * bucket of `now`; drops samples older than 7 days. Returns how many torrents were updated.
   */
  persistCounts(
    updates: readonly { readonly infoHash: string; readonly counts: CountsUpdate }[],
    now: number,
  ): number {
    const bucket = now - (now % SAMPLE_BUCKET_MS)
    let updated = 0
    this.db
      .transaction(() => {
        for (const { infoHash, counts } of updates) {
          const id = this.idOf.get(infoHash) as number | undefined
          if (id === undefined) continue
          this.updateCounts.run(counts.seeders, counts.leechers, counts.completed ?? null, id)
          this.upsertSample.run(id, bucket, counts.seeders, counts.leechers)
          updated++
        }
        this.db.prepare('DELETE FROM samples WHERE at < ?').run(now - SAMPLE_KEEP_MS)
      })
      .immediate()
    return updated
  }

  /** Every listed torrent's info-hash and stored `completed` count, streamed from disk. */
  *completedCounts(): IterableIterator<{ infoHash: string; completed: number }> {
    const rows = this.db
      .prepare('SELECT info_hash, completed FROM torrents')
      .iterate() as IterableIterator<{ info_hash: string; completed: number }>
    for (const row of rows) yield { infoHash: row.info_hash, completed: row.completed }
  }

  samples(infoHash: string): Sample[] {
    return this.db
      .prepare(
        'SELECT s.at, s.seeders, s.leechers FROM samples s JOIN torrents t ON t.id = s.torrent_id ' +
          'WHERE t.info_hash = ? ORDER BY s.at',
      )
      .all(infoHash) as Sample[]
  }

  /** `PRAGMA integrity_check`: `['ok']` when the file is sound. */
  integrityCheck(): string[] {
    const rows = this.db.pragma('integrity_check', { simple: false }) as {
      integrity_check: string
    }[]
    return rows.map((row) => row.integrity_check)
  }

  /** Runs a read-only statement (tests and tools inspecting the file). */
  query<T>(sql: string, ...parameters: unknown[]): T[] {
    return this.db.prepare(sql).all(...parameters) as T[]
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min
  return Math.min(max, Math.max(min, Math.trunc(value)))
}

function summaryOf(row: SummaryRow, trackers: readonly string[]): TorrentSummary {
  const infoHash = idFromHex(row.info_hash)
  return {
    infoHash: row.info_hash,
    name: row.name,
    length: row.size,
    fileCount: row.file_count,
    added: row.added,
    uploader: row.uploader,
    seeders: row.seeders,
    leechers: row.leechers,
    completed: row.completed,
    magnet:
      infoHash === undefined ? '' : formatMagnet({ infoHash, displayName: row.name, trackers }),
  }
}
