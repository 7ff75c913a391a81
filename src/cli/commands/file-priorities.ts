import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'

/** The default file priority (libtorrent's 4); 0 skips a file. */
const FILE_PRIORITY_DEFAULT = 4

/**
 * Per-file priorities for `TorrentSessionOptions.filePriorities` from --skip / --only, which
 * count files as `plexus info` lists them (pad files left out); undefined when neither is
 * given. Throws a message for the user on a bad index or when nothing is left to download.
 */
export function filePrioritiesOf(
  m: Metainfo,
  options: { readonly skip?: readonly string[]; readonly only?: readonly string[] },
): number[] | undefined {
  const skip = options.skip ?? []
  const only = options.only ?? []
  if (skip.length === 0 && only.length === 0) return undefined
  const listed: number[] = []
  m.files.forEach((file, index) => {
    if (!file.pad) listed.push(index)
  })
  const toFile = (flag: string, text: string): number => {
    const index = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN
    if (!Number.isSafeInteger(index) || index >= listed.length) {
      const range = listed.length === 1 ? '0' : `0..${listed.length - 1}`
      throw new Error(`${flag} ${text}: not a file index (the torrent's files are ${range})`)
    }
    return listed[index] as number
  }
  const onlyFiles = new Set(only.map((text) => toFile('--only', text)))
  const skipFiles = new Set(skip.map((text) => toFile('--skip', text)))
  const priorities = m.files.map((file, index) => {
    if (file.pad) return FILE_PRIORITY_DEFAULT
    const wanted = (onlyFiles.size === 0 || onlyFiles.has(index)) && !skipFiles.has(index)
    return wanted ? FILE_PRIORITY_DEFAULT : 0
  })
  const wantsSome = m.files.some((file, index) => !file.pad && priorities[index] !== 0)
  if (!wantsSome) throw new Error('--skip / --only leave no file to download')
  return priorities
}
