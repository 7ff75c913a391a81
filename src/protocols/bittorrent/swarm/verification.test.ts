import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness, PLAIN_RESERVED, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo, content } = torrent

/** Serves the requests in the inbox; `corrupt` flips a byte of every block. */
function serve(remote: RemotePeer, corrupt: boolean): void {
  for (const r of remote.take('request')) {
    const at = r.index * metainfo.pieceLength + r.begin
    const block = content.slice(at, at + r.length)
    if (corrupt) block[0] = (block[0] as number) ^ 0xff
    remote.send({ type: 'piece', index: r.index, begin: r.begin, block })
  }
}

/** Writes every block and answers every verify_piece with `ok`; returns pieces checked. */
function store(h: Harness, ok: boolean): number {
  for (const w of h.take('write_block'))
    h.core.blockWritten(h.now, w.piece, w.begin, w.bytes.length)
  h.flush()
  const checks = h.take('verify_piece')
  for (const v of checks) h.core.pieceVerified(h.now, v.piece, ok)
  h.flush()
  return checks.length
}

test('a polluter that alone delivered two failed pieces is banned for good', () => {
  const h = new Harness({ metainfo })
  const polluter = h.open({ host: '10.0.9.9' })
  polluter.send({ type: 'have_all' })
  polluter.send({ type: 'unchoke' })
  let failed = 0
  for (let i = 0; i < 20 && polluter.closed === undefined; i++) {
    serve(polluter, true)
    failed += store(h, false)
  }
  assert.ok(failed >= 2, `${failed} pieces failed`)
  const failures = h.take('piece_failed')
  assert.deepEqual(
    failures[0]?.blamed.map((a) => a.host),
    ['10.0.9.9'],
  )
  const bans = h.take('peer_banned')
  assert.equal(bans.length, 1)
  assert.equal(bans[0]?.address.host, '10.0.9.9')
  assert.deepEqual(polluter.closed, { graceful: false })
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
  const again = h.accept('10.0.9.9')
  assert.deepEqual(again.closed, { graceful: false }, 'banned hosts are refused')
  assert.equal(h.core.addPeers(h.now, [{ host: '10.0.9.9', port: 6881 }], 'pex'), 0)
})

test('a shared failure blames every contributor and bans nobody yet', () => {
  const small = fixtureTorrent(hashing, { totalLength: 8 * 32_768, pieceLength: 32_768 })
  const h = new Harness({ metainfo: small.metainfo, config: { requestsPerPeerMin: 1 } })
  const a = h.open({ host: '10.0.1.1' })
  const b = h.open({ host: '10.0.1.2' })
  for (const r of [a, b]) {
    r.send({ type: 'have_all' })
    r.send({ type: 'unchoke' })
  }
  // Each peer holds one block of piece 0 (partial pieces are finished first).
  const ra = a.take('request')
  const rb = b.take('request')
  assert.equal(ra[0]?.index, rb[0]?.index)
  for (const [remote, r] of [
    [a, ra[0]!],
    [b, rb[0]!],
  ] as const) {
    const at = r.index * 32_768 + r.begin
    remote.send({
      type: 'piece',
      index: r.index,
      begin: r.begin,
      block: small.content.slice(at, at + r.length),
    })
  }
  assert.equal(store(h, false), 1)
  const failure = h.take('piece_failed')[0]
  assert.deepEqual(failure?.blamed.map((x) => x.host).sort(), ['10.0.1.1', '10.0.1.2'])
  assert.equal(h.take('peer_banned').length, 0, 'one shared failure bans nobody')
})

test('a failed write stops the download with storage_error', () => {
  const h = new Harness({ metainfo })
  const remote = h.open()
  remote.send({ type: 'have_all' })
  remote.send({ type: 'unchoke' })
  serve(remote, false)
  const writes = h.take('write_block')
  const w = writes[0]!
  h.core.blockWriteFailed(h.now, w.piece, w.begin, w.bytes.length, 'disk full')
  h.flush()
  assert.equal(h.take('storage_error')[0]?.message, 'disk full')
  assert.ok(remote.types().includes('not_interested'))
  assert.ok(h.core.inspect().storageFailed)
})

test('a storage backlog pauses reading on every connection until it drains', () => {
  const h = new Harness({ metainfo, config: { writeQueueBytesMax: 20_000 } })
  const remote = h.open()
  remote.send({ type: 'have_all' })
  remote.send({ type: 'unchoke' })
  serve(remote, false)
  assert.deepEqual(h.reading, [{ connection: remote.connection, paused: true }])
  for (const w of h.take('write_block'))
    h.core.blockWritten(h.now, w.piece, w.begin, w.bytes.length)
  h.flush()
  assert.deepEqual(h.reading.at(-1), { connection: remote.connection, paused: false })
})

test('after a shared failure, contributors are on parole: whole untouched pieces only', () => {
  const small = fixtureTorrent(hashing, { totalLength: 8 * 32_768, pieceLength: 32_768 })
  const h = new Harness({ metainfo: small.metainfo, config: { requestsPerPeerMin: 1 } })
  const a = h.open({ host: '10.0.1.1', reserved: PLAIN_RESERVED })
  const b = h.open({ host: '10.0.1.2', reserved: PLAIN_RESERVED })
  const all = Bitfield.full(small.metainfo.pieceCount).toBytes()
  for (const r of [a, b]) {
    r.send({ type: 'bitfield', bytes: all })
    r.send({ type: 'unchoke' })
  }
  const first = [a.take('request')[0]!, b.take('request')[0]!]
  assert.equal(first[0]!.index, first[1]!.index, 'both work on one piece')
  for (const [remote, r] of [
    [a, first[0]!],
    [b, first[1]!],
  ] as const) {
    const at = r.index * 32_768 + r.begin
    const block = small.content.slice(at, at + r.length)
    remote.send({ type: 'piece', index: r.index, begin: r.begin, block })
  }
  // A BEP 3 choke releases what they have outstanding, so the next picks start clean.
  for (const r of [a, b]) r.send({ type: 'choke' })
  assert.equal(store(h, false), 1)
  a.inbox.length = 0
  b.inbox.length = 0
  for (const r of [a, b]) r.send({ type: 'unchoke' })
  const ra = a.take('request')
  const rb = b.take('request')
  const piecesOf = (rs: { index: number }[]): number[] => [...new Set(rs.map((r) => r.index))]
  for (const rs of [ra, rb]) {
    assert.ok(rs.length > 0)
    for (const piece of piecesOf(rs)) {
      assert.equal(rs.filter((r) => r.index === piece).length, 2, `whole piece ${piece}`)
    }
  }
  const shared = piecesOf(ra).filter((p) => piecesOf(rb).includes(p))
  assert.deepEqual(shared, [], 'no piece shared between parole peers')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})
