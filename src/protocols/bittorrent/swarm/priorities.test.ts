import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assert as check } from '../../../core/errors.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { buildInfoDict, parseInfoDict, PieceHasher } from '../metainfo/index.js'
import { fixtureContent, fixtureTorrent, Harness, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const PIECE = 32_768

/** Two files over 4 pieces: `a` holds pieces 0, 1 and half of 2, `b` the rest of 2 and 3. */
function twoFiles() {
  const content = fixtureContent(4 * PIECE)
  const hasher = new PieceHasher(PIECE, hashing)
  hasher.update(content)
  const info = buildInfoDict({
    name: 'two',
    files: [
      { path: ['a'], length: 2.5 * PIECE },
      { path: ['b'], length: 1.5 * PIECE },
    ],
    pieceLength: PIECE,
    pieces: hasher.finish(),
  })
  const parsed = parseInfoDict(info, hashing)
  check(parsed.ok, 'fixture must parse')
  return { metainfo: parsed.value, content }
}

/** Serves, writes and verifies until the peer is asked for nothing; returns requested pieces. */
function run(h: Harness, remote: RemotePeer, content: Uint8Array): number[] {
  const pieces: number[] = []
  for (let round = 0; round < 1000; round++) {
    const requests = remote.take('request')
    if (requests.length === 0) break
    for (const r of requests) {
      pieces.push(r.index)
      const at = r.index * PIECE + r.begin
      remote.send({
        type: 'piece',
        index: r.index,
        begin: r.begin,
        block: content.slice(at, at + r.length),
      })
    }
    for (const w of h.take('write_block')) {
      h.core.blockWritten(h.now, w.piece, w.begin, w.bytes.length)
    }
    h.flush()
    for (const v of h.take('verify_piece')) h.core.pieceVerified(h.now, v.piece, true)
    h.flush()
    assert.deepEqual(checkSwarm(h.core.inspect()), [])
  }
  return pieces
}

function seedPeer(h: Harness, host = '10.0.1.1'): RemotePeer {
  const remote = h.open({ host })
  remote.send({ type: 'have_all' })
  remote.send({ type: 'unchoke' })
  return remote
}

test('a skipped file: its own pieces are never requested, completion fires without them', () => {
  const { metainfo, content } = twoFiles()
  const h = new Harness({ metainfo })
  h.core.setFilePriorities(h.now, [4, 0])
  const remote = seedPeer(h)
  const pieces = new Set(run(h, remote, content))
  assert.deepEqual([...pieces].sort(), [0, 1, 2], 'piece 2 is shared with the wanted file')
  assert.equal(h.take('download_completed').length, 1)
  const view = h.core.inspect()
  assert.ok(view.complete)
  assert.equal(view.stats.piecesVerified, 3)
})

test('a piece shared by a skipped and a wanted file is downloaded', () => {
  const { metainfo, content } = twoFiles()
  const h = new Harness({ metainfo })
  h.core.setFilePriorities(h.now, [0, 1])
  const remote = seedPeer(h)
  assert.deepEqual([...new Set(run(h, remote, content))].sort(), [2, 3])
  assert.equal(h.take('download_completed').length, 1)
})

test('raising a priority after completion downloads again and completes again', () => {
  const { metainfo, content } = twoFiles()
  const h = new Harness({ metainfo })
  h.core.setFilePriorities(h.now, [4, 0])
  const remote = h.open()
  remote.send({ type: 'bitfield', bytes: new Uint8Array([0xe0]) })
  remote.send({ type: 'unchoke' })
  run(h, remote, content)
  assert.equal(h.take('download_completed').length, 1)
  assert.equal(remote.closed, undefined, 'not a seed pair: we lack piece 3')
  remote.inbox.length = 0
  remote.send({ type: 'have', index: 3 })
  assert.deepEqual(remote.types(), [], 'a skipped piece: not interested')
  h.core.setFilePriorities(h.now, [4, 7])
  h.flush()
  assert.ok(!h.core.inspect().complete)
  assert.ok(remote.types().includes('interested'))
  assert.deepEqual([...new Set(run(h, remote, content))], [3])
  assert.equal(h.take('download_completed').length, 1)
  assert.ok(h.core.inspect().complete)
})

test('skipping every missing piece completes at once; bad priorities throw', () => {
  const { metainfo } = twoFiles()
  const h = new Harness({ metainfo })
  h.core.setFilePriorities(h.now, [0, 0])
  h.flush()
  assert.equal(h.take('download_completed').length, 1)
  assert.throws(() => h.core.setFilePriorities(h.now, [4]), /file priorities/)
  assert.throws(() => h.core.setFilePriorities(h.now, [4, 8]), /bad file priority/)
})

test('sequential mode requests pieces in ascending order', () => {
  const torrent = fixtureTorrent(hashing, { totalLength: 23 * PIECE - 1000, pieceLength: PIECE })
  const h = new Harness({ metainfo: torrent.metainfo, config: { sequential: true } })
  const remote = seedPeer(h)
  const pieces = run(h, remote, torrent.content)
  assert.equal(new Set(pieces).size, torrent.metainfo.pieceCount)
  for (let i = 1; i < pieces.length; i++) assert.ok(pieces[i]! >= pieces[i - 1]!, `${pieces}`)
  assert.equal(h.take('download_completed').length, 1)
})
