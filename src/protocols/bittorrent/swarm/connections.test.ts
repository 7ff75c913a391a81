import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import type { Id160 } from '../../../core/id.js'
import { Bitfield } from '../picker/index.js'
import {
  decodeExtension,
  DHT_BIT,
  encodeExtension,
  FAST_EXTENSION_BIT,
  reservedWith,
  supportsDht,
  UT_PEX,
} from '../wire/index.js'
import { fixtureTorrent, Harness, PLAIN_RESERVED, remotePeerId } from './fixture.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo } = torrent

test('handshake: we answer with ours, then have_none and the extended handshake', () => {
  const h = new Harness({ metainfo })
  const remote = h.accept()
  assert.deepEqual(remote.types(), ['handshake'], 'our handshake goes out on accept')
  remote.handshake()
  assert.deepEqual(remote.types(), ['handshake', 'have_none', 'extended'])
  const extended = remote.take('extended')[0]
  assert.ok(extended !== undefined)
  const decoded = decodeExtension(extended, new Map())
  assert.ok(decoded.ok && decoded.value.type === 'extended_handshake')
  const hs = decoded.value.handshake
  assert.equal(hs.extensions.get(UT_PEX), 1)
  assert.equal(hs.port, 6881)
  assert.equal(hs.client, 'plexus/0.1.0')
  assert.equal(hs.reqq, 2000)
  assert.equal(h.take('peer_connected').length, 1)
})

test('without BEP 6, a peer with nothing gets no bitfield at all', () => {
  const h = new Harness({ metainfo })
  const remote = h.accept()
  remote.handshake({ reserved: PLAIN_RESERVED })
  assert.deepEqual(remote.types(), ['handshake'])
})

test('a seed sends have_all to BEP 6 peers and a bitfield to others', () => {
  const have = Bitfield.full(metainfo.pieceCount)
  const h = new Harness({ metainfo, have })
  assert.ok(h.open().types().includes('have_all'))
  const plain = h.open({ host: '10.0.1.2', reserved: PLAIN_RESERVED })
  const bitfield = plain.take('bitfield')[0]
  assert.ok(bitfield !== undefined)
  assert.deepEqual(bitfield.bytes, have.toBytes())
})

test('a handshake for another torrent is closed as a remote fault', () => {
  const h = new Harness({ metainfo })
  const remote = h.accept()
  remote.handshake({ infoHash: new Uint8Array(20).fill(7) as Id160 })
  assert.deepEqual(remote.closed, { graceful: false })
  assert.equal(h.take('remote_fault')[0]?.code, 'wrong_info_hash')
  assert.equal(h.core.inspect().peers.length, 0)
})

test('a connection to ourselves is closed and its address never dialled again', () => {
  const h = new Harness({ metainfo })
  const self = { host: '10.0.0.1', port: 6881 }
  const other = { host: '10.0.0.9', port: 6881 }
  assert.equal(h.core.addPeers(h.now, [other], 'tracker'), 1)
  h.flush()
  const remote = h.completeDial(other)
  remote.handshake({ peerId: h.peerId })
  assert.deepEqual(remote.closed, { graceful: false })
  assert.equal(h.core.addPeers(h.now, [other], 'pex'), 0, 'the self address is remembered')
  // Accepting a socket teaches us our own listen address too.
  h.accept()
  assert.equal(h.core.addPeers(h.now, [self], 'tracker'), 0)
})

test('addPeers dedupes, dials up to halfOpenMax, and refuses bad ports', () => {
  const h = new Harness({ metainfo, config: { halfOpenMax: 3 } })
  const addresses = Array.from({ length: 6 }, (_, i) => ({ host: `10.0.2.${i + 1}`, port: 6881 }))
  assert.equal(
    h.core.addPeers(h.now, [...addresses, addresses[0]!, { host: 'x', port: 0 }], 'tracker'),
    6,
  )
  h.flush()
  assert.equal(h.dials.length, 3)
  assert.equal(h.core.addPeers(h.now, addresses, 'pex'), 0)
  h.core.connectFailed(h.now, h.dials[0]!.connection, 'refused')
  h.flush()
  assert.equal(h.dials.length, 4, 'a failed connect frees a half-open slot')
  assert.equal(h.core.inspect().halfOpen, 3)
})

