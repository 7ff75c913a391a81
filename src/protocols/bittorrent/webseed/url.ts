/**
 * BEP 19 (GetRight-style web seeds): where a torrent file lives on a web seed. A URL that
 * ends with '/' names a directory: the torrent's name is appended (and, for a multi-file
 * torrent, the file's path under it), each component percent-encoded. A URL without the
 * slash names the file itself for a single-file torrent; for a multi-file torrent it is taken
 * as the directory anyway, as libtorrent does (BEP 19 requires the slash there).
 */
import { percentEncode } from '../metainfo/percent.js'
import type { Metainfo } from '../metainfo/index.js'

/** The URL of `m.files[fileIndex]` on the web seed at `seedUrl`. */
export function webSeedFileUrl(m: Metainfo, seedUrl: string, fileIndex: number): string {
  const file = m.files[fileIndex]
  if (file === undefined) throw new RangeError(`no file ${fileIndex}`)
  const isDirectory = seedUrl.endsWith('/')
  if (m.isSingleFile && !isDirectory) return seedUrl
  const base = isDirectory ? seedUrl : `${seedUrl}/`
  // `file.path` starts with the torrent's name (libtorrent's convention, see MetainfoFile).
  return base + file.path.map(percentEncode).join('/')
}

/** Only http(s) web seeds are fetched; others (ftp:, garbage) are ignored. */
export function isFetchableWebSeed(url: string): boolean {
  return /^https?:\/\/[^/]/i.test(url)
}
