import type { MetainfoFile } from '../protocols/bittorrent/metainfo/index.js'

/** libtorrent's default file priority; 0 skips a file. */
export const FILE_PRIORITY_DEFAULT = 4

/**
 * Per-file priorities (pad files included, as the peer takes them) from `only` / `skip`, which
 * count files as `plexus info` lists them (pad files left out), the numbering of
 * `plexus get --only/--skip`. Undefined when neither is given. Throws a message for the user on
 * an index out of range or when nothing is left to download.
 */
export function prioritiesFromSelection(
  files: readonly MetainfoFile[],
  only: readonly number[],
  skip: readonly number[],
): number[] | undefined {
  if (only.length === 0 && skip.length === 0) return undefined
  const listed: number[] = []
  files.forEach((file, index) => {
    if (!file.pad) listed.push(index)
  })
  const toFile = (flag: string, index: number): number => {
    const file = listed[index]
    if (file === undefined) {
      const range = listed.length === 1 ? '0' : `0..${listed.length - 1}`
      throw new Error(`${flag} ${index}: not a file index (the torrent's files are ${range})`)
    }
    return file
  }
  const onlyFiles = new Set(only.map((index) => toFile('only', index)))
  const skipFiles = new Set(skip.map((index) => toFile('skip', index)))
  const priorities = files.map((file, index) => {
    if (file.pad) return FILE_PRIORITY_DEFAULT
    const wanted = (onlyFiles.size === 0 || onlyFiles.has(index)) && !skipFiles.has(index)
    return wanted ? FILE_PRIORITY_DEFAULT : 0
  })
  if (!files.some((file, index) => !file.pad && priorities[index] !== 0)) {
    throw new Error('only / skip leave no file to download')
  }
  return priorities
}
