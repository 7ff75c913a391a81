/**
 * v2-only test torrents (BEP 52) for the storage tests: seeded random files hashed into merkle
 * trees, built into a .torrent with its `piece layers` and parsed back, so the `Metainfo` is
 * the one a user's .torrent gives. A `.test.ts` file that declares no tests.
 */
import { SeededRandom } from '../../../core/random.js'
import { assert } from '../../../core/errors.js'
import { blockHashes, fileTreeOf } from '../merkle/index.js'
import {
  alignFiles,
  buildInfoDict,
  buildTorrent,
  parseMetainfo,
  PieceHasher,
  type FileInput,
} from '../metainfo/index.js'
import { nodeHashing, type TestTorrent } from './fixtures.test.js'

/** 32 KiB: two merkle blocks per piece. */
export const V2_PIECE_LENGTH = 32 * 1024

/** A file of the torrent: `[]` path for the single-file form. */
export interface V2FileSpec {
  readonly path: readonly string[]
  readonly length: number
}

/**
 * A v2-only torrent over seeded random content. `content` is the payload as the swarm sees
 * it: every file followed by zeros up to its piece boundary (the implicit padding).
 */
export function makeV2Torrent(
  files: readonly V2FileSpec[],
  pieceLength = V2_PIECE_LENGTH,
  seed = 1,
  name = 'root',
): TestTorrent {
  const random = new SeededRandom(seed)
  const datas = files.map((f) => random.bytes(f.length))
  const trees = datas.map((data) =>
    data.length === 0
      ? undefined
      : fileTreeOf(blockHashes(data, nodeHashing), pieceLength, nodeHashing),
  )
  const info = buildInfoDict({
    name,
    files,
    pieceLength,
    version: 'v2',
    piecesRoots: trees.map((tree) => tree?.root),
  })
  const pieceLayers = trees.flatMap((tree) =>
    tree?.pieceLayer === undefined ? [] : [{ root: tree.root, layer: tree.pieceLayer }],
  )
  const parsed = parseMetainfo(buildTorrent({ info, pieceLayers }), nodeHashing)
  assert(parsed.ok && parsed.value.version === 'v2', 'v2 test torrent did not parse')
  const m = parsed.value
  const content = new Uint8Array(m.totalLength)
  let file = 0
  for (const entry of m.files) {
    if (entry.pad) continue
    content.set(datas[file] as Uint8Array, entry.offset)
    file++
  }
  return { m, content }
}

/**
 * The layout the v2 tests use: a file of several pieces ending in a short one, a file of one
 * partial block, an empty file, and a file of two blocks but less than one piece (hashed up
 * to its pieces root, no piece layer).
 */
export function standardV2Torrent(seed = 1): TestTorrent {
  return makeV2Torrent(
    [
      { path: ['a.bin'], length: 100_000 },
      { path: ['dir', 'b.txt'], length: 100 },
      { path: ['dir', 'empty'], length: 0 },
      { path: ['z.bin'], length: 20_000 },
    ],
    V2_PIECE_LENGTH,
    seed,
  )
}

/**
 * A hybrid torrent (v1 SHA-1s and v2 merkle trees over the same aligned payload) over seeded
 * random content, with its `piece layers`. `content` is the payload the SHA-1s describe,
 * padding zeros included. With `disagreeOn`, the merkle trees are made over that payload with
 * one byte of piece `disagreeOn` flipped (`v2Content`): the crafted hybrid whose two hash sets
 * describe different bytes, each set self-consistent.
 */
export function makeHybridTorrent(
  files: readonly V2FileSpec[],
  disagreeOn?: number,
  pieceLength = V2_PIECE_LENGTH,
  seed = 1,
): TestTorrent & { readonly v2Content: Uint8Array } {
  const random = new SeededRandom(seed)
  const datas = files.map((f) => random.bytes(f.length))
  const aligned = alignFiles<FileInput>(files, pieceLength)
  const content = new Uint8Array(aligned.reduce((sum, file) => sum + file.length, 0))
  const offsets: number[] = []
  let at = 0
  let real = 0
  for (const file of aligned) {
    if (file.pad !== true) {
      offsets.push(at)
      content.set(datas[real++] as Uint8Array, at)
    }
    at += file.length
  }
  const v2Content = content.slice()
  if (disagreeOn !== undefined) {
    const flip = disagreeOn * pieceLength + 7
    v2Content[flip] = (v2Content[flip] as number) ^ 0x01
  }
  const trees = files.map((file, index) => {
    const start = offsets[index] as number
    const data = v2Content.subarray(start, start + file.length)
    return data.length === 0
      ? undefined
      : fileTreeOf(blockHashes(data, nodeHashing), pieceLength, nodeHashing)
  })
  const hasher = new PieceHasher(pieceLength, nodeHashing)
  hasher.update(content)
  const info = buildInfoDict({
    name: 'root',
    files,
    pieceLength,
    pieces: hasher.finish(),
    version: 'hybrid',
    piecesRoots: trees.map((tree) => tree?.root),
  })
  const pieceLayers = trees.flatMap((tree) =>
    tree?.pieceLayer === undefined ? [] : [{ root: tree.root, layer: tree.pieceLayer }],
  )
  const parsed = parseMetainfo(buildTorrent({ info, pieceLayers }), nodeHashing)
  assert(parsed.ok && parsed.value.version === 'hybrid', 'hybrid test torrent did not parse')
  assert(parsed.value.totalLength === content.length, 'hybrid layout differs from the fixture')
  return { m: parsed.value, content, v2Content }
}

/** A hybrid of a file of four pieces (the last short) and one of less than a piece. */
export function standardHybridTorrent(disagreeOn?: number): ReturnType<typeof makeHybridTorrent> {
  return makeHybridTorrent(
    [
      { path: ['a.bin'], length: 100_000 },
      { path: ['z.bin'], length: 20_000 },
    ],
    disagreeOn,
  )
}
