import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import type { ConnectionId } from '../../core/core.js'
import { SeededRandom } from '../../core/random.js'
import { instant } from '../../core/time.js'
import { serventConfig } from './config.js'
import { decodeDescriptor, encodeDescriptor } from './descriptor-codec.js'
import { ExternalAddress, isUnroutable } from './external-address.js'
import { SharedLibrary } from './library.js'
import { isFirewalled } from './push-flag.js'
import { Servent } from './servent.js'

const t0 = instant(0)
const peer = (i: number) => ({ host: `198.51.100.${i}`, port: 6346 })

test('the external address is the majority of at least 3 peers, one vote per peer', () => {
  const e = new ExternalAddress()
  e.vote(peer(1), '203.0.113.7')
  e.vote(peer(1), '203.0.113.7') // the same peer again does not count twice
  e.vote(peer(2), '203.0.113.7')
  assert.equal(e.learned(), undefined, 'two peers are not enough')
  e.vote(peer(3), '192.0.2.99') // one liar
  assert.equal(e.learned(), '203.0.113.7', 'two of three outvote one liar')
  e.vote(peer(4), '192.0.2.99')
  assert.equal(e.learned(), undefined, 'two against two is no majority')
  e.vote(peer(4), '203.0.113.7') // that peer's later handshake replaces its vote
  assert.equal(e.learned(), '203.0.113.7')
  e.vote(peer(5), '0.0.0.0') // not an address: ignored
  e.vote(peer(6), 'nonsense')
  assert.equal(e.learned(), '203.0.113.7')
  const split = new ExternalAddress()
  for (let i = 1; i <= 4; i++) split.vote(peer(i), i % 2 === 0 ? '203.0.113.7' : '192.0.2.99')
  assert.equal(split.learned(), undefined, 'a tie is no majority')
})

test('only wildcard and loopback addresses are replaced by the learnt one', () => {
  assert.ok(isUnroutable('0.0.0.0') && isUnroutable('127.0.0.1') && isUnroutable('127.9.9.9'))
  assert.ok(!isUnroutable('10.0.0.1') && !isUnroutable('203.0.113.7'))
  const e = new ExternalAddress()
  for (let i = 1; i <= 3; i++) e.vote(peer(i), '203.0.113.7')
  assert.deepEqual(e.advertise({ host: '10.0.0.1', port: 1 }), { host: '10.0.0.1', port: 1 })
  assert.deepEqual(e.advertise({ host: '0.0.0.0', port: 7 }), { host: '203.0.113.7', port: 7 })
  assert.deepEqual(e.advertise({ host: '127.0.0.1', port: 7 }), { host: '203.0.113.7', port: 7 })
  assert.equal(new ExternalAddress().advertise({ host: '0.0.0.0', port: 7 }), undefined)
})

/** A servent bound to the wildcard: peers connect, each saying `Remote-IP`. */
function wildcardServent(): Servent {
  const library = new SharedLibrary()
  library.add({ fileIndex: 3, fileName: 'blue danube.mp3', fileSize: 1000, urns: [] })
  const config = serventConfig({ advertised: { host: '0.0.0.0', port: 6346 }, role: 'peer' })
  return new Servent(config, { random: new SeededRandom(1), library }, t0)
}

function accept(s: Servent, i: number, remoteIp: string): ConnectionId {
  const id = s.accepted(t0, peer(i))
  s.received(t0, id, utf8(`GNUTELLA CONNECT/0.6\r\nRemote-IP: ${remoteIp}\r\n\r\n`))
  const answer = s.takeOutputs().find((o) => o.type === 'write')
  // We tell the peer where we see it: its own discovery.
  assert.ok(
    answer?.type === 'write' && fromUtf8(answer.bytes).includes(`Remote-IP: ${peer(i).host}\r\n`),
  )
  s.received(t0, id, utf8('GNUTELLA/0.6 200 OK\r\n\r\n'))
  s.takeOutputs()
  return id
}

function hitFor(s: Servent, id: ConnectionId, fill: number) {
  const q = encodeDescriptor({
    guid: new Uint8Array(16).fill(fill),
    ttl: 2,
    hops: 0,
    payload: { type: 'query', minSpeed: 0, criteria: 'danube', urns: [], ggep: [] },
  })
  s.received(t0, id, q)
  const w = s.takeOutputs().find((o) => o.type === 'write')
  assert.ok(w?.type === 'write')
  const d = decodeDescriptor(w.bytes)
  assert.ok(d.ok && d.value.payload.type === 'query_hit')
  return d.value.payload
}

test('a wildcard-bound servent never advertises 0.0.0.0 as reachable; it learns Remote-IP', () => {
  // Before the fix a QueryHit carried 0.0.0.0 and no push flag: nobody could download.
  const s = wildcardServent()
  const first = accept(s, 1, '203.0.113.7')
  const before = hitFor(s, first, 1)
  assert.ok(isFirewalled(before.trailer), 'no address yet: the hit asks for a Push')
  accept(s, 2, '203.0.113.7')
  accept(s, 3, '203.0.113.7')
  const after = hitFor(s, first, 2)
  assert.equal(after.ip, '203.0.113.7')
  assert.equal(after.port, 6346)
  assert.ok(!isFirewalled(after.trailer))
  // Our handshake's Listen-IP now names the learnt address too.
  const id = s.connect(t0, peer(9))
  s.takeOutputs()
  s.connected(t0, id)
  const hello = s.takeOutputs().find((o) => o.type === 'write')
  assert.ok(hello?.type === 'write')
  const text = fromUtf8(hello.bytes)
  assert.ok(
    text.includes('Listen-IP: 203.0.113.7:6346\r\n') &&
      text.includes('Remote-IP: 198.51.100.9\r\n'),
    text,
  )
})
