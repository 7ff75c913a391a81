/** A Metainfo with just the layout web seed planning reads (tests only). */
import type { Id160 } from '../../../core/id.js'
import type { Metainfo, MetainfoFile } from '../metainfo/index.js'

export interface LayoutFile {
  /** Components under the torrent's name; [] for a single-file torrent. */
  readonly path: readonly string[]
  readonly length: number
  readonly pad?: boolean
}

export function layoutMetainfo(
  name: string,
  pieceLength: number,
  layout: readonly LayoutFile[],
  urlList: readonly string[] = [],
): Metainfo {
  let offset = 0
  const files: MetainfoFile[] = layout.map((file) => {
    const entry: MetainfoFile = {
      path: [name, ...file.path],
      length: file.length,
      offset,
      pad: file.pad === true,
      executable: false,
    }
    offset += file.length
    return entry
  })
  const pieceCount = Math.ceil(offset / pieceLength)
  return {
    infoHash: new Uint8Array(20) as Id160,
    infoHashHex: '00'.repeat(20),
    name,
    pieceLength,
    pieceCount,
    pieces: new Uint8Array(pieceCount * 20),
    files,
    totalLength: offset,
    isSingleFile: layout.length === 1 && layout[0]?.path.length === 0,
    private: false,
    hybrid: false,
    announceList: [],
    urlList,
    infoBytes: new Uint8Array(0),
    version: 'v1',
    pieceLayers: new Map(),
  }
}
