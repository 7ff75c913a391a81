import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Bitfield } from '../../protocols/bittorrent/picker/index.js'
import { layoutMetainfo } from '../../protocols/bittorrent/webseed/fixture.js'
import { announceLeft } from './announce-left.js'

test('left counts missing wanted pieces only: skipped files are not left to download', () => {
  // Pieces of 10 bytes: 0-1 file a, 2 shared by a and b, 3-4 file b (the last one 5 bytes).
  const m = layoutMetainfo('t', 10, [
    { path: ['a'], length: 25 },
    { path: ['b'], length: 20 },
  ])
  const priorities = [4, 4, 4, 0, 0] // b skipped: its own pieces 3 and 4 are priority 0
  const none = new Bitfield(m.pieceCount)
  assert.equal(
    announceLeft(m, none, () => 4),
    45,
  )
  assert.equal(
    announceLeft(m, none, (piece) => priorities[piece] as number),
    30,
  )
  const done = Bitfield.of(m.pieceCount, [0, 1, 2])
  assert.equal(
    announceLeft(m, done, (piece) => priorities[piece] as number),
    0,
  )
  assert.equal(
    announceLeft(m, done, () => 4),
    15,
  )
})
