import type { Callback, Disk } from '../../core/env.js'
import { ok } from '../../core/result.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import { Bitfield } from '../../protocols/bittorrent/picker/index.js'
import { writeFileAtomic } from '../disk-atomic.js'
import {
  DEFAULT_STORAGE_LIMITS,
  filePaths,
  loadResume,
  PieceStore,
  recheck,
  resumePath,
  statFileStates,
  TorrentStorage,
  lacksPieceLayers,
  loadStoredLayers,
  type PieceHashing,
  type ResumeStore,
} from '../../protocols/bittorrent/storage/index.js'
import type { Sha256Hashing } from '../../protocols/bittorrent/merkle/index.js'

/**
 * What a session trusts at start (issue 11: resume data must never be trusted over the files):
 *
 * - no resume store, or `recheck`: every piece is read back and hashed;
 * - resume data that does not decode or match the torrent: the same;
 * - otherwise the pieces it claims, except those touching a file whose size or mtime differs
 *   from the record (edited, truncated, restored, deleted): those pieces, claimed or not, are
 *   rechecked, and only they.
 *
 * Then every wanted file is compared with the torrent: absent, or of another length. A seed
 * pointed at the wrong folder thus says which files it did not find instead of seeding 0 %.
 */

export interface StoredDataOptions {
  readonly disk: Disk
  readonly metainfo: Metainfo
  readonly saveDir: string
  readonly pieceHashing: PieceHashing
  /** SHA-256, to prove stored piece layers (`loadStoredLayers`). */
  readonly hashing: Sha256Hashing
  readonly defer: (fn: () => void) => void
  readonly resumeStore?: ResumeStore
  readonly recheck?: boolean
  /** One per file; 0 skips it (its files are not reported missing). */
  readonly filePriorities?: readonly number[]
  /** Told when pieces are read back, with why. */
  readonly onChecking?: (reason: string) => void
}

/** A wanted file that is not as the torrent describes it. */
export interface FileProblem {
  /** Inside the save directory, `/`-separated, the torrent's name first. */
  readonly path: string
  readonly reason: 'missing' | 'size'
}

export interface StoredData {
  readonly verified: Bitfield
  /** 'resume' when every verified piece came from resume data (nothing to fsync first). */
  readonly source: 'resume' | 'recheck'
  readonly problems: readonly FileProblem[]
}

export function checkStoredData(given: StoredDataOptions, done: Callback<StoredData>): void {
  withStoredLayers(given, (options) =>
    trustedPieces(options, (trusted) => {
      if (!trusted.ok) return done(trusted)
      fileProblems(options, (problems) => {
        if (!problems.ok) return done(problems)
        done(ok({ ...trusted.value, problems: problems.value }))
      })
    }),
  )
}

/**
 * A v2 torrent from a magnet lacks its piece layers: those an earlier run fetched and stored
 * are loaded (each proven against its pieces root), so that a check of the files can verify
 * their pieces. A session loads them itself before (it shares the map with its swarm); this
 * covers a check without a session (a paused torrent).
 */
function withStoredLayers(
  options: StoredDataOptions,
  next: (options: StoredDataOptions) => void,
): void {
  const { metainfo: m, resumeStore } = options
  if (resumeStore === undefined || !lacksPieceLayers(m)) return next(options)
  loadStoredLayers(resumeStore, m, options.hashing, (stored) => {
    if (stored.layers.size === 0) return next(options)
    const pieceLayers = new Map([...m.pieceLayers, ...stored.layers])
    next({ ...options, metainfo: { ...m, pieceLayers } })
  })
}

/**
 * Records a check's result as resume data, as a session does after a recheck, so that a torrent
 * checked while paused is not read back again at the next start (libtorrent saves resume data
 * after a check too). The record holds today's sizes and mtimes: a file changed later is still
 * rechecked. Nothing to do without a resume store.
 */
export function recordStoredData(
  options: StoredDataOptions,
  verified: Bitfield,
  done: Callback<void>,
): void {
  const { resumeStore } = options
  if (resumeStore === undefined) return done(ok(undefined))
  const storage = new TorrentStorage({
    disk: options.disk,
    metainfo: options.metainfo,
    saveDir: options.saveDir,
    defer: options.defer,
    hashing: options.pieceHashing,
    resume: {
      disk: resumeStore.disk,
      path: resumePath(resumeStore.dir, options.metainfo),
      writeAtomic: (path, bytes, written) =>
        writeFileAtomic(resumeStore.disk, path, bytes, written),
    },
    initial: { verified, source: 'recheck' },
  })
  storage.close(done)
}

function trustedPieces(
  options: StoredDataOptions,
  done: Callback<{ verified: Bitfield; source: 'resume' | 'recheck' }>,
): void {
  const { disk, metainfo: m, saveDir, resumeStore } = options
  const all = (reason: string): void =>
    readBack(options, reason, Bitfield.full(m.pieceCount), new Bitfield(m.pieceCount), done)
  if (options.recheck === true) return all('recheck requested')
  if (resumeStore === undefined) return all('no resume data kept')
  loadResume({ disk, metainfo: m, saveDir, store: resumeStore }, (load) => {
    if (load.verified === undefined) return all(`resume data ${load.rejected.code}`)
    if (load.recheck.isEmpty()) return done(ok({ verified: load.verified, source: 'resume' }))
    const count = load.changedFiles.length
    const reason = `${count} file${count === 1 ? '' : 's'} changed since the resume data`
    readBack(options, reason, load.recheck, load.verified, done)
  })
}

/** Rechecks `pieces`; the result adds the good ones to `trusted`. */
function readBack(
  options: StoredDataOptions,
  reason: string,
  pieces: Bitfield,
  trusted: Bitfield,
  done: Callback<{ verified: Bitfield; source: 'recheck' }>,
): void {
  const { disk, metainfo, saveDir, pieceHashing } = options
  options.onChecking?.(reason)
  const store = new PieceStore({ disk, metainfo, saveDir, defer: options.defer })
  recheck({ metainfo, disk, saveDir, reader: store, hashing: pieceHashing, pieces }, (checked) =>
    store.close(() => {
      if (!checked.ok) return done(checked)
      const verified = trusted.copy()
      for (const piece of checked.value.ones()) verified.set(piece)
      done(ok({ verified, source: 'recheck' }))
    }),
  )
}

function fileProblems(options: StoredDataOptions, done: Callback<FileProblem[]>): void {
  const { disk, metainfo: m, saveDir } = options
  const limit = DEFAULT_STORAGE_LIMITS.metadataOpsInFlightMax
  statFileStates(disk, m, filePaths(saveDir, m), limit, (states) => {
    if (!states.ok) return done(states)
    const problems: FileProblem[] = []
    m.files.forEach((file, index) => {
      if (file.pad || options.filePriorities?.[index] === 0) return
      const state = states.value[index]
      const path = file.path.join('/')
      if (state === undefined) problems.push({ path, reason: 'missing' })
      else if (state.size !== file.length) problems.push({ path, reason: 'size' })
    })
    done(ok(problems))
  })
}
