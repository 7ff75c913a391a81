import type { Callback } from '../../core/env.js'
import { ok } from '../../core/result.js'
import type { Bitfield } from '../../protocols/bittorrent/picker/index.js'
import {
  lacksPieceLayers,
  resumePath,
  TorrentStorage,
} from '../../protocols/bittorrent/storage/index.js'
import { writeFileAtomic } from '../disk-atomic.js'
import { loadSessionLayers } from './session-layers.js'
import type { TorrentSessionOptions } from './session-options.js'
import { checkStoredData } from './stored-data.js'

/**
 * The first half of opening a session: what is on disk is checked and the storage opened,
 * before any socket exists. The second half (`TorrentSession.open`) binds and joins the swarm.
 */

/** Storage ready for the swarm, and what the check found. */
export interface OpenedStorage {
  /** The caller's options; a magnet's v2 torrent gets the map of fetched piece layers. */
  readonly options: TorrentSessionOptions
  readonly storage: TorrentStorage
  /** Piece layers being fetched from peers (BEP 52 magnets), shared with storage. */
  readonly layers: Map<string, Uint8Array> | undefined
  readonly verified: Bitfield
  /** 'recheck': the resume record is stale, write one with today's sizes and mtimes. */
  readonly source: 'resume' | 'recheck'
}

/**
 * Checks what is on disk (resume data against the files' sizes and mtimes, rechecking what
 * changed; everything without usable resume data), then opens the storage and creates the
 * torrent's empty files. On failure nothing stays open.
 */
export function openSessionStorage(
  given: TorrentSessionOptions,
  done: Callback<OpenedStorage>,
): void {
  // A v2 torrent from a magnet lacks its piece layers: the swarm fetches them from peers
  // (BEP 52 hash requests) into this map, which storage verifies pieces with.
  const layers = lacksPieceLayers(given.metainfo) ? new Map(given.metainfo.pieceLayers) : undefined
  const options =
    layers === undefined
      ? given
      : { ...given, metainfo: { ...given.metainfo, pieceLayers: layers } }
  const { env, metainfo, resumeStore } = options
  if (layers === undefined || resumeStore === undefined) return check(options, layers, done)
  // Layers fetched by an earlier run, each proven against its pieces root before use.
  loadSessionLayers(env, resumeStore, metainfo, layers, () => check(options, layers, done))
}

function check(
  options: TorrentSessionOptions,
  layers: Map<string, Uint8Array> | undefined,
  done: Callback<OpenedStorage>,
): void {
  const { env, metainfo, saveDir } = options
  checkStoredData(
    {
      disk: env.disk,
      metainfo,
      saveDir,
      pieceHashing: options.pieceHashing,
      hashing: env.hashing,
      defer: options.defer,
      ...(options.resumeStore === undefined ? {} : { resumeStore: options.resumeStore }),
      ...(options.recheck === undefined ? {} : { recheck: options.recheck }),
      ...(options.filePriorities === undefined ? {} : { filePriorities: options.filePriorities }),
      onChecking: (reason) => options.onEvent?.({ type: 'checking', reason }),
    },
    (checked) => {
      if (!checked.ok) return done(checked)
      const { verified, source, problems } = checked.value
      if (problems.length > 0) options.onEvent?.({ type: 'files_missing', files: problems })
      open({ options, layers, verified, source }, done)
    },
  )
}

function open(checked: Omit<OpenedStorage, 'storage'>, done: Callback<OpenedStorage>): void {
  const { options, verified, source } = checked
  const { env, metainfo, resumeStore } = options
  const storage = new TorrentStorage({
    disk: env.disk,
    metainfo,
    saveDir: options.saveDir,
    defer: options.defer,
    hashing: options.pieceHashing,
    ...(resumeStore === undefined
      ? {}
      : {
          resume: {
            disk: resumeStore.disk,
            path: resumePath(resumeStore.dir, metainfo),
            writeAtomic: (path, bytes, written) =>
              writeFileAtomic(resumeStore.disk, path, bytes, written),
          },
        }),
    initial: { verified, source },
    ...(options.storageLimits === undefined ? {} : { limits: options.storageLimits }),
    onPieceChanged: (piece) => {
      env.log.log('warn', 'a verified piece changed on disk; it is withdrawn', { piece })
      options.onEvent?.({ type: 'piece_changed', piece })
    },
  })
  // Complete means every file is on disk: empty files get no block, so create them now.
  storage.createEmptyFiles(options.filePriorities, (created) => {
    if (!created.ok) return storage.close(() => done(created))
    done(ok({ ...checked, storage }))
  })
}