test('a second connection with the same peer id is dropped', () => {
  const h = new Harness({ metainfo })
  const first = h.open({ peerId: remotePeerId(77) })
  const second = h.open({ host: '10.0.1.2', peerId: remotePeerId(77) })
  assert.equal(first.closed, undefined)
  assert.deepEqual(second.closed, { graceful: false })
})

test('keep-alive after 90 s of silence, and a peer silent for 180 s is dropped', () => {
  const h = new Harness({ metainfo })
  const remote = h.open()
  remote.inbox.length = 0
  h.advance(91_000)
  assert.deepEqual(remote.types(), ['keep_alive'])
  remote.send({ type: 'keep_alive' })
  h.advance(120_000)
  assert.equal(remote.closed, undefined, 'heard from 120 s ago: still open')
  h.advance(61_000)
  assert.deepEqual(remote.closed, { graceful: false })
  const gone = h.take('peer_disconnected')
  assert.equal(gone[0]?.reason, 'inactive')
})

test('inbound connections over peersMax are refused', () => {
  const h = new Harness({ metainfo, config: { peersMax: 2 } })
  h.open()
  h.open({ host: '10.0.1.2' })
  const third = h.accept('10.0.1.3')
  assert.deepEqual(third.closed, { graceful: false })
})

test('PEX: every 60 s each ut_pex peer hears of the others', () => {
  const h = new Harness({ metainfo })
  const a = h.open({ host: '10.0.1.1' })
  const b = h.open({ host: '10.0.1.2' })
  for (const [remote, port] of [
    [a, 7001],
    [b, 7002],
  ] as const) {
    const handshake = { extensions: new Map([[UT_PEX, 5]]), port }
    const message = encodeExtension({ type: 'extended_handshake', handshake }, new Map())
    assert.ok(message !== undefined)
    remote.send(message)
    remote.inbox.length = 0
  }
  h.advance(60_000)
  const got = a.take('extended')
  assert.equal(got.length, 1)
  const decoded = decodeExtension(got[0]!, new Map([[UT_PEX, 5]]))
  assert.ok(decoded.ok && decoded.value.type === 'ut_pex')
  assert.deepEqual(
    decoded.value.message.added.map((p) => `${p.host}:${p.port}`),
    ['10.0.1.2:7002'],
  )
})

test('shutdown closes every connection gracefully and stops the timers', () => {
  const h = new Harness({ metainfo })
  const remote = h.open()
  h.core.shutdown(h.now)
  h.flush()
  assert.deepEqual(remote.closed, { graceful: true })
  assert.equal(h.core.nextTimeout(), undefined)
  assert.equal(h.take('peer_disconnected')[0]?.reason, 'shutdown')
})

test("simultaneous dials: the greater peer id's connection is kept, libtorrent's rule", () => {
  // libtorrent (bt_peer_connection.cpp, on the peer id): "the peer with greatest peer-id is the
  // one allowed to initiate connections". Keeping the other one would have each end close a
  // different connection of a BEP 55 punch, and both die.
  const id = (prefix: string): Uint8Array =>
    Uint8Array.from(`${prefix}000000000000`, (c) => c.charCodeAt(0))
  // Ours is `-PX0100-...`: `-RP...` is greater, `-AA...` lower.
  for (const [theirId, kept] of [
    [id('-RP0001-'), 'inbound'],
    [id('-AA0001-'), 'outbound'],
  ] as const) {
    for (const outboundFirst of [true, false]) {
      const h = new Harness({ metainfo })
      const them = { host: '10.0.3.1', port: 6881 }
      h.core.addPeers(h.now, [them], 'tracker')
      h.flush()
      const outbound = h.completeDial(them)
      const inbound = h.accept('10.0.3.1')
      const [first, second] = outboundFirst ? [outbound, inbound] : [inbound, outbound]
      first.handshake({ peerId: theirId })
      second.handshake({ peerId: theirId })
      const label = `${kept} kept, ${outboundFirst ? 'outbound' : 'inbound'} first`
      const [winner, loser] = kept === 'inbound' ? [inbound, outbound] : [outbound, inbound]
      assert.equal(winner.closed, undefined, label)
      assert.deepEqual(loser.closed, { graceful: false }, label)
      assert.equal(h.take('peer_connected').length, outboundFirst === (kept === 'outbound') ? 1 : 2)
    }
  }
})

