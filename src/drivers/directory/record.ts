import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { ServedTemplate } from './served-torrent.js'

/** What the index stores about one torrent, taken from its parsed metainfo. */
export interface TorrentRecord {
  readonly infoHash: string
  readonly name: string
  readonly size: number
  readonly pieceLength: number
  /** Paths joined with '/', the torrent's root directory left out; padding files left out. */
  readonly files: readonly { readonly path: string; readonly size: number }[]
  readonly uploader: string
  /** Milliseconds since the Unix epoch. */
  readonly added: number
  /** The .torrent exactly as uploaded; absent only for synthetic bench rows. */
  readonly torrent?: Uint8Array
  /** How to serve `torrent` with our trackers in front, computed once at publish. */
  readonly served?: ServedTemplate
}

/** Uploader names are shown on every page: short and single-line. */
export const UPLOADER_CHARS_MAX = 64
export const ANONYMOUS = 'anonymous'

/** A printable, bounded uploader name ('anonymous' when none is given). */
export function cleanUploader(raw: string | undefined): string {
  // Control characters (C0, DEL, C1) would only confuse logs and terminals.
  // eslint-disable-next-line no-control-regex
  const text = Array.from((raw ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim())
  const name = text.slice(0, UPLOADER_CHARS_MAX).join('').trim()
  return name.length === 0 ? ANONYMOUS : name
}

export function recordOf(
  metainfo: Metainfo,
  torrent: Uint8Array,
  uploader: string,
  added: number,
): TorrentRecord {
  const files = metainfo.files
    .filter((file) => !file.pad)
    .map((file) => ({
      // A single-file torrent's only path is [name]; a multi-file one's is [name, ...path].
      path: (metainfo.isSingleFile ? file.path : file.path.slice(1)).join('/'),
      size: file.length,
    }))
  return {
    infoHash: metainfo.infoHashHex,
    name: metainfo.name,
    size: metainfo.totalLength,
    pieceLength: metainfo.pieceLength,
    files,
    uploader: cleanUploader(uploader),
    added,
    torrent,
  }
}
