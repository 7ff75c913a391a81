import type { Callback, Disk } from '../core/env.js'
import { ok } from '../core/result.js'
import type { Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import { filePaths, resumePath, storedLayersPath } from '../protocols/bittorrent/storage/index.js'

/**
 * What removing a torrent deletes: its resume data (and the piece layers fetched for a v2
 * magnet, kept beside it) on the state disk and, when asked, its files and the folders they
 * made below the save folder (never the user's other files).
 */
export function deleteTorrentState(
  disks: { readonly stateDisk: Disk; readonly dataDisk: Disk },
  saveDir: string,
  m: Metainfo,
  deleteData: boolean,
  done: Callback<void>,
): void {
  const paths = [resumePath('', m), storedLayersPath('', m)]
  removeAll(disks.stateDisk, paths, (removed) => {
    if (!removed.ok || !deleteData) return done(removed)
    const files = filePaths(saveDir, m).filter((_, i) => m.files[i]?.pad !== true)
    removeAll(disks.dataDisk, files, (filesRemoved) => {
      if (!filesRemoved.ok) return done(filesRemoved)
      removeEmptyDirectories(disks.dataDisk, createdDirectories(saveDir, files), done)
    })
  })
}

/** Removes each path in turn; the first failure ends it. */
function removeAll(disk: Disk, list: readonly string[], next: Callback<void>): void {
  let index = 0
  const step = (): void => {
    const path = list[index++]
    if (path === undefined) return next(ok(undefined))
    disk.remove(path, (removed) => (removed.ok ? step() : next(removed)))
  }
  step()
}

/**
 * The folders a torrent's files sit in below its save folder (the torrent's own folder and its
 * subfolders; never the save folder itself), deepest first, so each is empty of the torrent's
 * files by the time it is tried.
 */
export function createdDirectories(saveDir: string, files: readonly string[]): string[] {
  const below = saveDir === '' ? '' : `${saveDir}/`
  const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')))
  const dirs = new Set<string>()
  for (const file of files) {
    for (let dir = parentOf(file); dir !== '' && dir.startsWith(below); dir = parentOf(dir)) {
      dirs.add(dir)
    }
  }
  const depth = (path: string): number => path.split('/').length
  return [...dirs].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))
}

/** Removes each folder that is empty; one holding anything else (the user's files) stays. */
function removeEmptyDirectories(disk: Disk, dirs: readonly string[], done: Callback<void>): void {
  let index = 0
  const step = (): void => {
    const dir = dirs[index++]
    if (dir === undefined) return done(ok(undefined))
    disk.removeDirectory(dir, (removed) => {
      if (removed.ok || removed.error.code === 'exists') return step()
      done(removed)
    })
  }
  step()
}
