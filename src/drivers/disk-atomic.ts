import { pid } from 'node:process'
import type { Callback, Disk, DiskFile } from '../core/env.js'
import type { OperationalError } from '../core/errors.js'
import { err } from '../core/result.js'

/**
 * Crash-safe whole-file replacement for small files (resume data, indexes): write a temporary
 * file next to the target, fsync it, close it, then rename it over the target. rename(2) is
 * atomic, so after a crash at any moment the target holds either the old bytes or the new
 * ones, never a mix. The parent directory is synced after the rename so that the rename itself
 * survives a power loss; without it the new content may revert to the old after one.
 *
 * Temporary names are `<path>.tmp-<pid>-<n>`, with one counter for the process (deterministic in
 * the simulator, where the process id is one constant). The process id keeps two processes that
 * share a state folder (two `plexus get` of one torrent with the default state folder) from
 * writing one temporary file: each would truncate the other's, and the second rename would fail
 * with ENOENT. A crash can leave one behind; `isAtomicTempName` lets a startup sweep remove it.
 * Concurrent writes of one path are safe (the last rename wins).
 */

export const ATOMIC_TEMP_INFIX = '.tmp-'

/** One counter for the process, so that two Disk instances never pick one temporary name. */
let tempCounter = 0

/** The directory holding `path`, in a form every Disk accepts ('.' for a bare name). */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/')
  if (slash < 0) return '.'
  return slash === 0 ? '/' : path.slice(0, slash)
}

/** Whether a directory entry is a temporary file left by an interrupted `writeFileAtomic`. */
export function isAtomicTempName(name: string): boolean {
  return /\.tmp-\d+-\d+$/.test(name)
}

/** Replaces the file at `path` with `bytes`, atomically (see the file comment). */
export function writeFileAtomic(
  disk: Disk,
  path: string,
  bytes: Uint8Array,
  done: Callback<void>,
): void {
  const counter = tempCounter++
  const temp = `${path}${ATOMIC_TEMP_INFIX}${pid}-${counter}`
  disk.open(temp, 'create', (opened) => {
    if (!opened.ok) return done(opened)
    writeFileAtomicFill(opened.value, bytes, (filled) => {
      if (!filled.ok) return writeFileAtomicAbandon(disk, temp, filled.error, done)
      disk.rename(temp, path, (renamed) => {
        if (!renamed.ok) return writeFileAtomicAbandon(disk, temp, renamed.error, done)
        disk.syncDirectory(parentOf(path), done)
      })
    })
  })
}

/**
 * Truncates (a temp left by a crash in an earlier process may have the same name), writes,
 * syncs and closes. The file is closed whatever happens; the first error wins.
 */
function writeFileAtomicFill(file: DiskFile, bytes: Uint8Array, done: Callback<void>): void {
  const closeWith = (failure: OperationalError | undefined): void =>
    file.close((closed) => {
      if (failure !== undefined) return done(err(failure))
      done(closed)
    })
  file.truncate(0, (truncated) => {
    if (!truncated.ok) return closeWith(truncated.error)
    file.write(0, bytes, (written) => {
      if (!written.ok) return closeWith(written.error)
      file.sync((synced) => closeWith(synced.ok ? undefined : synced.error))
    })
  })
}

/** Removes the temporary file (best effort) and reports the error that stopped the write. */
function writeFileAtomicAbandon(
  disk: Disk,
  temp: string,
  failure: OperationalError,
  done: Callback<void>,
): void {
  disk.remove(temp, () => done(err(failure)))
}
