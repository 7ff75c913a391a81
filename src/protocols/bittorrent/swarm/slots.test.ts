import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo } = torrent
const n = metainfo.pieceCount
const HONEST = '10.0.200.1'

/** A seed's core: what an honest leecher comes to. */
function seedHarness(): Harness {
  return new Harness({ metainfo, have: Bitfield.full(n) })
}

/** The honest leecher: handshake, have_none, interested, one request; true if it is served. */
function honestLeecherServed(h: Harness): boolean {
  const leecher = h.accept(HONEST)
  if (leecher.closed !== undefined) return false
  leecher.handshake()
  leecher.send({ type: 'have_none' })
  leecher.send({ type: 'interested' })
  if (leecher.take('unchoke').length === 0) return false
  h.take('read_block')
  leecher.send({ type: 'request', index: 0, begin: 0, length: 16_384 })
  return h.take('read_block').length === 1
}

/** An attacker's connection: handshaken, then keep-alives only. */
function idle(h: Harness, host: string): RemotePeer {
  const remote = h.accept(host)
  if (remote.closed === undefined) remote.handshake()
  return remote
}

test('one IP gets connectionsPerHostMax slots: 50 idle connections leave room for the honest', () => {
  const h = seedHarness()
  const attackers = Array.from({ length: 50 }, () => idle(h, '10.0.66.6'))
  const held = attackers.filter((a) => a.closed === undefined).length
  assert.equal(held, h.core.inspect().config.connectionsPerHostMax)
  // The attacker keeps its connections alive.
  for (let second = 0; second < 5; second++) {
    h.advance(1000)
    for (const a of attackers) if (a.closed === undefined) a.send({ type: 'keep_alive' })
  }
  assert.ok(honestLeecherServed(h), 'the honest leecher is served at once')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a full table of idle peers: an honest newcomer evicts the one idle longest', () => {
  const h = seedHarness()
  const { peersMax, evictIdleAfter } = h.core.inspect().config
  // Someone we trade with, connected first: it must never be evicted.
  const trader = h.open({ host: '10.0.1.1' })
  trader.send({ type: 'have_none' })
  trader.send({ type: 'interested' })
  const attackers: RemotePeer[] = []
  for (let i = 1; i < peersMax; i++) attackers.push(idle(h, `10.0.${100 + (i >> 8)}.${i & 255}`))
  assert.equal(h.core.inspect().peers.length, peersMax)
  assert.equal(h.core.evictsForIncoming(h.now), false, 'a listener is told to refuse first')
  assert.equal(honestLeecherServed(h), false, 'young idle peers are not evicted')
  assert.equal(h.core.inspect().incomingRefused, 1)
  // Keep-alives only, for longer than evictIdleAfter.
  for (let ms = 0; ms <= evictIdleAfter; ms += 5000) {
    h.advance(5000)
    for (const a of attackers) if (a.closed === undefined) a.send({ type: 'keep_alive' })
    trader.send({ type: 'keep_alive' })
  }
  assert.equal(h.core.evictsForIncoming(h.now), true, 'a listener may admit: someone is idle')
  assert.ok(honestLeecherServed(h), 'served within the same second')
  const evicted = attackers.filter((a) => a.closed !== undefined)
  assert.equal(evicted.length, 1)
  assert.equal(evicted[0], attackers[0], 'the one idle longest (the first attacker)')
  // Many more newcomers: each evicts an idle attacker, never the trader.
  for (let i = 0; i < peersMax * 2; i++) idle(h, `10.1.${i >> 8}.${i & 255}`)
  assert.equal(trader.closed, undefined, 'a peer we trade with is never evicted')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('500 silent connections: slots go to newcomers after 2 s, and all time out at 10 s', () => {
  const h = seedHarness()
  const { peersMax, handshakeTimeout } = h.core.inspect().config
  const silent: RemotePeer[] = []
  for (let i = 0; i < 500; i++) silent.push(h.accept(`10.2.${i >> 8}.${i & 255}`))
  assert.equal(silent.filter((s) => s.closed === undefined).length, peersMax)
  assert.equal(h.core.inspect().incomingRefused, 500 - peersMax)
  assert.equal(h.core.evictsForIncoming(h.now), false)
  h.advance(2000)
  assert.equal(h.core.evictsForIncoming(h.now), true, 'silent for 2 s: evictable')
  assert.ok(honestLeecherServed(h), 'a newcomer evicts a connection silent for 2 s')
  h.advance(handshakeTimeout - 2000)
  assert.equal(
    silent.filter((s) => s.closed === undefined).length,
    0,
    'every silent connection is closed by the handshake timeout',
  )
  assert.equal(h.core.inspect().peers.length, 1, 'the honest leecher stays')
})

test('dialling also respects the per-IP cap: other ports of a full host wait', () => {
  const h = new Harness({ metainfo, config: { connectionsPerHostMax: 2 } })
  const ports = Array.from({ length: 6 }, (_, i) => ({ host: '10.0.9.9', port: 7000 + i }))
  h.core.addPeers(h.now, ports, 'tracker')
  h.flush()
  assert.equal(h.dials.length, 2)
  h.core.addPeers(h.now, [{ host: '10.0.9.10', port: 7000 }], 'tracker')
  h.flush()
  assert.equal(h.dials.length, 3, 'another host is still dialled')
})

test('dials under way count against peersMax, and a dial is never evicted for a newcomer', () => {
  const h = new Harness({ metainfo, config: { peersMax: 3 } })
  const dialled = Array.from({ length: 3 }, (_, i) => ({ host: `10.0.30.${i + 1}`, port: 6881 }))
  h.core.addPeers(h.now, dialled, 'tracker')
  h.flush()
  assert.equal(h.dials.length, 3)
  const stats = h.core.statsNow()
  assert.equal(stats.peers + stats.halfOpen, 3, 'the count a listener holds against the budget')
  h.advance(2500)
  assert.equal(h.core.evictsForIncoming(h.now), false, 'a table of dials has no victim')
  assert.notEqual(h.accept('10.0.31.1').closed, undefined, 'so the newcomer is refused')
  assert.equal(h.core.inspect().incomingRefused, 1)
})