test('failed connects back off 10 s, 20 s, ... and give up after connectAttemptsMax', () => {
  const h = new Harness({ metainfo, config: { connectAttemptsMax: 3 } })
  const them = { host: '10.0.3.2', port: 6881 }
  h.core.addPeers(h.now, [them], 'tracker')
  h.flush()
  const dialTimes: number[] = []
  for (let i = 0; i < 100 && h.dials.length > dialTimes.length; i++) {
    const dial = h.dials[dialTimes.length]!
    dialTimes.push(h.now)
    h.core.connectFailed(h.now, dial.connection, 'refused')
    h.flush()
    h.advance(5_000)
    for (let j = 0; j < 20 && h.dials.length === dialTimes.length; j++) h.advance(1_000)
  }
  const gaps = dialTimes.slice(1).map((t, i) => Math.round((t - dialTimes[i]!) / 1000))
  assert.deepEqual(gaps, [10, 20], 'then forgotten: no third retry')
  assert.equal(h.core.inspect().stats.candidates, 0)
})

test('a connection that never handshakes is closed after 20 s', () => {
  const h = new Harness({ metainfo })
  const remote = h.accept()
  h.advance(21_000)
  assert.deepEqual(remote.closed, { graceful: false })
})

test('PEX peers received become candidates and are dialled', () => {
  const h = new Harness({ metainfo })
  const remote = h.open()
  const added = [
    { host: '10.0.4.1', port: 6881, flags: 0 },
    { host: '10.0.4.2', port: 6882, flags: 0 },
  ]
  const message = encodeExtension(
    { type: 'ut_pex', message: { added, dropped: [] } },
    new Map([[UT_PEX, 1]]),
  )
  assert.ok(message !== undefined)
  remote.send(message)
  assert.deepEqual(
    h.dials.map((d) => `${d.to.host}:${d.to.port}`),
    ['10.0.4.1:6881', '10.0.4.2:6882'],
  )
})

test('with a DHT port: the DHT bit, `port` to peers that set it, their `port` as dht_node', () => {
  const h = new Harness({ metainfo, config: { dhtPort: 7000 } })
  const dhtPeer = h.accept('10.0.2.1')
  const ours = dhtPeer.take('handshake')[0]
  assert.ok(ours !== undefined && supportsDht(ours.reserved), 'our handshake sets the DHT bit')
  dhtPeer.handshake({ reserved: reservedWith([FAST_EXTENSION_BIT, DHT_BIT]) })
  assert.deepEqual(
    dhtPeer.take('port').map((m) => m.port),
    [7000],
  )
  dhtPeer.send({ type: 'port', port: 6999 })
  assert.deepEqual(
    h.take('dht_node').map((e) => e.address),
    [{ host: '10.0.2.1', port: 6999 }],
  )
  const plain = h.open({ host: '10.0.2.2', reserved: PLAIN_RESERVED })
  assert.equal(plain.take('port').length, 0, 'no port message to a peer without the bit')
})

test('without a DHT port, no DHT bit and a peer`s `port` is only counted', () => {
  const h = new Harness({ metainfo })
  const remote = h.accept()
  const ours = remote.take('handshake')[0]
  assert.ok(ours !== undefined && !supportsDht(ours.reserved))
  remote.handshake({ reserved: reservedWith([FAST_EXTENSION_BIT, DHT_BIT]) })
  assert.equal(remote.take('port').length, 0)
  remote.send({ type: 'port', port: 6999 })
  assert.equal(h.take('dht_node').length, 0)
})
