import assert from 'node:assert/strict'
import { test } from 'node:test'
import { layoutMetainfo } from './fixture.js'
import { partsOf, rangeHeaderOf, runsOf } from './ranges.js'
import { isFetchableWebSeed, webSeedFileUrl } from './url.js'

const KIB = 1024

test('a single-file torrent: the URL is the file unless it ends with a slash', () => {
  const m = layoutMetainfo('movie one.mkv', 32 * KIB, [{ path: [], length: 100 * KIB }])
  assert.equal(webSeedFileUrl(m, 'http://h/files/movie.mkv', 0), 'http://h/files/movie.mkv')
  assert.equal(webSeedFileUrl(m, 'http://h/files/', 0), 'http://h/files/movie%20one.mkv')
})

test('a multi-file torrent: name and path joined under the URL, percent-encoded', () => {
  const m = layoutMetainfo('Album', 32 * KIB, [
    { path: ['cd 1', 'a&b.flac'], length: 10 },
    { path: ['é.txt'], length: 10 },
  ])
  assert.equal(webSeedFileUrl(m, 'https://h/d/', 0), 'https://h/d/Album/cd%201/a%26b.flac')
  // BEP 19 wants the slash; libtorrent adds it when it is missing, and so do we.
  assert.equal(webSeedFileUrl(m, 'https://h/d', 1), 'https://h/d/Album/%C3%A9.txt')
})

test('only http and https URLs are fetched', () => {
  assert.ok(isFetchableWebSeed('http://example.org/x'))
  assert.ok(isFetchableWebSeed('HTTPS://example.org/'))
  assert.ok(!isFetchableWebSeed('ftp://example.org/x'))
  assert.ok(!isFetchableWebSeed('http:///x'))
  assert.ok(!isFetchableWebSeed('not a url'))
})

test('adjacent blocks merge into runs, in payload order, across pieces', () => {
  const m = layoutMetainfo('t', 32 * KIB, [{ path: [], length: 100 * KIB }])
  const block = (piece: number, begin: number, length = 16 * KIB) => ({ piece, begin, length })
  const runs = runsOf(m, [block(1, 16 * KIB), block(0, 0), block(1, 0), block(3, 0, 4 * KIB)])
  assert.deepEqual(
    runs.map((r) => [r.offset, r.length, r.blocks.length]),
    [
      [0, 16 * KIB, 1],
      [32 * KIB, 32 * KIB, 2],
      [96 * KIB, 4 * KIB, 1],
    ],
  )
})

test('a run crossing file boundaries becomes one part per file, pad files as zeros', () => {
  const m = layoutMetainfo('t', 16 * KIB, [
    { path: ['a'], length: 10 * KIB },
    { path: ['.pad', '6144'], length: 6 * KIB, pad: true },
    { path: ['b'], length: 20 * KIB },
    { path: ['c'], length: 2 * KIB },
  ])
  const [run] = runsOf(m, [
    { piece: 0, begin: 0, length: 16 * KIB },
    { piece: 1, begin: 0, length: 16 * KIB },
    { piece: 2, begin: 0, length: 6 * KIB },
  ])
  assert.ok(run !== undefined)
  const parts = partsOf(m, run)
  assert.deepEqual(
    parts.map((p) => [p.fileIndex, p.fileOffset, p.length, p.at, p.pad]),
    [
      [0, 0, 10 * KIB, 0, false],
      [1, 0, 6 * KIB, 10 * KIB, true],
      [2, 0, 20 * KIB, 16 * KIB, false],
      [3, 0, 2 * KIB, 36 * KIB, false],
    ],
  )
  assert.equal(rangeHeaderOf(parts[2] as (typeof parts)[number]), 'bytes=0-20479')
})

test('a piece in the middle of a file asks for that file range only', () => {
  const m = layoutMetainfo('t', 16 * KIB, [
    { path: ['a'], length: 5 * KIB },
    { path: ['b'], length: 100 * KIB },
  ])
  const [run] = runsOf(m, [{ piece: 2, begin: 0, length: 16 * KIB }])
  assert.ok(run !== undefined)
  const parts = partsOf(m, run)
  assert.equal(parts.length, 1)
  assert.equal(rangeHeaderOf(parts[0] as (typeof parts)[number]), 'bytes=27648-44031')
})
