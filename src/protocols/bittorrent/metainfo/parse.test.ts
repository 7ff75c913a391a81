import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../../core/bytes.js'
import { dictOf } from '../../../core/codec/bencode.js'
import { idFromHex } from '../../../core/id.js'
import {
  bytes,
  fakePieces,
  fileOf,
  leaf,
  multiFileInfo,
  nodeHashing,
  sha1,
  singleFileInfo,
  torrentOf,
} from './fixtures.test.js'
import { parseInfoDict, parseMetainfo, verifyInfoDict } from './parse.js'
import type { Metainfo } from './types.js'

const HELLO_SHA1 = sha1(bytes('hello'))

/** A hand-written single-file .torrent: 'hello' in one 16 KiB piece. */
const SINGLE_INFO = bytes(
  'd6:lengthi5e4:name9:hello.txt12:piece lengthi16384e6:pieces20:',
  HELLO_SHA1,
  'e',
)
const SINGLE = bytes('d8:announce31:http://tracker.example/announce4:info', SINGLE_INFO, 'e')

/** A hand-written multi-file, private .torrent with every optional outer field. */
const MULTI_INFO = bytes(
  'd5:filesl',
  'd6:lengthi3e4:pathl5:a.txtee',
  'd6:lengthi0e4:pathl5:emptyee',
  'd6:lengthi16400e4:pathl3:dir5:b.binee',
  'e4:name4:root12:piece lengthi16384e6:pieces40:',
  fakePieces(2),
  '7:privatei1ee',
)
const MULTI = bytes(
  'd8:announce25:udp://t1.example:6969/ann',
  '13:announce-listll25:udp://t1.example:6969/annel21:http://t2.example/annee',
  '7:comment4:test10:created by6:plexus13:creation datei1700000000e',
  '4:info',
  MULTI_INFO,
  '8:url-list26:http://seed.example/files/e',
)

