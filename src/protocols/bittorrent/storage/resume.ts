/**
 * Loading resume data, with the "fast resume" policy of libtorrent and Transmission: the
 * verified set it lists is trusted only when the file decodes and matches the torrent
 * (`decodeResume`), and then only for the pieces whose files are exactly as recorded when the
 * pieces were claimed: same size, same mtime (`FileStat.modified`). Every piece that touches a
 * file that changed, appeared or vanished since is handed back to be rechecked (`recheck` with
 * `pieces`), the claimed ones and the others alike: a file edited in place loses its bad piece,
 * and a file restored from a backup gets its pieces back. Anything else is a rejection value:
 * the caller then rechecks everything. A missing resume file is just the 'missing' rejection.
 *
 * Resume data lives in a state folder of its own, on its own Disk (`ResumeStore`), never
 * among a torrent's files: a torrent named like the folder could otherwise plant a record
 * claiming an all-zero file complete. The file is `<dir>/resume/<infohash-hex>.resume`;
 * `ResumeWriter` replaces it atomically, so it is never seen half written.
 */
import type { Callback, Disk, DiskFile } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err } from '../../../core/result.js'
import type { Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'
import { filePaths, joinPath, statFileStates, type FileState } from './file-paths.js'
import { DEFAULT_STORAGE_LIMITS } from './limits.js'
import { decodeResume, resumeBytesMax, type ResumeRejection } from './resume-codec.js'

/** The folder under a state directory that holds resume files. */
export const RESUME_DIR = 'resume'

/** Where resume data is kept: a Disk (rooted at the state folder) and a folder on it. */
export interface ResumeStore {
  readonly disk: Disk
  /** '' for the Disk's root. */
  readonly dir: string
}

/** The resume file of `m` under the state folder `stateDir`. */
export function resumePath(stateDir: string, m: Metainfo): string {
  return joinPath(stateDir, [RESUME_DIR, `${m.infoHashHex}.resume`])
}

export interface ResumeSource {
  /** The Disk that holds the torrent's files. */
  readonly disk: Disk
  readonly metainfo: Metainfo
  /** Where the torrent's files are. */
  readonly saveDir: string
  /** Where the resume file is (`resumePath(store.dir, metainfo)` by default). */
  readonly store: ResumeStore
  readonly path?: string
  /** Stats run at once while checking the data files. */
  readonly statsInFlightMax?: number
}

/**
 * Either the pieces to trust and those to recheck (with the files that changed since the
 * record, by index), or why there are none.
 */
export type ResumeLoad =
  | {
      readonly verified: Bitfield
      readonly recheck: Bitfield
      readonly changedFiles: readonly number[]
      readonly rejected?: undefined
    }
  | {
      readonly verified?: undefined
      readonly recheck?: undefined
      readonly changedFiles?: undefined
      readonly rejected: ResumeRejection
    }

const rejected = (code: ResumeRejection['code'], detail: string): ResumeLoad => ({
  rejected: { code, detail },
})

/** Whether a file is as recorded: both absent, or the same size and mtime. */
function unchanged(recorded: FileState | undefined, now: FileState | undefined): boolean {
  if (recorded === undefined || now === undefined) return recorded === now
  return recorded.size === now.size && recorded.modified === now.modified
}

/** Reads, decodes and checks resume data against the files on disk. Never fails otherwise. */
export function loadResume(source: ResumeSource, done: (load: ResumeLoad) => void): void {
  const { disk, metainfo: m, saveDir, store } = source
  const path = source.path ?? resumePath(store.dir, m)
  readSmallFile(store.disk, path, resumeBytesMax(m), (read) => {
    if (!read.ok) {
      const missing = read.error.code === 'not_found'
      return done(rejected(missing ? 'missing' : 'unreadable', read.error.message))
    }
    const decoded = decodeResume(read.value, m)
    if (!decoded.ok) return done({ rejected: decoded.error })
    const record = decoded.value
    const paths = filePaths(saveDir, m)
    const inFlightMax = source.statsInFlightMax ?? DEFAULT_STORAGE_LIMITS.metadataOpsInFlightMax
    statFileStates(disk, m, paths, inFlightMax, (stats) => {
      if (!stats.ok) return done(rejected('unreadable', stats.error.message))
      const verified = record.pieces.copy()
      const recheck = new Bitfield(m.pieceCount)
      const changedFiles: number[] = []
      m.files.forEach((file, index) => {
        if (file.pad || unchanged(record.files[index], stats.value[index])) return
        changedFiles.push(index)
        if (file.length === 0) return
        const first = Math.floor(file.offset / m.pieceLength)
        const last = Math.floor((file.offset + file.length - 1) / m.pieceLength)
        for (let piece = first; piece <= last; piece++) {
          verified.clear(piece)
          recheck.set(piece)
        }
      })
      done({ verified, recheck, changedFiles })
    })
  })
}

/** The whole of a file that must be at most `bytesMax` long; a longer one is an 'io' error. */
export function readSmallFile(
  disk: Disk,
  path: string,
  bytesMax: number,
  done: Callback<Uint8Array>,
): void {
  disk.open(path, 'read', (opened) => {
    if (!opened.ok) return done(opened)
    const file = opened.value
    file.size((size) => {
      if (!size.ok) return closeThen(file, () => done(size))
      if (size.value > bytesMax) {
        const tooLong = new OperationalError('io', `'${path}' is over ${bytesMax} bytes`)
        return closeThen(file, () => done(err(tooLong)))
      }
      file.read(0, size.value, (read) => closeThen(file, () => done(read)))
    })
  })
}

/** Closes a read-only file; its close result changes nothing for the reader. */
function closeThen(file: DiskFile, then: () => void): void {
  file.close(() => then())
}
