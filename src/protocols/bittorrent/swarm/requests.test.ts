import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness, PLAIN_RESERVED, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 23 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo, content } = torrent
const n = metainfo.pieceCount

/** Answers `request`s in the inbox with the right bytes; returns how many. */
function serve(remote: RemotePeer, corrupt = false): number {
  const requests = remote.take('request')
  for (const r of requests) {
    const at = r.index * metainfo.pieceLength + r.begin
    const block = content.slice(at, at + r.length)
    if (corrupt) block[0] = (block[0] as number) ^ 0xff
    remote.send({ type: 'piece', index: r.index, begin: r.begin, block })
  }
  return requests.length
}

function seedPeer(h: Harness, host = '10.0.1.1', reserved?: Uint8Array): RemotePeer {
  const remote = h.open({ host, ...(reserved !== undefined ? { reserved } : {}) })
  if (reserved === PLAIN_RESERVED)
    remote.send({ type: 'bitfield', bytes: Bitfield.full(n).toBytes() })
  else remote.send({ type: 'have_all' })
  remote.inbox.length = 0
  return remote
}

test('interest follows the peer bitfield and its haves', () => {
  const h = new Harness({ metainfo, have: Bitfield.of(n, [0]) })
  const remote = h.open()
  remote.inbox.length = 0
  remote.send({ type: 'bitfield', bytes: Bitfield.of(n, [0]).toBytes() })
  assert.deepEqual(remote.types(), [], 'nothing we lack: not interested')
  remote.send({ type: 'have', index: 3 })
  assert.deepEqual(remote.types(), ['interested'])
})

test('requests go out only after unchoke, and the pipeline refills as blocks arrive', () => {
  const h = new Harness({ metainfo })
  const remote = seedPeer(h)
  h.flush()
  assert.deepEqual(remote.types(), [])
  const h2 = new Harness({ metainfo })
  const r2 = h2.open()
  r2.send({ type: 'have_all' })
  assert.ok(r2.types().includes('interested'))
  assert.equal(r2.take('request').length, 0, 'no request while choked')
  r2.send({ type: 'unchoke' })
  const first = r2.take('request')
  assert.equal(first.length, 2, 'requestsPerPeerMin while the rate is unknown')
  const block = first[0]!
  const at = block.index * metainfo.pieceLength + block.begin
  r2.send({
    type: 'piece',
    index: block.index,
    begin: block.begin,
    block: content.slice(at, at + block.length),
  })
  const writes = h2.take('write_block')
  assert.equal(writes.length, 1)
  assert.deepEqual(writes[0]!.bytes, content.subarray(at, at + block.length))
  assert.ok(r2.take('request').length >= 1, 'a block in, a request out')
  h2.core
    .inspect()
    .peers.forEach((p) => assert.equal(p.outstandingRequests, p.pickerOutstandingRequests))
  assert.deepEqual(checkSwarm(h2.core.inspect()), [])
})

test('a whole download from one peer: write, verify, have, completion', () => {
  const h = new Harness({ metainfo })
  const remote = seedPeer(h)
  const watcher = h.open({ host: '10.0.1.9' })
  watcher.send({ type: 'have_none' })
  watcher.inbox.length = 0
  remote.send({ type: 'unchoke' })
  for (let round = 0; round < 1000 && serve(remote) > 0; round++) {
    for (const w of h.take('write_block'))
      h.core.blockWritten(h.now, w.piece, w.begin, w.bytes.length)
    h.flush()
    for (const v of h.take('verify_piece')) h.core.pieceVerified(h.now, v.piece, true)
    h.flush()
    assert.deepEqual(checkSwarm(h.core.inspect()), [])
  }
  assert.equal(h.take('piece_verified').length, n)
  assert.equal(h.take('download_completed').length, 1)
  assert.equal(watcher.take('have').length, n, 'every verified piece announced')
  assert.deepEqual(remote.closed, { graceful: true }, 'two seeds have nothing to trade')
  assert.ok(h.core.inspect().complete)
})