test('the node hashing helper matches the FIPS 180 vector for "abc"', () => {
  assert.equal(toHex(sha1(bytes('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  assert.deepEqual(nodeHashing.sha1([bytes('a'), bytes('bc')]), sha1(bytes('abc')))
})

function parseOk(torrent: Uint8Array): Metainfo {
  const result = parseMetainfo(torrent, nodeHashing)
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`)
  return result.value
}

test('parses a hand-written single-file torrent', () => {
  const m = parseOk(SINGLE)
  assert.equal(m.infoHashHex, toHex(sha1(SINGLE_INFO)))
  assert.deepEqual(m.infoHash, sha1(SINGLE_INFO))
  assert.deepEqual(m.infoBytes, SINGLE_INFO)
  assert.equal(m.name, 'hello.txt')
  assert.equal(m.pieceLength, 16384)
  assert.equal(m.pieceCount, 1)
  assert.deepEqual(m.pieces, HELLO_SHA1)
  assert.equal(m.totalLength, 5)
  assert.equal(m.isSingleFile, true)
  assert.deepEqual(m.files, [
    { path: ['hello.txt'], length: 5, offset: 0, pad: false, executable: false },
  ])
  assert.equal(m.private, false)
  assert.equal(m.hybrid, false)
  assert.equal(m.announce, 'http://tracker.example/announce')
  assert.deepEqual(m.announceList, [['http://tracker.example/announce']])
  assert.deepEqual(m.urlList, [])
  assert.equal(m.comment, undefined)
  assert.equal('comment' in m, false)
})

test('parses a hand-written multi-file torrent with every optional field', () => {
  const m = parseOk(MULTI)
  assert.equal(m.infoHashHex, toHex(sha1(MULTI_INFO)))
  assert.equal(m.name, 'root')
  assert.equal(m.isSingleFile, false)
  assert.equal(m.totalLength, 16403)
  assert.equal(m.pieceCount, 2)
  assert.deepEqual(
    m.files.map((f) => [f.path, f.length, f.offset]),
    [
      [['root', 'a.txt'], 3, 0],
      [['root', 'empty'], 0, 3],
      [['root', 'dir', 'b.bin'], 16400, 3],
    ],
  )
  assert.equal(m.private, true)
  assert.equal(m.announce, 'udp://t1.example:6969/ann')
  assert.deepEqual(m.announceList, [['udp://t1.example:6969/ann'], ['http://t2.example/ann']])
  assert.deepEqual(m.urlList, ['http://seed.example/files/'])
  assert.equal(m.comment, 'test')
  assert.equal(m.createdBy, 'plexus')
  assert.equal(m.creationDate, 1700000000)
})

test('the result does not alias the input buffer', () => {
  const input = SINGLE.slice()
  const m = parseOk(input)
  input.fill(0)
  assert.deepEqual(m.infoBytes, SINGLE_INFO)
  assert.deepEqual(m.pieces, HELLO_SHA1)
})

test('parseInfoDict and verifyInfoDict serve ut_metadata downloads', () => {
  const result = parseInfoDict(MULTI_INFO, nodeHashing)
  assert.ok(result.ok)
  assert.equal(result.value.infoHashHex, toHex(sha1(MULTI_INFO)))
  assert.deepEqual(result.value.announceList, [])
  assert.equal(verifyInfoDict(MULTI_INFO, result.value.infoHash, nodeHashing), true)
  const other = idFromHex('00'.repeat(20))
  assert.ok(other !== undefined)
  assert.equal(verifyInfoDict(MULTI_INFO, other, nodeHashing), false)
  const notInfo = parseInfoDict(bytes('i3e'), nodeHashing)
  assert.equal(notInfo.ok ? 'ok' : notInfo.error.code, 'not_a_dict')
})

test('prefers name.utf-8 and path.utf-8 when they are valid UTF-8', () => {
  const latin1Name = Uint8Array.of(0x63, 0x61, 0x66, 0xe9) // 'café' in latin-1
  const info = multiFileInfo({
    name: latin1Name,
    'name.utf-8': 'café',
    files: [
      dictOf({ length: 3, path: [Uint8Array.of(0xe9)], 'path.utf-8': ['é'] }),
      dictOf({ length: 20000, path: ['b'], 'path.utf-8': [Uint8Array.of(0xff)] }),
    ],
  })
  const m = parseOk(torrentOf(info))
  assert.equal(m.name, 'café')
  assert.deepEqual(
    m.files.map((f) => f.path),
    [
      ['café', 'é'],
      ['café', 'b'],
    ],
  )
})

test('escapes bytes that are not UTF-8, and controls and bidi overrides, as %XX', () => {
  const name = Uint8Array.of(0x66, 0xff, 0x6f, 0xc3) // f, invalid, o, truncated sequence
  assert.equal(parseOk(torrentOf(singleFileInfo({ name }))).name, 'f%FFo%C3')
  const ansi = parseOk(torrentOf(singleFileInfo({ name: '\u001b[31mred' })))
  assert.equal(ansi.name, '%1B[31mred')
  const bidi = parseOk(torrentOf(singleFileInfo({ name: 'evil\u202egpj.exe' })))
  assert.equal(bidi.name, 'evil%E2%80%AEgpj.exe')
  assert.equal(parseOk(torrentOf(singleFileInfo({ name: 'ünï 🎵.txt' }))).name, 'ünï 🎵.txt')
})

test('keeps BEP 47 padding files, which may share a path or have none', () => {
  const info = multiFileInfo({
    files: [
      fileOf(['a'], 100),
      fileOf(['.pad', '16284'], 16284, 'p'),
      dictOf({ attr: 'p', length: 16284 }),
      fileOf(['b'], 100, 'x'),
    ],
    pieces: fakePieces(2),
  })
  const m = parseOk(torrentOf(info))
  assert.deepEqual(
    m.files.map((f) => [f.path.join('/'), f.pad, f.executable]),
    [
      ['root/a', false, false],
      ['root/.pad/16284', true, false],
      ['root/.pad/16284', true, false],
      ['root/b', false, true],
    ],
  )
})

test('accepts a hybrid v1+v2 torrent whose layouts agree, with pieces roots on its files', () => {
  const info = multiFileInfo({
    files: [
      fileOf(['a.txt'], 3),
      fileOf(['.pad', '16381'], 16381, 'p'),
      fileOf(['dir', 'b'], 20000),
    ],
    pieces: fakePieces(3),
    'meta version': 2,
    'file tree': dictOf({ 'a.txt': leaf(3), dir: dictOf({ b: leaf(20000) }) }),
  })
  const m = parseOk(torrentOf(info))
  assert.equal(m.hybrid, true)
  assert.equal(m.version, 'hybrid')
  assert.equal(m.pieceCount, 3)
  assert.deepEqual(
    m.files.map((f) => f.piecesRoot !== undefined),
    [true, false, true],
  )
})

test('refuses a hybrid whose file tree is empty', () => {
  const info = multiFileInfo({ 'meta version': 2, 'file tree': dictOf({}) })
  const result = parseMetainfo(torrentOf(info), nodeHashing)
  assert.equal(result.ok ? 'ok' : result.error.code, 'no_files')
})

test('private: every non-zero integer is private (fail closed, as libtorrent)', () => {
  for (const [value, expected] of [
    [1, true],
    [2, true],
    [0, false],
    [undefined, false],
  ] as const) {
    assert.equal(parseOk(torrentOf(singleFileInfo({ private: value }))).private, expected)
  }
})

test('trackers: announce-list wins, junk entries and duplicates are dropped', () => {
  const outer = {
    announce: 'http://a/',
    'announce-list': [['http://b/', 7, 'http://b/'], [], 'junk', [' http://c/ ', '']],
  }
  const m = parseOk(torrentOf(singleFileInfo(), outer))
  assert.deepEqual(m.announceList, [['http://b/'], ['http://c/']])
  assert.equal(m.announce, 'http://a/')
  const fallback = parseOk(
    torrentOf(singleFileInfo(), { announce: 'http://a/', 'announce-list': [] }),
  )
  assert.deepEqual(fallback.announceList, [['http://a/']])
  assert.deepEqual(parseOk(torrentOf(singleFileInfo())).announceList, [])
})

test('url-list may be one string or a list', () => {
  const one = parseOk(torrentOf(singleFileInfo(), { 'url-list': 'http://s/' }))
  assert.deepEqual(one.urlList, ['http://s/'])
  const many = parseOk(torrentOf(singleFileInfo(), { 'url-list': ['http://s/', 3, 'http://t/'] }))
  assert.deepEqual(many.urlList, ['http://s/', 'http://t/'])
})

test('descriptive fields of the wrong type are ignored, not fatal', () => {
  const outer = { comment: 5, 'created by': [], 'creation date': 'yesterday' }
  const m = parseOk(torrentOf(singleFileInfo(), outer))
  assert.equal(m.comment, undefined)
  assert.equal(m.createdBy, undefined)
  assert.equal(m.creationDate, undefined)
})

test('piece length need not be a power of two in v1', () => {
  const m = parseOk(
    torrentOf(singleFileInfo({ length: 50000, 'piece length': 30000, pieces: fakePieces(2) })),
  )
  assert.equal(m.pieceCount, 2)
})

test('a torrent with unsorted keys parses, hashed over its raw info bytes (as libtorrent)', () => {
  const raw = bytes(
    'd4:infod4:name1:a6:lengthi5e12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee',
  )
  const parsed = parseMetainfo(raw, nodeHashing)
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message)
  const infoStart = raw.indexOf(0x64, 1) // the 'd' opening the info dict
  assert.equal(parsed.value.infoHashHex, toHex(sha1(raw.subarray(infoStart, raw.length - 1))))
})
