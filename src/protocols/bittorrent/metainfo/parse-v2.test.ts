import assert from 'node:assert/strict'
import { test } from 'node:test'
import { concatBytes, toHex } from '../../../core/bytes.js'
import { blockHashes, fileTreeOf, pieceHashV2, splitHashes } from '../merkle/index.js'
import { dictOf } from '../../../core/codec/bencode.js'
import { nodeHashing, sha1, torrentOf } from './fixtures.test.js'
import { parseInfoDict, parseMetainfo, verifyInfoDict } from './parse.js'
import { pieceHash, type Metainfo } from './types.js'
import { v2PieceOf } from './v2-pieces.js'
import {
  patternBytes,
  SINGLE_LENGTH,
  SINGLE_NAME,
  VECTOR_FILES,
  VECTOR_NAME,
  VECTOR_PIECE_LENGTH,
  VECTORS,
} from './v2-vectors.test.js'

function parsed(torrent: Uint8Array): Metainfo {
  const result = parseMetainfo(torrent, nodeHashing)
  assert.ok(result.ok, result.ok ? '' : result.error.message)
  return result.value
}

/** The payload as v1 pieces see it: files with zeros in the padding files. */
function payloadOf(m: Metainfo): Uint8Array {
  return concatBytes(
    m.files.map((f) => (f.pad ? new Uint8Array(f.length) : patternBytes(f.length))),
  )
}

test("libtorrent's torrents parse as the version it made, with its info-hashes", () => {
  const expected = { hybrid: 'hybrid', v2: 'v2', v1: 'v1', singleHybrid: 'hybrid', singleV2: 'v2' }
  for (const [mode, vector] of Object.entries(VECTORS)) {
    const m = parsed(vector.torrent)
    assert.equal(m.version, expected[mode as keyof typeof expected], mode)
    assert.equal(m.hybrid, m.version === 'hybrid', mode)
    if ('v2' in vector) {
      assert.equal(m.infoHashV2Hex, vector.v2, mode)
      if (!('v1' in vector)) assert.equal(m.infoHashHex, vector.v2.slice(0, 40), mode)
    } else assert.equal(m.infoHashV2, undefined, mode)
    if ('v1' in vector) assert.equal(m.infoHashHex, vector.v1, mode)
  }
})

test('a v2-only torrent gets the layout libtorrent gives it: the hybrid layout, pads included', () => {
  const hybrid = parsed(VECTORS.hybrid.torrent)
  const v2 = parsed(VECTORS.v2.torrent)
  const shape = (m: Metainfo) => m.files.map((f) => [f.path.join('/'), f.length, f.offset, f.pad])
  assert.deepEqual(shape(v2), shape(hybrid))
  assert.deepEqual(shape(v2), [
    ['tree/a.bin', 40000, 0, false],
    ['tree/.pad/9152', 9152, 40000, true],
    ['tree/empty', 0, 49152, false],
    ['tree/sub/b.txt', 100, 49152, false],
    ['tree/.pad/16284', 16284, 49252, true],
    ['tree/sub/c.bin', 70000, 65536, false],
    ['tree/.pad/11920', 11920, 135536, true],
  ])
  assert.equal(v2.pieceCount, 9)
  assert.equal(v2.pieces.length, 0)
  assert.equal(v2.isSingleFile, false)
  const single = parsed(VECTORS.singleV2.torrent)
  assert.equal(single.isSingleFile, true)
  assert.deepEqual(shape(single), [
    [SINGLE_NAME, SINGLE_LENGTH, 0, false],
    ['.pad/9152', 9152, SINGLE_LENGTH, true],
  ])
  assert.throws(() => pieceHash(v2, 0), /no v1 piece hashes/)
})

test('pieces roots and piece layers rebuilt from the content match libtorrent', () => {
  for (const m of [parsed(VECTORS.hybrid.torrent), parsed(VECTORS.v2.torrent)]) {
    const real = m.files.filter((f) => !f.pad)
    assert.deepEqual(
      real.map((f) => [f.path.slice(1), f.length]),
      VECTOR_FILES.map(([path, length]) => [path, length]),
    )
    let layers = 0
    for (const file of real) {
      if (file.length === 0) {
        assert.equal(file.piecesRoot, undefined)
        continue
      }
      const content = patternBytes(file.length)
      const tree = fileTreeOf(blockHashes(content, nodeHashing), VECTOR_PIECE_LENGTH, nodeHashing)
      assert.equal(
        toHex(tree.root),
        toHex(file.piecesRoot ?? new Uint8Array()),
        file.path.join('/'),
      )
      const stored = m.pieceLayers.get(toHex(tree.root))
      assert.equal(
        stored === undefined ? undefined : toHex(stored),
        tree.pieceLayer && toHex(tree.pieceLayer),
      )
      if (tree.pieceLayer === undefined) {
        // A file of one piece: its piece hashes straight to the root.
        const hash = pieceHashV2(content, VECTOR_PIECE_LENGTH, file.length, nodeHashing)
        assert.deepEqual(hash, tree.root)
        continue
      }
      layers++
      for (const [piece, expected] of splitHashes(tree.pieceLayer).entries()) {
        const at = piece * VECTOR_PIECE_LENGTH
        const data = content.subarray(at, at + VECTOR_PIECE_LENGTH)
        assert.deepEqual(pieceHashV2(data, VECTOR_PIECE_LENGTH, file.length, nodeHashing), expected)
      }
    }
    assert.equal(layers, 2)
  }
})