test('endgame: duplicate requests, and a cancel to the slower peer', () => {
  const small = fixtureTorrent(hashing, { totalLength: 32_768, pieceLength: 32_768 })
  const h = new Harness({ metainfo: small.metainfo })
  const a = h.open({ host: '10.0.1.1' })
  a.send({ type: 'have_all' })
  a.send({ type: 'unchoke' })
  assert.equal(a.take('request').length, 2)
  const b = h.open({ host: '10.0.1.2' })
  b.send({ type: 'have_all' })
  b.send({ type: 'unchoke' })
  assert.equal(b.take('request').length, 2, 'endgame: both blocks again')
  a.send({ type: 'piece', index: 0, begin: 0, block: small.content.slice(0, 16_384) })
  const cancels = b.take('cancel')
  assert.deepEqual(
    cancels.map((c) => [c.index, c.begin, c.length]),
    [[0, 0, 16_384]],
  )
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a peer whose pieces are all requested elsewhere shares their tails, not idles', () => {
  const only0 = Bitfield.of(n, [0]).toBytes()
  const h = new Harness({ metainfo, config: { shareBusyBlocks: true } })
  const a = h.open({ host: '10.0.1.1' })
  a.send({ type: 'bitfield', bytes: only0 })
  a.send({ type: 'unchoke' })
  assert.deepEqual(
    a.take('request').map((r) => [r.index, r.begin]),
    [
      [0, 0],
      [0, 16_384],
    ],
  )
  const b = h.open({ host: '10.0.1.2' })
  b.send({ type: 'bitfield', bytes: only0 })
  b.send({ type: 'unchoke' })
  const shared = b.take('request')
  assert.deepEqual(
    shared.map((r) => [r.index, r.begin]),
    [
      [0, 16_384],
      [0, 0],
    ],
    'the last block first',
  )
  for (const r of shared) {
    const block = content.slice(r.begin, r.begin + r.length)
    b.send({ type: 'piece', index: r.index, begin: r.begin, block })
  }
  assert.deepEqual(
    a.take('cancel').map((c) => [c.index, c.begin]),
    [
      [0, 16_384],
      [0, 0],
    ],
  )
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
  // Off (the default), the second peer gets nothing to do.
  const off = new Harness({ metainfo })
  const c = off.open({ host: '10.0.1.1' })
  c.send({ type: 'bitfield', bytes: only0 })
  c.send({ type: 'unchoke' })
  const d = off.open({ host: '10.0.1.2' })
  d.send({ type: 'bitfield', bytes: only0 })
  d.send({ type: 'unchoke' })
  assert.equal(d.take('request').length, 0)
})

test('a choke without BEP 6 releases every request', () => {
  const h = new Harness({ metainfo })
  const remote = seedPeer(h, '10.0.1.1', PLAIN_RESERVED)
  remote.send({ type: 'unchoke' })
  const first = remote.take('request')
  assert.equal(first.length, 2)
  remote.send({ type: 'choke' })
  assert.equal(h.core.inspect().peers[0]?.outstandingRequests, 0)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
  remote.send({ type: 'unchoke' })
  const again = remote.take('request')
  assert.deepEqual(
    again.map((r) => [r.index, r.begin]),
    first.map((r) => [r.index, r.begin]),
  )
})

