/**
 * Loading resume data, with the "fast resume" policy: the verified set it lists is trusted
 * only when the file decodes and matches the torrent (`decodeResume`) AND every data file is
 * there with at least the size those pieces need. Anything else is a rejection value: the
 * caller then runs `recheck` (or downloads from scratch). A missing resume file is just the
 * 'missing' rejection.
 *
 * The file lives at `<saveDir>/.plexus/<infohash-hex>.resume` unless the caller picks another
 * path; `ResumeWriter` replaces it atomically, so it is never seen half written.
 */
import type { Callback, Disk, DiskFile } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err } from '../../../core/result.js'
import type { Metainfo } from '../metainfo/index.js'
import type { Bitfield } from '../picker/bitfield.js'
import { filePaths, joinPath, statFiles } from './file-paths.js'
import { DEFAULT_STORAGE_LIMITS } from './limits.js'
import {
  decodeResume,
  requiredFileSizes,
  resumeBytesMax,
  type ResumeRejection,
} from './resume-codec.js'

/** The folder under the save directory that holds plexus's own files. */
export const RESUME_DIR = '.plexus'

export function resumePath(saveDir: string, m: Metainfo): string {
  return joinPath(saveDir, [RESUME_DIR, `${m.infoHashHex}.resume`])
}

export interface ResumeSource {
  readonly disk: Disk
  readonly metainfo: Metainfo
  /** Where the torrent's files are. */
  readonly saveDir: string
  /** The resume file (`resumePath(saveDir, metainfo)` by default). */
  readonly path?: string
  /** Stats run at once while checking the data files. */
  readonly statsInFlightMax?: number
}

/** Either the pieces to trust, or why there are none. */
export type ResumeLoad =
  | { readonly verified: Bitfield; readonly rejected?: undefined }
  | { readonly verified?: undefined; readonly rejected: ResumeRejection }

const rejected = (code: ResumeRejection['code'], detail: string): ResumeLoad => ({
  rejected: { code, detail },
})

/** Reads, decodes and checks resume data against the files on disk. Never fails otherwise. */
export function loadResume(source: ResumeSource, done: (load: ResumeLoad) => void): void {
  const { disk, metainfo: m, saveDir } = source
  const path = source.path ?? resumePath(saveDir, m)
  readSmallFile(disk, path, resumeBytesMax(m), (read) => {
    if (!read.ok) {
      const missing = read.error.code === 'not_found'
      return done(rejected(missing ? 'missing' : 'unreadable', read.error.message))
    }
    const decoded = decodeResume(read.value, m)
    if (!decoded.ok) return done({ rejected: decoded.error })
    const verified = decoded.value
    const required = requiredFileSizes(m, verified)
    const paths = filePaths(saveDir, m)
    const inFlightMax = source.statsInFlightMax ?? DEFAULT_STORAGE_LIMITS.metadataOpsInFlightMax
    statFiles(disk, m, paths, inFlightMax, (stats) => {
      if (!stats.ok) return done(rejected('unreadable', stats.error.message))
      for (const [index, need] of required.entries()) {
        if (need === 0) continue
        const size = stats.value[index]
        const where = `'${paths[index]}'`
        if (size === undefined) return done(rejected('file_missing', `${where} is missing`))
        if (size < need) {
          return done(rejected('file_short', `${where} has ${size} bytes, pieces need ${need}`))
        }
      }
      done({ verified })
    })
  })
}

/** The whole of a file that must be at most `bytesMax` long; a longer one is an 'io' error. */
function readSmallFile(
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
