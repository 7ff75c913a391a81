/**
 * Hostile BEP 52 input: file trees, hybrids and piece layers built at random or mutated from
 * libtorrent's own torrents. The parser must never throw, and whatever it accepts must keep
 * the v2 invariants on top of the v1 ones: every non-empty file starts on a piece boundary,
 * carries a 32-byte pieces root, and any piece layer kept hashes to its root.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { toHex } from '../../../core/bytes.js'
import { dictOf, keyFromBytes, type BEncodable } from '../../../core/codec/bencode.js'
import { rootOfPieceLayer } from '../merkle/index.js'
import { checkInvariants, fakePieces, fileOf, nodeHashing, torrentOf } from './fixtures.test.js'
import { parseMetainfo } from './parse.js'
import type { Metainfo } from './types.js'
import { VECTORS } from './v2-vectors.test.js'

function checkV2Invariants(m: Metainfo): void {
  checkInvariants(m)
  if (m.version === 'v1') {
    assert.equal(m.infoHashV2, undefined)
    return
  }
  assert.equal(m.infoHashV2?.length, 32)
  assert.deepEqual(nodeHashing.sha256([m.infoBytes]), m.infoHashV2)
  if (m.version === 'v2') assert.deepEqual(m.infoHash, m.infoHashV2?.subarray(0, 20))
  for (const file of m.files) {
    if (file.pad) continue
    assert.equal(file.piecesRoot === undefined, file.length === 0)
    if (file.length > 0) assert.equal(file.offset % m.pieceLength, 0)
  }
  for (const [root, layer] of m.pieceLayers) {
    assert.equal(toHex(rootOfPieceLayer(layer, m.pieceLength, nodeHashing)), root)
  }
}

const mutation = fc.record({ at: fc.nat(), byte: fc.nat(255), cut: fc.boolean() })

test('mutated libtorrent v2 and hybrid torrents never throw; what parses is consistent', () => {
  const corpus = Object.values(VECTORS).map((v) => v.torrent)
  fc.assert(
    fc.property(
      fc.constantFrom(...corpus),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      (torrent, mutations) => {
        const bytes = Uint8Array.from(torrent)
        let view: Uint8Array = bytes
        for (const { at, byte, cut } of mutations) {
          const where = at % view.length
          if (cut) view = Uint8Array.from([...view.subarray(0, where), ...view.subarray(where + 1)])
          else view[where] = byte
        }
        const result = parseMetainfo(view, nodeHashing)
        if (result.ok) checkV2Invariants(result.value)
      },
    ),
    { numRuns: 3000 },
  )
})

const ROOT_LIKE = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.uint8Array({ maxLength: 40 }),
)

/** A file tree node: a leaf with random fields, or a directory of nodes. */
const { node } = fc.letrec<{ node: BEncodable; leaf: BEncodable }>((tie) => ({
  leaf: fc
    .record(
      {
        length: fc.oneof(fc.constantFrom(0, 1, 16384, 16385, 40000, -1), fc.nat(100_000)),
        'pieces root': ROOT_LIKE,
        attr: fc.constantFrom('x', 'p', 'xp', ''),
      },
      { requiredKeys: [] },
    )
    .map((fields) => dictOf({ '': dictOf(fields) })),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc
      .dictionary(fc.constantFrom('a', 'b', '', '..', 'c/d', 'sub'), tie('node'), { maxKeys: 3 })
      .map((entries) => dictOf(entries)),
    fc.constantFrom<BEncodable>(3, 'x', []),
  ),
}))

test('random v2 file trees and piece layers never throw', () => {
  fc.assert(
    fc.property(
      node,
      fc.constantFrom(16384, 32768, 3, 0, 16383),
      fc.option(fc.dictionary(fc.constant('root'), fc.uint8Array({ maxLength: 200 })), {
        nil: undefined,
      }),
      (tree, pieceLength, layers) => {
        const info = {
          'file tree': tree,
          'meta version': 2,
          name: 'n',
          'piece length': pieceLength,
        }
        const outer =
          layers === undefined
            ? {}
            : {
                'piece layers': dictOf({ [keyFromBytes(new Uint8Array(32))]: layers['root'] ?? 0 }),
              }
        const result = parseMetainfo(torrentOf(info, outer), nodeHashing)
        if (result.ok) checkV2Invariants(result.value)
      },
    ),
    { numRuns: 2000 },
  )
})

test('random hybrids (v1 files beside a file tree) never throw', () => {
  const v1File = fc.record({
    path: fc.constantFrom(['a'], ['b'], ['sub', 'a'], ['.pad', '1']),
    length: fc.constantFrom(0, 1, 100, 16284, 16384, 40000),
    pad: fc.boolean(),
  })
  fc.assert(
    fc.property(fc.array(v1File, { minLength: 1, maxLength: 4 }), node, (files, tree) => {
      const total = files.reduce((sum, f) => sum + f.length, 0)
      const info = {
        files: files.map((f) => fileOf(f.path, f.length, f.pad ? 'p' : undefined)),
        'file tree': tree,
        'meta version': 2,
        name: 'n',
        'piece length': 16384,
        pieces: fakePieces(Math.ceil(total / 16384)),
      }
      const result = parseMetainfo(torrentOf(info), nodeHashing)
      if (result.ok) checkV2Invariants(result.value)
    }),
    { numRuns: 2000 },
  )
})
