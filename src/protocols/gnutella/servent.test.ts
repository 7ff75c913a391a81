import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import type { ConnectionId, StreamOutput } from '../../core/core.js'
import { SeededRandom } from '../../core/random.js'
import { instant } from '../../core/time.js'
import { serventConfig, type GnutellaEvent, type Role } from './config.js'
import { encodeDescriptor } from './descriptor-codec.js'
import { SharedLibrary } from './library.js'
import { Servent } from './servent.js'

const remote = { host: '10.0.0.2', port: 6346 }
const t0 = instant(0)

function servent(role: Role): Servent {
  const library = new SharedLibrary()
  library.add({ fileIndex: 3, fileName: 'blue danube.mp3', fileSize: 1000, urns: [] })
  const config = serventConfig({ advertised: { host: '10.0.0.1', port: 6346 }, role })
  return new Servent(config, { random: new SeededRandom(1), library }, t0)
}

function accept(s: Servent, from = remote, headers = ''): ConnectionId {
  const id = s.accepted(t0, from)
  s.received(t0, id, utf8(`GNUTELLA CONNECT/0.6\r\n${headers}\r\n`))
  s.received(t0, id, utf8('GNUTELLA/0.6 200 OK\r\n\r\n'))
  s.takeOutputs()
  return id
}

const events = (out: StreamOutput<GnutellaEvent>[]): GnutellaEvent[] =>
  out.flatMap((o) => (o.type === 'event' ? [o.event] : []))

const query = (fill: number, ttl: number, hops: number, criteria: string): Uint8Array =>
  encodeDescriptor({
    guid: new Uint8Array(16).fill(fill),
    ttl,
    hops,
    payload: { type: 'query', minSpeed: 0, criteria, urns: [], ggep: [] },
  })

test('a query is answered on the connection it came from, once per GUID', () => {
  const s = servent('peer')
  const id = accept(s)
  s.received(t0, id, query(9, 3, 0, 'danube'))
  const writes = s.takeOutputs().filter((o) => o.type === 'write')
  assert.equal(writes.length, 1)
  assert.ok(writes[0]?.type === 'write' && writes[0].connection === id)
  assert.equal(writes[0].bytes[16], 0x81)
  s.received(t0, id, query(9, 3, 0, 'danube'))
  assert.equal(s.takeOutputs().length, 0, 'the replayed GUID is dropped')
  assert.equal(s.routing.stats.duplicateQueries, 1)
})

test('hostile input closes or drops, never throws', () => {
  const s = servent('peer')
  const id = accept(s)
  const huge = new Uint8Array(23)
  huge[22] = 0x10 // a 256 MiB payload announced
  s.received(t0, id, huge)
  const out = s.takeOutputs()
  assert.ok(out.some((o) => o.type === 'close'))
  assert.ok(events(out).some((e) => e.type === 'remote_fault' && e.fault.code === 'limit_exceeded'))
  const up = servent('ultrapeer')
  const leaf = accept(up, remote, 'X-Ultrapeer: False\r\n')
  const patch = encodeDescriptor({
    guid: new Uint8Array(16),
    ttl: 1,
    hops: 0,
    payload: {
      type: 'route_table_update',
      update: {
        variant: 'patch',
        seqNo: 1,
        seqSize: 1,
        compressor: 0,
        entryBits: 4,
        data: new Uint8Array(4),
      },
    },
  })
  up.received(t0, leaf, patch)
  assert.ok(
    up.takeOutputs().some((o) => o.type === 'close'),
    'PATCH before RESET closes',
  )
})

test('TTL abuse is clamped to 7 minus hops; TTL + hops stays constant after', () => {
  const s = servent('peer')
  const id = accept(s)
  const other = accept(s, { host: '10.0.0.3', port: 6346 })
  s.received(t0, id, query(4, 200, 2, 'polka'))
  const forwarded = s.takeOutputs().find((o) => o.type === 'write' && o.connection === other)
  assert.ok(forwarded?.type === 'write')
  assert.deepEqual([forwarded.bytes[17], forwarded.bytes[18]], [4, 3])
})

test('an ultrapeer forwards to a leaf only on a QRP table hit', () => {
  const up = servent('ultrapeer')
  const leaf = accept(up, remote, 'X-Ultrapeer: False\r\n')
  const peer = accept(up, { host: '10.0.0.3', port: 6346 }, 'X-Ultrapeer: True\r\n')
  const leafSide = servent('leaf')
  // Build the leaf's RESET/PATCH with the production code path: a leaf sends them on open.
  const c = leafSide.connect(t0, { host: '10.0.0.1', port: 6346 })
  leafSide.connected(t0, c)
  leafSide.received(t0, c, utf8('GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\n\r\n'))
  for (const o of leafSide.takeOutputs()) {
    if (o.type === 'write' && o.bytes[16] === 0x30) up.received(t0, leaf, o.bytes)
  }
  up.takeOutputs()
  up.received(t0, peer, query(5, 3, 0, 'danube'))
  const toLeaf = up.takeOutputs().filter((o) => o.type === 'write' && o.connection === leaf)
  assert.equal(toLeaf.length, 1, 'the leaf shares "blue danube"')
  up.received(t0, peer, query(6, 3, 0, 'polka'))
  assert.equal(
    up.takeOutputs().filter((o) => o.type === 'write' && o.connection === leaf).length,
    0,
  )
})

test('a leaf refuses incoming connections with 503 and X-Try-Ultrapeers', () => {
  const s = servent('leaf')
  const id = s.accepted(t0, remote)
  s.received(t0, id, utf8('GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: False\r\n\r\n'))
  const out = s.takeOutputs()
  const text = out.flatMap((o) => (o.type === 'write' ? [new TextDecoder().decode(o.bytes)] : []))
  assert.match(text.join(''), /^GNUTELLA\/0\.6 503/)
  assert.ok(out.some((o) => o.type === 'close'))
})

test('a leaf gives each query to one ultrapeer (leafQueryUltrapeers), not to all of them', () => {
  const leaf = servent('leaf')
  const ups = [1, 2, 3].map((n) => {
    const c = leaf.connect(t0, { host: `10.0.1.${n}`, port: 6346 })
    leaf.connected(t0, c)
    leaf.received(t0, c, utf8('GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\n\r\n'))
    return c
  })
  leaf.takeOutputs()
  leaf.search(t0, 'polka')
  const queried = leaf
    .takeOutputs()
    .flatMap((o) => (o.type === 'write' && o.bytes[16] === 0x80 ? [o.connection] : []))
  // Before the fix all three got it and each ran its own dynamic query for the same GUID.
  assert.deepEqual(queried, [ups[0]])
})
