import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes, toHex } from '../../../core/bytes.js'
import { LocalProtocolError } from '../../../core/errors.js'
import {
  buildInfoDict,
  buildTorrent,
  planPieceLength,
  PLANNED_PIECE_LENGTH_MAX,
  PLANNED_PIECE_LENGTH_MIN,
  type FileInput,
} from './create.js'
import { bytes, nodeHashing, sha1 } from './fixtures.test.js'
import { parseMetainfo } from './parse.js'
import { PieceHasher } from './piece-hasher.js'

const hashAll = (content: Uint8Array, pieceLength: number): Uint8Array => {
  const hasher = new PieceHasher(pieceLength, nodeHashing)
  hasher.update(content)
  return hasher.finish()
}

test('known vector: single-file "hello" gives the hand-written info dict and its hash', () => {
  const info = buildInfoDict({
    name: 'hello.txt',
    files: [{ path: [], length: 5 }],
    pieceLength: 16384,
    pieces: hashAll(bytes('hello'), 16384),
  })
  const expected = bytes(
    'd6:lengthi5e4:name9:hello.txt12:piece lengthi16384e6:pieces20:',
    sha1(bytes('hello')),
    'e',
  )
  assert.deepEqual(info, expected)
  const parsed = parseMetainfo(buildTorrent({ info }), nodeHashing)
  assert.ok(parsed.ok)
  assert.equal(parsed.value.infoHashHex, toHex(sha1(expected)))
  // Pinned once from node:crypto, so a change to either side shows up here.
  assert.equal(parsed.value.infoHashHex, '0eb2d544ef0c9ae3c0fbba90a71cd742a44aa81d')
})

test('known vector: multi-file, private, pieces cut across the file boundary', () => {
  const info = buildInfoDict({
    name: 'root',
    files: [
      { path: ['a.txt'], length: 3 },
      { path: ['dir', 'b.bin'], length: 5 },
    ],
    pieceLength: 4,
    pieces: hashAll(bytes('abcdefgh'), 4),
    private: true,
  })
  const expected = bytes(
    'd5:filesld6:lengthi3e4:pathl5:a.txteed6:lengthi5e4:pathl3:dir5:b.bineee',
    '4:name4:root12:piece lengthi4e6:pieces40:',
    sha1(bytes('abcd')),
    sha1(bytes('efgh')),
    '7:privatei1ee',
  )
  assert.deepEqual(info, expected)
})

test('buildTorrent writes the outer keys canonically around the unchanged info', () => {
  const info = bytes('d6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:', sha1(bytes('x')), 'e')
  const torrent = buildTorrent({
    info,
    announce: 'http://t/a',
    announceList: [['http://t/a'], [], ['udp://u:1']],
    urlList: ['http://w/'],
    comment: 'hi',
    createdBy: 'plexus',
    creationDate: 1700000000,
  })
  const expected = bytes(
    'd8:announce10:http://t/a13:announce-listll10:http://t/ael9:udp://u:1ee',
    '7:comment2:hi10:created by6:plexus13:creation datei1700000000e',
    '4:info',
    info,
    '8:url-listl9:http://w/ee',
  )
  assert.deepEqual(torrent, expected)
  assert.deepEqual(buildTorrent({ info }), bytes('d4:info', info, 'e'))
})

test('planPieceLength mirrors Transmission 4: 2^round(log2(total) - 10) in 16 KiB..16 MiB', () => {
  const cases: [number, number][] = [
    [0, 16 * 1024],
    [1, 16 * 1024],
    [16 * 1024 * 1024, 16 * 1024],
    [2 ** 30, 2 ** 20],
    [1518500249, 2 ** 20], // just below 2^30.5
    [1518500250, 2 ** 21], // just above
    [2 ** 34, 16 * 1024 * 1024],
    [2 ** 45, 16 * 1024 * 1024],
  ]
  for (const [total, expected] of cases) assert.equal(planPieceLength(total), expected, `${total}`)
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 50 }), (total) => {
      const length = planPieceLength(total)
      const reference = 2 ** Math.min(24, Math.max(14, Math.round(Math.log2(total) - 10)))
      assert.equal(length, reference)
      assert.ok(length >= PLANNED_PIECE_LENGTH_MIN && length <= PLANNED_PIECE_LENGTH_MAX)
      const pieces = Math.ceil(total / length)
      if (length > PLANNED_PIECE_LENGTH_MIN && length < PLANNED_PIECE_LENGTH_MAX) {
        assert.ok(pieces >= 724 && pieces <= 1449, `${total}: ${pieces} pieces`)
      }
    }),
  )
})

