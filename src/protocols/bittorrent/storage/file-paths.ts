/**
 * Where a torrent's files live on the Disk, and what is there now. Paths are `/`-separated
 * strings under `saveDir` ('' means the Disk's root); the metainfo parser has already checked
 * every component, and the Node disk refuses anything that would escape its root anyway.
 */
import type { Callback, Disk } from '../../../core/env.js'
import type { OperationalError } from '../../../core/errors.js'
import { err, ok } from '../../../core/result.js'
import type { Metainfo } from '../metainfo/index.js'
import { runLimited } from './callbacks.js'

/** `saveDir` and `components` joined with `/` (no leading or doubled separators). */
export function joinPath(saveDir: string, components: readonly string[]): string {
  const base = saveDir.replace(/\/+$/, '')
  return base === '' ? components.join('/') : [base, ...components].join('/')
}

/** The directory holding `path`: '' when it is a bare name (the Disk's root). */
export function parentDir(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash < 0 ? '' : path.slice(0, slash)
}

/** Every file's path, index for index with `m.files` (pad files included, never opened). */
export function filePaths(saveDir: string, m: Metainfo): string[] {
  return m.files.map((file) => joinPath(saveDir, file.path))
}

/** A data file as the Disk sees it: its size and, when the Disk can tell, its mtime. */
export interface FileState {
  readonly size: number
  readonly modified?: number
}

/**
 * Every file as the Disk sees it now: undefined when it is missing or is a directory, and for
 * pad files (never on disk). At most `inFlightMax` stats run at once. With `only`, just those
 * files are looked at; the others keep their entry in `previous` (undefined without it).
 */
export function statFileStates(
  disk: Disk,
  m: Metainfo,
  paths: readonly string[],
  inFlightMax: number,
  done: Callback<(FileState | undefined)[]>,
  only?: {
    readonly files: readonly number[]
    readonly previous: readonly (FileState | undefined)[]
  },
): void {
  const states: (FileState | undefined)[] = m.files.map((_, i) => only?.previous[i])
  let failure: OperationalError | undefined
  const listed = only?.files ?? m.files.map((_, index) => index)
  const wanted = listed.filter((index) => m.files[index]?.pad === false)
  runLimited(
    wanted,
    inFlightMax,
    (index, _, finished) =>
      disk.stat(paths[index] as string, (stat) => {
        if (!stat.ok) failure ??= stat.error
        else if (stat.value?.kind === 'file') {
          const { size, modified } = stat.value
          states[index] = modified === undefined ? { size } : { size, modified }
        } else states[index] = undefined
        finished()
      }),
    () => done(failure === undefined ? ok(states) : err(failure)),
  )
}

/** The size of every file now (see `statFileStates`). */
export function statFiles(
  disk: Disk,
  m: Metainfo,
  paths: readonly string[],
  inFlightMax: number,
  done: Callback<(number | undefined)[]>,
): void {
  statFileStates(disk, m, paths, inFlightMax, (states) =>
    done(states.ok ? ok(states.value.map((state) => state?.size)) : states),
  )
}