test('with BEP 6 a choke keeps requests until each is rejected', () => {
  const h = new Harness({ metainfo })
  const remote = seedPeer(h)
  remote.send({ type: 'unchoke' })
  const requests = remote.take('request')
  remote.send({ type: 'choke' })
  assert.equal(h.core.inspect().peers[0]?.outstandingRequests, 2)
  for (const r of requests)
    remote.send({ type: 'reject_request', index: r.index, begin: r.begin, length: r.length })
  assert.equal(h.core.inspect().peers[0]?.outstandingRequests, 0)
  assert.equal(remote.take('request').length, 0, 'still choked: nothing new')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('while choked we request allowed-fast pieces only', () => {
  const h = new Harness({ metainfo })
  const remote = seedPeer(h)
  remote.send({ type: 'allowed_fast', index: 5 })
  const requests = remote.take('request')
  assert.ok(requests.length > 0)
  assert.ok(requests.every((r) => r.index === 5))
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a peer that delivers nothing for 60 s is snubbed and its requests cancelled', () => {
  const h = new Harness({ metainfo })
  const remote = seedPeer(h)
  remote.send({ type: 'unchoke' })
  assert.equal(remote.take('request').length, 2)
  h.advance(61_000)
  assert.equal(remote.take('cancel').length, 2)
  const view = h.core.inspect().peers[0]
  assert.ok(view?.snubbed)
  assert.equal(remote.take('request').length, 1, 'a snubbed peer gets one request at a time')
})

test('hostile input: bad bitfields, unrequested data, wrong block sizes', () => {
  const h = new Harness({ metainfo })
  const spare = h.open({ host: '10.0.1.1' })
  const bytes = Bitfield.full(n).toBytes()
  bytes[bytes.length - 1] = 0xff
  spare.send({ type: 'bitfield', bytes })
  assert.deepEqual(spare.closed, { graceful: false }, 'spare bits set')

  const short = h.open({ host: '10.0.1.2' })
  short.send({ type: 'have', index: 1 })
  short.send({ type: 'bitfield', bytes: Bitfield.full(n).toBytes().subarray(1) })
  assert.deepEqual(short.closed, { graceful: false }, 'a late bitfield of the wrong length')

  const flood = h.open({ host: '10.0.1.3' })
  flood.send({ type: 'have_all' })
  for (let i = 0; i < 70 && flood.closed === undefined; i++) {
    flood.send({ type: 'piece', index: i % n, begin: 0, block: new Uint8Array(16_384) })
  }
  assert.deepEqual(flood.closed, { graceful: false }, 'unrequested blocks')

  const odd = h.open({ host: '10.0.1.4' })
  odd.send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(100) })
  assert.deepEqual(odd.closed, { graceful: false }, 'block of the wrong size')
  const faults = h.take('remote_fault').map((f) => f.code)
  assert.deepEqual(faults, ['malformed', 'malformed', 'limit_exceeded', 'out_of_range'])
})

test('BEP 6 messages from a peer without BEP 6 are faults', () => {
  const h = new Harness({ metainfo })
  const remote = h.open({ reserved: PLAIN_RESERVED })
  remote.send({ type: 'have_all' })
  assert.deepEqual(remote.closed, { graceful: false })
})

test('blockBytes 32 KiB: whole-piece requests, 32 KiB blocks written, the download completes', () => {
  const h = new Harness({ metainfo, config: { blockBytes: 32_768 } })
  const remote = seedPeer(h)
  remote.send({ type: 'unchoke' })
  const first = remote.inbox.filter((m) => m.type === 'request')
  assert.ok(first.length > 0)
  for (const r of first) {
    assert.equal(r.begin, 0, 'one request per 32 KiB piece')
    assert.equal(r.length, Math.min(32_768, metainfo.totalLength - r.index * 32_768))
  }
  for (let round = 0; round < 1000 && serve(remote) > 0; round++) {
    for (const w of h.take('write_block')) {
      assert.ok(w.bytes.length === 32_768 || w.piece === n - 1)
      h.core.blockWritten(h.now, w.piece, w.begin, w.bytes.length)
    }
    h.flush()
    for (const v of h.take('verify_piece')) h.core.pieceVerified(h.now, v.piece, true)
    h.flush()
  }
  assert.equal(h.take('piece_verified').length, n)
  assert.ok(h.core.inspect().complete)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})
