/**
 * Availability messages in every order libtorrent accepts (issue 19): a later bitfield,
 * have_all or have_none replaces what we knew of the peer, a have adds to it, and the
 * picker's counts follow without counting a piece twice.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness, PLAIN_RESERVED, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 12 * 32_768 - 100, pieceLength: 32_768 })
const { metainfo } = torrent
const n = metainfo.pieceCount

function bitfield(...pieces: number[]): { type: 'bitfield'; bytes: Uint8Array } {
  return { type: 'bitfield', bytes: Bitfield.of(n, pieces).toBytes() }
}

/** Pieces the core believes the peer has, its availability per piece, and the invariants. */
function state(h: Harness, remote: RemotePeer): { has: number[]; availability: number[] } {
  const view = h.core.inspect()
  assert.deepEqual(checkSwarm(view), [], 'picker availability matches the peers')
  assert.equal(remote.closed, undefined, 'the connection stays open')
  const peer = view.peers.find((p) => p.connection === remote.connection)
  assert.ok(peer !== undefined)
  const has: number[] = []
  for (let piece = peer.has.nextSet(0); piece !== -1; piece = peer.has.nextSet(piece + 1)) {
    has.push(piece)
  }
  const availability = Array.from({ length: n }, (_, piece) => view.picker.availability(piece))
  return { has, availability }
}

function counts(pieces: Record<number, number>): number[] {
  return Array.from({ length: n }, (_, piece) => pieces[piece] ?? 0)
}

function opened(h: Harness, host = '10.0.1.1', plain = false): RemotePeer {
  const remote = h.open({ host, ...(plain ? { reserved: PLAIN_RESERVED } : {}) })
  remote.inbox.length = 0
  return remote
}

test('bitfield after have: the bitfield restates, a piece in both counts once', () => {
  const h = new Harness({ metainfo })
  const remote = opened(h, '10.0.1.1', true)
  remote.send({ type: 'have', index: 3 })
  assert.deepEqual(remote.types(), ['interested'])
  remote.send(bitfield(0, 3, 5))
  assert.deepEqual(state(h, remote), { has: [0, 3, 5], availability: counts({ 0: 1, 3: 1, 5: 1 }) })
  assert.deepEqual(remote.types(), ['interested'], 'still interested, said once')
})

test('a second bitfield replaces the first (libtorrent incoming_bitfield)', () => {
  const h = new Harness({ metainfo })
  const remote = opened(h)
  const other = opened(h, '10.0.1.2')
  other.send(bitfield(1, 2))
  remote.send(bitfield(1))
  remote.send({ type: 'have', index: 4 })
  remote.send(bitfield(1, 2, 4, 7))
  assert.deepEqual(state(h, remote), {
    has: [1, 2, 4, 7],
    availability: counts({ 1: 2, 2: 2, 4: 1, 7: 1 }),
  })
  remote.send(bitfield(2))
  assert.deepEqual(state(h, remote), { has: [2], availability: counts({ 1: 1, 2: 2 }) })
})

test('have_all after have and after bitfield: the peer is a seed, counted once', () => {
  const h = new Harness({ metainfo })
  const afterHave = opened(h)
  afterHave.send({ type: 'have', index: 0 })
  afterHave.send({ type: 'have_all' })
  assert.deepEqual(state(h, afterHave).has.length, n)
  assert.deepEqual(state(h, afterHave).availability, Array<number>(n).fill(1))
  const afterBitfield = opened(h, '10.0.1.2')
  afterBitfield.send(bitfield(0, 1, 2))
  afterBitfield.send({ type: 'have_all' })
  assert.deepEqual(state(h, afterBitfield).availability, Array<number>(n).fill(2))
  assert.equal(h.core.inspect().picker.inspect().order.seeds, 2)
})

test('have_none after bitfield: the peer has nothing and we lose interest', () => {
  const h = new Harness({ metainfo })
  const remote = opened(h)
  remote.send(bitfield(0, 6))
  assert.deepEqual(remote.types(), ['interested'])
  remote.send({ type: 'have_none' })
  assert.deepEqual(state(h, remote), { has: [], availability: counts({}) })
  assert.deepEqual(remote.types(), ['interested', 'not_interested'])
  remote.send({ type: 'have', index: 6 })
  assert.deepEqual(state(h, remote), { has: [6], availability: counts({ 6: 1 }) })
})

test('bitfield after have_all: the peer is no longer a seed', () => {
  const h = new Harness({ metainfo })
  const remote = opened(h)
  remote.send({ type: 'have_all' })
  remote.send(bitfield(2, 3))
  assert.deepEqual(state(h, remote), { has: [2, 3], availability: counts({ 2: 1, 3: 1 }) })
  assert.equal(h.core.inspect().picker.inspect().order.seeds, 0)
  remote.send({ type: 'have_all' })
  assert.equal(state(h, remote).has.length, n)
})

test('a seed keeps a leecher that re-sends its bitfield, and parts from it when it completes', () => {
  const h = new Harness({ metainfo, have: Bitfield.full(n) })
  const remote = opened(h)
  remote.send(bitfield(0))
  remote.send({ type: 'have', index: 1 })
  remote.send(bitfield(0, 1, 2, 3))
  assert.deepEqual(state(h, remote).has, [0, 1, 2, 3])
  assert.deepEqual(h.take('remote_fault'), [])
  remote.send({ type: 'have_all' })
  assert.deepEqual(remote.closed, { graceful: true }, 'both seeds: a polite close, no fault')
  assert.deepEqual(h.take('remote_fault'), [])
})

test('still strict: have_all without BEP 6, and bitfields of the wrong length', () => {
  const h = new Harness({ metainfo })
  const plain = opened(h, '10.0.1.1', true)
  plain.send(bitfield(0))
  plain.send({ type: 'have_all' })
  assert.deepEqual(plain.closed, { graceful: false })
  const long = opened(h, '10.0.1.2')
  long.send(bitfield(0))
  long.send({ type: 'bitfield', bytes: new Uint8Array(Bitfield.full(n).toBytes().length + 1) })
  assert.deepEqual(long.closed, { graceful: false })
  assert.deepEqual(
    h.take('remote_fault').map((f) => f.code),
    ['unexpected_message', 'malformed'],
  )
})
