import type Database from 'better-sqlite3'

/**
 * The index's schema and its version (`PRAGMA user_version`). A database from a newer plexus
 * is refused rather than guessed at; an empty one is created; later versions will add
 * migration steps here, one transaction each.
 *
 * - `torrents`: one row per published torrent. `id` is the FTS rowid (an INTEGER PRIMARY KEY,
 *   stable across VACUUM, unlike an implicit rowid); `info_hash` (lowercase hex) is the
 *   natural key and UNIQUE. `id` grows with each publish, so "newest first" is `id` order and
 *   needs no index on `added`. Rows stay small so that sorting a million of them stays cheap;
 *   the .torrent bytes live in `torrent_blobs`.
 * - `files`: the file list, in payload order (padding files left out).
 * - `torrents_fts`: contentless FTS5 over the name and the file paths (the text lives in
 *   `torrents`/`files`; the index only has to answer "which rowids"). `remove_diacritics 2`
 *   makes `resume` find `résumé`; the prefix indexes make 2- to 4-character prefix terms fast.
 * - `samples`: seeders and leechers per torrent per 5-minute bucket, kept 7 days.
 * - `served_torrents` (version 2): what a download needs to serve the .torrent with our
 *   trackers in front without parsing it again (see served-torrent.ts): the uploader's tiers as
 *   JSON and the encoded tail. A torrent published before version 2 gets its row at its first
 *   download.
 */
export const SCHEMA_VERSION = 2

const CREATE_SERVED = `
CREATE TABLE served_torrents (
  torrent_id INTEGER PRIMARY KEY REFERENCES torrents (id),
  tiers TEXT NOT NULL,
  tail BLOB NOT NULL
);
`

const CREATE = `
CREATE TABLE torrents (
  id INTEGER PRIMARY KEY,
  info_hash TEXT NOT NULL UNIQUE CHECK (length(info_hash) = 40),
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  file_count INTEGER NOT NULL,
  piece_length INTEGER NOT NULL,
  added INTEGER NOT NULL,
  uploader TEXT NOT NULL,
  seeders INTEGER NOT NULL DEFAULT 0,
  leechers INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX torrents_name ON torrents (name COLLATE NOCASE);
CREATE INDEX torrents_size ON torrents (size);
CREATE INDEX torrents_seeders ON torrents (seeders);
CREATE INDEX torrents_leechers ON torrents (leechers);
CREATE INDEX torrents_completed ON torrents (completed);
CREATE TABLE torrent_blobs (
  torrent_id INTEGER PRIMARY KEY REFERENCES torrents (id),
  bytes BLOB NOT NULL
);
CREATE TABLE files (
  torrent_id INTEGER NOT NULL REFERENCES torrents (id),
  idx INTEGER NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (torrent_id, idx)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE torrents_fts USING fts5 (
  name, paths,
  content = '',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3 4'
);
CREATE TABLE samples (
  torrent_id INTEGER NOT NULL REFERENCES torrents (id),
  at INTEGER NOT NULL,
  seeders INTEGER NOT NULL,
  leechers INTEGER NOT NULL,
  PRIMARY KEY (torrent_id, at)
) WITHOUT ROWID;
CREATE INDEX samples_at ON samples (at);
`

/** Creates or checks the schema. Throws an Error with a message for the user on a mismatch. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === SCHEMA_VERSION) return
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `the index has schema version ${version}, newer than this plexus (${SCHEMA_VERSION})`,
    )
  }
  // Version 0: a new database (or one that is not ours: then CREATE fails on a clash).
  // Version 1 lacks only `served_torrents`.
  db.transaction(() => {
    if (version === 0) db.exec(CREATE)
    db.exec(CREATE_SERVED)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}
