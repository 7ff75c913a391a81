import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../../core/bytes.js'
import { decodeWithSpans, isBDict } from '../../../core/codec/bencode.js'
import { blockHashes, fileTreeOf } from '../merkle/index.js'
import {
  alignFiles,
  buildInfoDict,
  buildTorrent,
  compareTreePaths,
  type FileInput,
} from './create.js'
import { nodeHashing } from './fixtures.test.js'
import { parseMetainfo } from './parse.js'
import { PieceHasher } from './piece-hasher.js'
import type { MetaVersion } from './types.js'
import {
  patternBytes,
  SINGLE_LENGTH,
  SINGLE_NAME,
  VECTOR_FILES,
  VECTOR_NAME,
  VECTOR_PIECE_LENGTH,
  VECTORS,
} from './v2-vectors.test.js'

/** The info dictionary's bytes inside a .torrent. */
function infoOf(torrent: Uint8Array): Uint8Array {
  const decoded = decodeWithSpans(torrent)
  assert.ok(decoded.ok && isBDict(decoded.value.value))
  const span = decoded.value.spanOf(decoded.value.value.get('info') ?? 0)
  assert.ok(span !== undefined)
  return torrent.subarray(span.start, span.end)
}

/** What `plexus create` computes for `files` (in memory): hashes, roots and layers. */
function build(name: string, files: readonly FileInput[], version: MetaVersion) {
  const pieceLength = VECTOR_PIECE_LENGTH
  const hasher = new PieceHasher(pieceLength, nodeHashing)
  const payload = version === 'hybrid' ? alignFiles(files, pieceLength) : files
  for (const file of payload) {
    hasher.update(file.pad === true ? new Uint8Array(file.length) : patternBytes(file.length))
  }
  const trees = files.map((f) =>
    f.length === 0
      ? undefined
      : fileTreeOf(blockHashes(patternBytes(f.length), nodeHashing), pieceLength, nodeHashing),
  )
  const info = buildInfoDict({
    name,
    files,
    pieceLength,
    version,
    ...(version === 'v2' ? {} : { pieces: hasher.finish() }),
    ...(version === 'v1' ? {} : { piecesRoots: trees.map((t) => t?.root) }),
  })
  const pieceLayers = trees.flatMap((t) =>
    t?.pieceLayer === undefined ? [] : [{ root: t.root, layer: t.pieceLayer }],
  )
  return { info, torrent: buildTorrent({ info, pieceLayers }) }
}

const TREE: FileInput[] = VECTOR_FILES.map(([path, length]) => ({ path, length }))
const SINGLE: FileInput[] = [{ path: [], length: SINGLE_LENGTH }]

test("the info dictionary is byte for byte libtorrent's, in every mode", () => {
  const cases = [
    ['hybrid', VECTOR_NAME, TREE, VECTORS.hybrid.torrent],
    ['v2', VECTOR_NAME, TREE, VECTORS.v2.torrent],
    ['v1', VECTOR_NAME, TREE, VECTORS.v1.torrent],
    ['hybrid', SINGLE_NAME, SINGLE, VECTORS.singleHybrid.torrent],
    ['v2', SINGLE_NAME, SINGLE, VECTORS.singleV2.torrent],
  ] as const
  for (const [version, name, files, theirs] of cases) {
    const ours = build(name, files, version)
    assert.equal(toHex(ours.info), toHex(infoOf(theirs)), `${version} ${name}`)
    // Their piece layers too: the whole .torrent differs only in what libtorrent adds.
    const a = parseMetainfo(ours.torrent, nodeHashing)
    const b = parseMetainfo(theirs, nodeHashing)
    assert.ok(a.ok && b.ok)
    assert.deepEqual(a.value.pieceLayers, b.value.pieceLayers)
    assert.equal(a.value.version, version)
  }
})

test('a hybrid pads every file to a piece boundary, the last one included', () => {
  assert.deepEqual(
    alignFiles(TREE, 16384).map((f) => [f.path.join('/'), f.length, f.pad === true]),
    [
      ['a.bin', 40000, false],
      ['.pad/9152', 9152, true],
      ['empty', 0, false],
      ['sub/b.txt', 100, false],
      ['.pad/16284', 16284, true],
      ['sub/c.bin', 70000, false],
      ['.pad/11920', 11920, true],
    ],
  )
  assert.deepEqual(alignFiles(SINGLE, 16384), SINGLE)
})

test('file tree order is component by component', () => {
  const paths = [['a', 'b'], ['a.x'], ['a'], ['b'], ['a', 'a']]
  assert.deepEqual([...paths].sort(compareTreePaths), [
    ['a'],
    ['a', 'a'],
    ['a', 'b'],
    ['a.x'],
    ['b'],
  ])
})

test('v2 input mistakes are refused', () => {
  const root = new Uint8Array(32)
  const input = { name: 'n', pieceLength: 16384, version: 'v2' as const }
  assert.throws(() => buildInfoDict({ ...input, files: TREE, piecesRoots: [] }), /one pieces root/)
  assert.throws(
    () => buildInfoDict({ ...input, pieceLength: 3 * 16384, files: SINGLE, piecesRoots: [root] }),
    /power of two/,
  )
  assert.throws(
    () =>
      buildInfoDict({
        ...input,
        files: [
          { path: ['b'], length: 1 },
          { path: ['a'], length: 1 },
        ],
        piecesRoots: [root, root],
      }),
    /file tree order/,
  )
  assert.throws(
    () => buildInfoDict({ ...input, files: [{ path: ['a'], length: 0 }], piecesRoots: [root] }),
    /pieces root/,
  )
})
