import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex, utf8 } from '../../core/bytes.js'
import type { ConnectionId, StreamOutput } from '../../core/core.js'
import { SeededRandom } from '../../core/random.js'
import { instant } from '../../core/time.js'
import { serventConfig, type GnutellaEvent, type Role } from './config.js'
import { decodeDescriptor, encodeDescriptor } from './descriptor-codec.js'
import { SharedLibrary } from './library.js'
import { hitPushProxies } from './push-proxy-ggep.js'
import { Servent } from './servent.js'
import { readVendorMessage } from './vendor-message.js'
import { messagesSupported } from './messages-supported.js'

const t0 = instant(0)
const upAddress = { host: '10.0.0.1', port: 6346 }
const leafAddress = { host: '10.0.0.2', port: 6346 }

function servent(
  role: Role,
  advertised: typeof upAddress,
  seed: number,
  firewalled = false,
): Servent {
  const library = new SharedLibrary()
  library.add({ fileIndex: 3, fileName: 'blue danube.mp3', fileSize: 1000, urns: [] })
  const config = serventConfig({ advertised, role, firewalled })
  return new Servent(config, { random: new SeededRandom(seed), library }, t0)
}

type Seen = { from: 'leaf' | 'up'; bytes: Uint8Array }

/** A leaf dialling an ultrapeer, every write delivered until both are quiet. */
function linked(): {
  leaf: Servent
  up: Servent
  atLeaf: ConnectionId
  atUp: ConnectionId
  seen: Seen[]
  events: GnutellaEvent[]
} {
  const leaf = servent('leaf', leafAddress, 1, true)
  const up = servent('ultrapeer', upAddress, 2)
  const atLeaf = leaf.connect(t0, upAddress)
  const atUp = up.accepted(t0, leafAddress)
  leaf.connected(t0, atLeaf)
  const seen: Seen[] = []
  const events: GnutellaEvent[] = []
  const route = (from: 'leaf' | 'up', outs: StreamOutput<GnutellaEvent>[]): boolean => {
    for (const o of outs) {
      if (o.type === 'event') events.push(o.event)
      if (o.type !== 'write') continue
      seen.push({ from, bytes: o.bytes })
      if (from === 'leaf') up.received(t0, atUp, o.bytes)
      else leaf.received(t0, atLeaf, o.bytes)
    }
    return outs.length > 0
  }
  for (let i = 0; i < 20; i++) {
    const a = route('leaf', leaf.takeOutputs())
    const b = route('up', up.takeOutputs())
    if (!a && !b) break
  }
  return { leaf, up, atLeaf, atUp, seen, events }
}

const vendorOf = (bytes: Uint8Array) => {
  if (bytes[16] !== 0x31) return undefined
  const d = decodeDescriptor(bytes)
  return d.ok && d.value.payload.type === 'vendor'
    ? { d: d.value, v: readVendorMessage(d.value.payload) }
    : undefined
}

test('after the handshake both sides send Messages Supported; the leaf asks its ultrapeer to be its push proxy', () => {
  const { leaf, up, atLeaf, atUp, seen, events } = linked()
  const kinds = seen.flatMap((s) => {
    const m = vendorOf(s.bytes)
    return m === undefined || m.v === undefined || m.v instanceof Error
      ? []
      : [`${s.from}:${m.v.kind}`]
  })
  assert.deepEqual(kinds.sort(), [
    'leaf:messages_supported',
    'leaf:push_proxy_request',
    'up:messages_supported',
    'up:push_proxy_ack',
  ])
  const request = seen
    .map((s) => vendorOf(s.bytes))
    .find((m) => m?.v !== undefined && !(m.v instanceof Error) && m.v.kind === 'push_proxy_request')
  assert.equal(
    toHex(request?.d.guid ?? new Uint8Array(0)),
    toHex(leaf.serventId),
    'the GUID is the leaf servent id',
  )
  assert.ok(leaf.connections.get(atLeaf)?.supports('LIME', 22))
  assert.deepEqual(leaf.connections.get(atLeaf)?.pushProxy, upAddress)
  assert.equal(up.connections.get(atUp)?.proxiedServentId, toHex(leaf.serventId))
  assert.ok(events.some((e) => e.type === 'push_proxy_changed' && e.role === 'proxied'))
  assert.deepEqual(leaf.vendor.pushProxies(), [upAddress])
})