/** Files with distinct, non-conflicting paths: directories are `d*`, files `f<index>`. */
const layout = fc
  .array(fc.record({ dir: fc.option(fc.constantFrom('d1', 'd2')), length: fc.nat(3000) }), {
    minLength: 1,
    maxLength: 6,
  })
  .filter((files) => files.some((f) => f.length > 0))

test('round trip: create then parse gives back the layout, hashes and trackers', () => {
  fc.assert(
    fc.property(
      layout,
      fc.constantFrom(1, 7, 64, 1000, 16384),
      fc.boolean(),
      fc.uint8Array({ minLength: 3000, maxLength: 3000 }),
      (spec, pieceLength, isPrivate, noise) => {
        const files: FileInput[] = spec.map((f, i) => ({
          path: f.dir === null ? [`f${i}`] : [f.dir, `f${i}`],
          length: f.length,
        }))
        const content = concatBytes(spec.map((f) => noise.subarray(0, f.length)))
        const pieces = hashAll(content, pieceLength)
        const input = { name: 'root', files, pieceLength, pieces, private: isPrivate }
        const info = buildInfoDict(input)
        const announceList = [['http://a/'], ['udp://b:1', 'udp://c:2']]
        const torrent = buildTorrent({ info, announceList, urlList: ['http://w/'] })
        const parsed = parseMetainfo(torrent, nodeHashing)
        assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message)
        const m = parsed.value
        assert.deepEqual(m.infoBytes, info)
        assert.deepEqual(m.infoHash, sha1(info))
        assert.deepEqual(m.pieces, pieces)
        assert.equal(m.totalLength, content.length)
        assert.equal(m.private, isPrivate)
        assert.deepEqual(
          m.files.map((f) => [f.path, f.length]),
          files.map((f) => [['root', ...f.path], f.length]),
        )
        assert.deepEqual(m.announceList, announceList)
        assert.deepEqual(m.urlList, ['http://w/'])
      },
    ),
    { numRuns: 150 },
  )
})

test('building refuses local mistakes with LocalProtocolError', () => {
  const pieces = hashAll(bytes('hello'), 16384)
  const base = { name: 'n', files: [{ path: ['a'], length: 5 }], pieceLength: 16384, pieces }
  const bad = [
    { ...base, name: '..' },
    { ...base, files: [{ path: ['a/b'], length: 5 }] },
    { ...base, files: [{ path: [''], length: 5 }] },
    {
      ...base,
      files: [
        { path: [], length: 5 },
        { path: ['b'], length: 0 },
      ],
    },
    { ...base, files: [{ path: ['a'], length: -1 }] },
    { ...base, files: [{ path: ['a'], length: 0 }], pieces: new Uint8Array(0) },
    { ...base, pieces: pieces.subarray(1) },
    { ...base, pieceLength: 0 },
    {
      ...base,
      files: [
        { path: ['a'], length: 5 },
        { path: ['a'], length: 0 },
      ],
    },
    {
      ...base,
      files: [
        { path: ['a'], length: 5 },
        { path: ['a', 'b'], length: 0 },
      ],
    },
    { ...base, files: [{ path: Array.from({ length: 65 }, () => 'd'), length: 5 }] },
  ]
  for (const input of bad) assert.throws(() => buildInfoDict(input), LocalProtocolError)
  assert.throws(() => buildTorrent({ info: bytes('le') }), LocalProtocolError)
  const info = buildInfoDict(base)
  assert.throws(() => buildTorrent({ info, creationDate: -1 }), LocalProtocolError)
})

test('padding files are written with attr p and read back as pad', () => {
  const content = new Uint8Array(32)
  const info = buildInfoDict({
    name: 'r',
    files: [
      { path: ['a'], length: 10 },
      { path: ['.pad', '6'], length: 6, pad: true },
      { path: ['b'], length: 16 },
    ],
    pieceLength: 16,
    pieces: hashAll(content, 16),
  })
  const parsed = parseMetainfo(buildTorrent({ info }), nodeHashing)
  assert.ok(parsed.ok)
  assert.deepEqual(
    parsed.value.files.map((f) => f.pad),
    [false, true, false],
  )
})