test('a folder holding one file is not the single-file form', () => {
  const root = new Uint8Array(32).fill(1)
  const tree = dictOf({ 'a.bin': dictOf({ '': dictOf({ length: 5, 'pieces root': root }) }) })
  const info = { 'file tree': tree, 'meta version': 2, 'piece length': 16384 }
  const folder = parsed(torrentOf({ ...info, name: 'data' }))
  assert.equal(folder.isSingleFile, false)
  assert.deepEqual(folder.files[0]?.path, ['data', 'a.bin'])
  const single = parsed(torrentOf({ ...info, name: 'a.bin' }))
  assert.equal(single.isSingleFile, true)
  assert.deepEqual(single.files[0]?.path, ['a.bin'])
  const hybrid = parsed(
    torrentOf({
      ...info,
      name: 'data',
      files: [dictOf({ length: 5, path: ['a.bin'] })],
      pieces: new Uint8Array(20),
    }),
  )
  assert.equal(hybrid.version, 'hybrid')
  assert.deepEqual(hybrid.files[0]?.path, ['data', 'a.bin'])
})

test("a hybrid's v1 hashes cover the padded payload", () => {
  const m = parsed(VECTORS.hybrid.torrent)
  const payload = payloadOf(m)
  for (let index = 0; index < m.pieceCount; index++) {
    const at = index * m.pieceLength
    assert.deepEqual(sha1(payload.subarray(at, at + m.pieceLength)), pieceHash(m, index))
  }
})

test('metadata of a v2 torrent is verified against its truncated or full SHA-256', () => {
  const m = parsed(VECTORS.v2.torrent)
  assert.ok(verifyInfoDict(m.infoBytes, m.infoHash, nodeHashing))
  assert.ok(verifyInfoDict(m.infoBytes, m.infoHashV2 ?? new Uint8Array(), nodeHashing))
  assert.ok(!verifyInfoDict(m.infoBytes, new Uint8Array(0), nodeHashing))
  assert.ok(!verifyInfoDict(m.infoBytes, new Uint8Array(20), nodeHashing))
  const alone = parseInfoDict(m.infoBytes, nodeHashing)
  assert.ok(alone.ok)
  assert.equal(alone.value.infoHashHex, m.infoHashHex)
  assert.equal(alone.value.pieceLayers.size, 0)
  assert.equal(VECTOR_NAME, m.name)
})

test('every piece of a v2 torrent maps to one file and verifies against its layer or root', () => {
  for (const torrent of [VECTORS.v2.torrent, VECTORS.hybrid.torrent, VECTORS.singleV2.torrent]) {
    const m = parsed(torrent)
    const payload = payloadOf(m)
    for (let index = 0; index < m.pieceCount; index++) {
      const piece = v2PieceOf(m, index)
      assert.ok(piece !== undefined && piece.expected !== undefined, `piece ${index}`)
      const at = index * m.pieceLength
      const data = payload.subarray(at, at + piece.dataLength)
      const hash = pieceHashV2(data, m.pieceLength, piece.fileLength, nodeHashing)
      assert.deepEqual(hash, piece.expected, `piece ${index}`)
    }
  }
  const v2 = parsed(VECTORS.v2.torrent)
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => {
      const p = v2PieceOf(v2, i)
      return [p?.fileIndex, p?.pieceInFile, p?.dataLength]
    }),
    [
      [0, 0, 16384],
      [0, 1, 16384],
      [0, 2, 40000 - 32768],
      [3, 0, 100],
      [5, 0, 16384],
    ],
  )
  // Without the .torrent's layers, the pieces of large files have no expected hash yet.
  assert.equal(v2PieceOf(v2, 0, new Map())?.expected, undefined)
  assert.deepEqual(v2PieceOf(v2, 3, new Map())?.expected, v2.files[3]?.piecesRoot)
})