test("a firewalled leaf's QueryHit names its push proxy; the proxy turns a downloader's request into a Push to the leaf", () => {
  const { leaf, up, atLeaf } = linked()
  const query = encodeDescriptor({
    guid: new Uint8Array(16).fill(7),
    ttl: 1,
    hops: 1,
    payload: { type: 'query', minSpeed: 0, criteria: 'danube', urns: [], ggep: [] },
  })
  leaf.received(t0, atLeaf, query)
  const hit = leaf
    .takeOutputs()
    .flatMap((o) =>
      o.type === 'write' && o.bytes[16] === 0x81 ? [decodeDescriptor(o.bytes)] : [],
    )[0]
  assert.ok(hit?.ok && hit.value.payload.type === 'query_hit')
  assert.deepEqual(hitPushProxies(hit.value.payload.trailer), [upAddress])
  const downloader = { host: '10.0.0.9', port: 7000 }
  assert.equal(
    up.vendor.pushForLeaf(new Uint8Array(16).fill(1), 3, downloader),
    false,
    'not our leaf',
  )
  assert.equal(up.vendor.pushForLeaf(leaf.serventId, 3, downloader), true)
  for (const o of up.takeOutputs()) if (o.type === 'write') leaf.received(t0, atLeaf, o.bytes)
  const asked = leaf
    .takeOutputs()
    .flatMap((o) => (o.type === 'event' && o.event.type === 'push_requested' ? [o.event] : []))
  assert.deepEqual(asked, [{ type: 'push_requested', fileIndex: 3, to: downloader }])
})

test('no Messages Supported to a peer that did not say Vendor-Message; a malformed one is a fault, not a close', () => {
  const up = servent('ultrapeer', upAddress, 3)
  const id = up.accepted(t0, leafAddress)
  up.received(t0, id, utf8('GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: False\r\n\r\n'))
  up.received(t0, id, utf8('GNUTELLA/0.6 200 OK\r\n\r\n'))
  const writes = up.takeOutputs().filter((o) => o.type === 'write')
  assert.ok(
    writes.every((o) => o.type === 'write' && o.bytes[16] !== 0x31),
    'no vendor message',
  )
  assert.equal(up.connections.get(id)?.supports('BEAR', 11), false)
  const bad = encodeDescriptor({
    guid: new Uint8Array(16),
    ttl: 1,
    hops: 0,
    payload: {
      type: 'vendor',
      vendor: '\0\0\0\0',
      selector: 0,
      version: 0,
      data: Uint8Array.of(2, 0, 1),
    },
  })
  up.received(t0, id, bad)
  const out = up.takeOutputs()
  assert.ok(out.some((o) => o.type === 'event' && o.event.type === 'remote_fault'))
  assert.ok(!out.some((o) => o.type === 'close'))
  assert.ok(up.connections.get(id)?.isOpen)
})

/** BEAR/11 requests an ultrapeer sends a leaf while it runs the leaf's dynamic query. */
function statusRequestsToLeaf(leafSpeaksVendor: boolean): number {
  const up = servent('ultrapeer', upAddress, 4)
  const leafId = up.accepted(t0, leafAddress)
  const vendorHeader = leafSpeaksVendor ? 'Vendor-Message: 0.1\r\n' : ''
  up.received(t0, leafId, utf8(`GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: False\r\n${vendorHeader}\r\n`))
  up.received(t0, leafId, utf8('GNUTELLA/0.6 200 OK\r\n\r\n'))
  if (leafSpeaksVendor) {
    const list = messagesSupported([{ vendor: 'BEAR', selector: 11, version: 1 }])
    up.received(
      t0,
      leafId,
      encodeDescriptor({ guid: new Uint8Array(16), ttl: 1, hops: 0, payload: list }),
    )
  }
  for (let n = 1; n <= 6; n++) {
    const id = up.accepted(t0, { host: `10.0.2.${n}`, port: 6346 })
    up.received(t0, id, utf8('GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: True\r\n\r\n'))
    up.received(t0, id, utf8('GNUTELLA/0.6 200 OK\r\n\r\n'))
  }
  up.takeOutputs()
  up.received(
    t0,
    leafId,
    encodeDescriptor({
      guid: new Uint8Array(16).fill(5),
      ttl: 3,
      hops: 0,
      payload: { type: 'query', minSpeed: 0, criteria: 'polka', urns: [], ggep: [] },
    }),
  )
  let asked = 0
  const count = (): void => {
    for (const o of up.takeOutputs()) {
      if (o.type !== 'write' || o.connection !== leafId || o.bytes[16] !== 0x31) continue
      const m = vendorOf(o.bytes)
      if (m?.v !== undefined && !(m.v instanceof Error) && m.v.kind === 'query_status_request')
        asked++
    }
  }
  count()
  for (let ms = 100; ms <= 60_000; ms += 100) {
    up.timeout(instant(ms))
    count()
  }
  return asked
}

test('BEAR/11 goes only to a leaf that listed it in its Messages Supported', () => {
  assert.ok(statusRequestsToLeaf(true) > 0, 'a leaf that listed BEAR/11 is asked')
  assert.equal(statusRequestsToLeaf(false), 0, 'a leaf that did not is never asked')
})
