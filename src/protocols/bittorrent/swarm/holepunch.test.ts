import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../../core/address.js'
import type { StreamTransport } from '../../../core/env.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import {
  decodeExtension,
  encodeExtension,
  HolepunchErrorCode,
  PEX_REACHABLE,
  PEX_SUPPORTS_HOLEPUNCH,
  PEX_SUPPORTS_UTP,
  UT_HOLEPUNCH,
  UT_PEX,
  type ExtensionMessage,
  type HolepunchMessage,
  type PexPeer,
} from '../wire/index.js'
import { fixtureTorrent, Harness, type RemotePeer } from './fixture.js'

const hashing = new NodeHashing()
const { metainfo } = fixtureTorrent(hashing, { totalLength: 8 * 32_768, pieceLength: 32_768 })

/** The ids our scripted peers receive extensions as. */
const THEIR_IDS = new Map([
  [UT_PEX, 5],
  [UT_HOLEPUNCH, 9],
])
const OUR_HOLEPUNCH_ID = 4
/** The ids the core receives extensions as (its extended handshake's `m`). */
const OUR_IDS = new Map([
  [UT_PEX, 1],
  [UT_HOLEPUNCH, OUR_HOLEPUNCH_ID],
])

/** An inbound peer at `host` listening on `port`, its extended handshake sent, inbox drained. */
function openPeer(
  h: Harness,
  host: string,
  port: number,
  holepunch = true,
  transport?: StreamTransport,
): RemotePeer {
  const remote = h.open({ host, ...(transport === undefined ? {} : { transport }) })
  const extensions = new Map(THEIR_IDS)
  if (!holepunch) extensions.delete(UT_HOLEPUNCH)
  const handshake = { extensions, port }
  const message = encodeExtension({ type: 'extended_handshake', handshake }, new Map())
  assert.ok(message !== undefined)
  remote.send(message)
  remote.inbox.length = 0
  return remote
}

function sendHolepunch(remote: RemotePeer, message: HolepunchMessage): void {
  const encoded = encodeExtension({ type: 'ut_holepunch', message }, OUR_IDS)
  assert.ok(encoded !== undefined)
  remote.send(encoded)
}

function sendPex(remote: RemotePeer, added: PexPeer[]): void {
  const message = encodeExtension({ type: 'ut_pex', message: { added, dropped: [] } }, OUR_IDS)
  assert.ok(message !== undefined)
  remote.send(message)
}

/** The extension messages the core sent to `remote`, decoded with the ids it announced. */
function received(remote: RemotePeer): ExtensionMessage[] {
  return remote.take('extended').map((message) => {
    const decoded = decodeExtension(message, THEIR_IDS)
    assert.ok(decoded.ok)
    return decoded.value
  })
}

function holepunchIn(remote: RemotePeer): HolepunchMessage[] {
  return received(remote).flatMap((m) => (m.type === 'ut_holepunch' ? [m.message] : []))
}

const key = (a: Address): string => `${a.host}:${a.port}`

test('the extended handshake announces ut_holepunch (id 4), except in a private torrent', () => {
  for (const [info, expected] of [
    [metainfo, OUR_HOLEPUNCH_ID],
    [{ ...metainfo, private: true }, undefined],
  ] as const) {
    const h = new Harness({ metainfo: info })
    const remote = h.open()
    const extended = remote.take('extended')[0]
    assert.ok(extended !== undefined)
    const decoded = decodeExtension(extended, new Map())
    assert.ok(decoded.ok && decoded.value.type === 'extended_handshake')
    assert.equal(decoded.value.handshake.extensions.get(UT_HOLEPUNCH), expected)
  }
  const off = new Harness({ metainfo, config: { holepunch: false } })
  const decoded = decodeExtension(off.open().take('extended')[0]!, new Map())
  assert.ok(decoded.ok && decoded.value.type === 'extended_handshake')
  assert.equal(decoded.value.handshake.extensions.has(UT_HOLEPUNCH), false)
})

test('relay: a rendezvous for a connected peer sends connect to both, each naming the other', () => {
  const h = new Harness({ metainfo })
  const initiator = openPeer(h, '198.51.100.1', 7001)
  const target = openPeer(h, '198.51.100.2', 7002)
  sendHolepunch(initiator, { type: 'rendezvous', peer: { host: '198.51.100.2', port: 7002 } })
  assert.deepEqual(holepunchIn(target), [
    { type: 'connect', peer: { host: '198.51.100.1', port: 7001 } },
  ])
  assert.deepEqual(holepunchIn(initiator), [
    { type: 'connect', peer: { host: '198.51.100.2', port: 7002 } },
  ])
  const [event] = h.take('holepunch')
  assert.equal(event?.action, 'relayed')
  assert.equal(initiator.closed, undefined)
  assert.deepEqual(h.core.inspect().holepunch, {
    rendezvousSent: 0,
    relayed: 1,
    refused: 0,
    connects: 0,
    errors: 0,
  })
})

test('relay: a target named by its socket address (no listen port known) is found too', () => {
  const h = new Harness({ metainfo })
  const initiator = openPeer(h, '198.51.100.1', 7001)
  const target = h.open({ host: '198.51.100.2' })
  const message = encodeExtension(
    { type: 'extended_handshake', handshake: { extensions: THEIR_IDS } },
    new Map(),
  )
  target.send(message!)
  target.inbox.length = 0
  sendHolepunch(initiator, { type: 'rendezvous', peer: target.address })
  assert.deepEqual(holepunchIn(target), [
    { type: 'connect', peer: { host: '198.51.100.1', port: 7001 } },
  ])
  assert.deepEqual(holepunchIn(initiator), [{ type: 'connect', peer: target.address }])
})

test("relay: the BEP's error codes", () => {
  const h = new Harness({ metainfo })
  const initiator = openPeer(h, '198.51.100.1', 7001)
  openPeer(h, '198.51.100.3', 7003, false)
  const cases: [Address, number][] = [
    [{ host: '0.0.0.0', port: 7002 }, HolepunchErrorCode.NoSuchPeer],
    [{ host: '198.51.100.9', port: 0 }, HolepunchErrorCode.NoSuchPeer],
    [{ host: '224.0.0.1', port: 7002 }, HolepunchErrorCode.NoSuchPeer],
    [{ host: '198.51.100.9', port: 7009 }, HolepunchErrorCode.NotConnected],
    [{ host: '198.51.100.3', port: 7003 }, HolepunchErrorCode.NoSupport],
    [{ host: '198.51.100.1', port: 7001 }, HolepunchErrorCode.NoSelf],
  ]
  for (const [peer, code] of cases) {
    sendHolepunch(initiator, { type: 'rendezvous', peer })
    assert.deepEqual(holepunchIn(initiator), [{ type: 'error', peer, code }], key(peer))
  }
  assert.equal(h.take('holepunch').filter((e) => e.action === 'refused').length, cases.length)
  assert.equal(initiator.closed, undefined)
})

test('relay: our own listen address is NoSelf', () => {
  const h = new Harness({ metainfo })
  // A connection to ourselves teaches the core its own address.
  h.core.addPeers(h.now, [{ host: '198.51.100.50', port: 6881 }], 'tracker')
  h.flush()
  const self = h.completeDial({ host: '198.51.100.50', port: 6881 })
  self.handshake({ peerId: h.peerId })
  const initiator = openPeer(h, '198.51.100.1', 7001)
  const us = { host: '198.51.100.50', port: 6881 }
  sendHolepunch(initiator, { type: 'rendezvous', peer: us })
  assert.deepEqual(holepunchIn(initiator), [
    { type: 'error', peer: us, code: HolepunchErrorCode.NoSelf },
  ])
})

test('connect: we dial the address over uTP at once, unless connected to it already', () => {
  const h = new Harness({ metainfo })
  const relay = openPeer(h, '203.0.113.10', 6881)
  openPeer(h, '198.51.100.7', 7007)
  sendHolepunch(relay, { type: 'connect', peer: { host: '198.51.100.2', port: 7002 } })
  sendHolepunch(relay, { type: 'connect', peer: { host: '198.51.100.7', port: 7007 } })
  assert.deepEqual(
    h.dials.map((d) => [key(d.to), d.transport]),
    [['198.51.100.2:7002', 'utp']],
  )
  assert.deepEqual(
    h.take('holepunch').map((e) => [e.action, key(e.address), e.dialled]),
    [
      ['connect', '198.51.100.2:7002', true],
      ['connect', '198.51.100.7:7007', false],
    ],
  )
  // The punched connection is an ordinary peer once it handshakes.
  const punched = h.completeDial({ host: '198.51.100.2', port: 7002 })
  punched.handshake()
  assert.equal(h.take('peer_connected').length, 3)
})

test('initiator: PEX naming a NATed holepunch peer makes us ask the PEX sender for it', () => {
  const h = new Harness({ metainfo })
  const relay = openPeer(h, '203.0.113.10', 6881)
  const natted = { host: '198.51.100.2', port: 7002, flags: PEX_SUPPORTS_HOLEPUNCH }
  const reachable = {
    host: '198.51.100.3',
    port: 7003,
    flags: PEX_SUPPORTS_HOLEPUNCH | PEX_REACHABLE,
  }
  sendPex(relay, [natted, reachable])
  assert.deepEqual(holepunchIn(relay), [
    { type: 'rendezvous', peer: { host: '198.51.100.2', port: 7002 } },
  ])
  // The ordinary dial PEX started fails at once: within 15 s of the ask, no second ask.
  const dial = h.dials.find((d) => d.to.host === natted.host)
  assert.ok(dial !== undefined)
  h.core.connectFailed(h.now, dial.connection, 'timeout')
  h.flush()
  assert.deepEqual(holepunchIn(relay), [])
  const [event] = h.take('holepunch')
  assert.equal(event?.action, 'rendezvous')
  assert.deepEqual(event?.address, { host: '198.51.100.2', port: 7002 }, 'no PEX flags in it')
  assert.equal(event && key(event.via), '203.0.113.10:6881')
})

test('both ends asked: the second connect, and asks while a punch is under way, add nothing', () => {
  const h = new Harness({ metainfo })
  const relay = openPeer(h, '203.0.113.10', 6881)
  const target = { host: '198.51.100.2', port: 7002 }
  // The other end asked first: the relay's connect reaches us before the PEX does.
  sendHolepunch(relay, { type: 'connect', peer: target })
  sendPex(relay, [{ ...target, flags: PEX_SUPPORTS_HOLEPUNCH }])
  sendHolepunch(relay, { type: 'connect', peer: target })
  assert.deepEqual(holepunchIn(relay), [], 'no rendezvous while punching')
  assert.deepEqual(
    h.dials.filter((d) => d.transport === 'utp').map((d) => key(d.to)),
    ['198.51.100.2:7002'],
  )
  assert.deepEqual(
    h.take('holepunch').map((e) => e.dialled),
    [true, false],
  )
})

test('initiator: failed dials to a PEX-introduced address ask the introducer, boundedly', () => {
  const h = new Harness({ metainfo, config: { connectAttemptsMax: 10, holepunchAsksMax: 2 } })
  const relay = openPeer(h, '203.0.113.10', 6881)
  const target = { host: '198.51.100.2', port: 7002 }
  sendPex(relay, [{ ...target, flags: PEX_SUPPORTS_HOLEPUNCH | PEX_REACHABLE }])
  assert.deepEqual(holepunchIn(relay), [], 'reachable: dial first')
  const dial = h.dials.find((d) => key(d.to) === key(target))
  assert.ok(dial !== undefined && dial.transport === undefined)
  h.core.connectFailed(h.now, dial.connection, 'timeout')
  h.flush()
  assert.deepEqual(holepunchIn(relay), [{ type: 'rendezvous', peer: target }])
  // The relay answers connect: we punch. The punch fails (the target ignored connect while its
  // own dial to us was in flight, as libtorrent does): we ask again once 15 s have passed since
  // the first ask, not before, and that uses up this window's 2 asks.
  sendHolepunch(relay, { type: 'connect', peer: target })
  const punch = h.dials.at(-1)
  assert.ok(punch !== undefined && punch.transport === 'utp')
  const askedAt = h.now
  h.core.connectFailed(h.now, punch.connection, 'timeout')
  h.flush()
  assert.deepEqual(holepunchIn(relay), [])
  h.advance(14_000)
  assert.deepEqual(holepunchIn(relay), [], 'not within the 15 s spacing')
  h.advance(2_000)
  assert.deepEqual(holepunchIn(relay), [{ type: 'rendezvous', peer: target }])
  // The candidate's own retries (back-off doubling) fail as well: the window is full until
  // 2 min after the first ask, then one more ask.
  const failed = new Set([dial.connection, punch.connection])
  const asks: number[] = []
  for (let failures = 0; failures < 3; failures++) {
    let retry = h.dials.find((d) => !failed.has(d.connection))
    for (let s = 0; s < 600 && retry === undefined; s++) {
      h.advance(1_000)
      if (holepunchIn(relay).length > 0) asks.push(h.now - askedAt)
      retry = h.dials.find((d) => !failed.has(d.connection))
    }
    assert.ok(retry !== undefined && retry.transport === undefined)
    failed.add(retry.connection)
    h.core.connectFailed(h.now, retry.connection, 'timeout')
    h.flush()
    if (holepunchIn(relay).length > 0) asks.push(h.now - askedAt)
  }
  // Failures at about 20 s and 60 s (window full), 140 s (a new window: ask).
  assert.equal(asks.length, 1, `asks at ${asks.join(', ')} ms`)
  assert.ok(asks[0]! >= 120_000, `third ask after ${asks[0]} ms`)
})

test('initiator: a punch closed before the handshakes (the target kept its own dial) asks again', () => {
  const h = new Harness({ metainfo })
  const relay = openPeer(h, '203.0.113.10', 6881)
  const target = { host: '198.51.100.2', port: 7002 }
  sendPex(relay, [{ ...target, flags: PEX_SUPPORTS_HOLEPUNCH }])
  assert.deepEqual(holepunchIn(relay), [{ type: 'rendezvous', peer: target }])
  sendHolepunch(relay, { type: 'connect', peer: target })
  const punch = h.dials.find((d) => d.transport === 'utp')
  assert.ok(punch !== undefined)
  // uTP connects, then libtorrent closes it as a duplicate of its own dial to us.
  h.completeDial(target)
  h.core.closed(h.now, punch.connection, 'reset')
  h.flush()
  h.advance(14_000)
  assert.deepEqual(holepunchIn(relay), [])
  h.advance(2_000)
  assert.deepEqual(holepunchIn(relay), [{ type: 'rendezvous', peer: target }])
})

test('initiator: a missed punch is asked for again only while the introducer can be asked', () => {
  const h = new Harness({ metainfo })
  const relay = openPeer(h, '203.0.113.10', 6881)
  const target = { host: '198.51.100.2', port: 7002 }
  sendPex(relay, [{ ...target, flags: PEX_SUPPORTS_HOLEPUNCH }])
  assert.deepEqual(holepunchIn(relay), [{ type: 'rendezvous', peer: target }])
  sendHolepunch(relay, { type: 'connect', peer: target })
  const punch = h.dials.find((d) => d.transport === 'utp')
  assert.ok(punch !== undefined)
  h.core.connectFailed(h.now, punch.connection, 'timeout')
  h.flush()
  // The introducer leaves before the spacing has passed: nobody to ask, nothing sent, ever.
  h.core.closed(h.now, relay.connection, 'reset')
  h.flush()
  h.advance(60_000)
  assert.deepEqual(
    h.take('holepunch').filter((e) => e.action === 'rendezvous').length,
    1,
    'only the first ask',
  )
})

test('initiator: an address nobody introduced, or an introducer without ut_holepunch: no ask', () => {
  const h = new Harness({ metainfo })
  const plain = openPeer(h, '203.0.113.11', 6881, false)
  sendPex(plain, [{ host: '198.51.100.2', port: 7002, flags: PEX_SUPPORTS_HOLEPUNCH }])
  h.core.addPeers(h.now, [{ host: '198.51.100.4', port: 7004 }], 'tracker')
  h.flush()
  for (const dial of [...h.dials]) h.core.connectFailed(h.now, dial.connection, 'timeout')
  h.flush()
  assert.deepEqual(received(plain), [])
  assert.deepEqual(h.take('holepunch'), [])
})

test('a peer over its ut_holepunch budget is dropped with a fault, not served', () => {
  const h = new Harness({ metainfo, config: { holepunchMessagesPerMinute: 3 } })
  const initiator = openPeer(h, '198.51.100.1', 7001)
  const peer = { host: '198.51.100.9', port: 7009 }
  for (let i = 0; i < 3; i++) sendHolepunch(initiator, { type: 'rendezvous', peer })
  assert.equal(holepunchIn(initiator).length, 3)
  assert.equal(initiator.closed, undefined)
  sendHolepunch(initiator, { type: 'rendezvous', peer })
  assert.deepEqual(initiator.closed, { graceful: false })
  assert.equal(h.take('remote_fault')[0]?.code, 'limit_exceeded')
})

test('the budget is per minute: a steady peer is never dropped', () => {
  const h = new Harness({ metainfo, config: { holepunchMessagesPerMinute: 3 } })
  const initiator = openPeer(h, '198.51.100.1', 7001)
  for (let minute = 0; minute < 3; minute++) {
    for (let i = 0; i < 3; i++) {
      sendHolepunch(initiator, { type: 'rendezvous', peer: { host: '198.51.100.9', port: 7009 } })
    }
    h.advance(60_000)
    initiator.inbox.length = 0
  }
  assert.equal(initiator.closed, undefined)
})

test('malformed ut_holepunch payloads are a fault, never a throw', () => {
  for (const payload of [
    Uint8Array.of(),
    Uint8Array.of(0, 0, 1, 2),
    Uint8Array.of(7, 0, 1, 2, 3, 4, 0, 1, 0, 0, 0, 0),
    Uint8Array.of(2, 0, 1, 2, 3, 4, 0, 1, 0, 0, 0, 99),
  ]) {
    const h = new Harness({ metainfo })
    const remote = openPeer(h, '198.51.100.1', 7001)
    remote.send({ type: 'extended', extendedId: OUR_HOLEPUNCH_ID, payload })
    assert.deepEqual(remote.closed, { graceful: false })
    const [fault] = h.take('remote_fault')
    assert.equal(fault?.code, 'malformed')
    assert.match(fault?.detail ?? '', /bad_holepunch_message/)
  }
})

test('an error answer is reported as an event and costs the relay nothing', () => {
  const h = new Harness({ metainfo, config: { holepunchMessagesPerMinute: 1 } })
  const relay = openPeer(h, '203.0.113.10', 6881)
  const peer = { host: '198.51.100.2', port: 7002 }
  for (let i = 0; i < 5; i++) {
    sendHolepunch(relay, { type: 'error', peer, code: HolepunchErrorCode.NotConnected })
  }
  assert.equal(relay.closed, undefined)
  const events = h.take('holepunch')
  assert.equal(events.length, 5)
  assert.equal(events[0]?.action, 'error')
  assert.equal(events[0]?.code, HolepunchErrorCode.NotConnected)
})

test('our PEX marks peers that announced ut_holepunch with flag 0x08', () => {
  const h = new Harness({ metainfo })
  const a = openPeer(h, '198.51.100.1', 7001)
  openPeer(h, '198.51.100.2', 7002)
  openPeer(h, '198.51.100.3', 7003, false)
  h.advance(60_000)
  const pex = received(a).find((m) => m.type === 'ut_pex')
  assert.ok(pex !== undefined && pex.type === 'ut_pex')
  assert.deepEqual(
    pex.message.added.map((p) => [key(p), p.flags & PEX_SUPPORTS_HOLEPUNCH]),
    [
      ['198.51.100.2:7002', PEX_SUPPORTS_HOLEPUNCH],
      ['198.51.100.3:7003', 0],
    ],
  )
})

test('our PEX marks peers connected over uTP with flag 0x04, so they are dialled from the port that punches', () => {
  const h = new Harness({ metainfo })
  const a = openPeer(h, '198.51.100.1', 7001)
  openPeer(h, '198.51.100.2', 7002, true, 'utp')
  openPeer(h, '198.51.100.3', 7003, true, 'tcp')
  openPeer(h, '198.51.100.4', 7004)
  h.advance(60_000)
  const pex = received(a).find((m) => m.type === 'ut_pex')
  assert.ok(pex !== undefined && pex.type === 'ut_pex')
  assert.deepEqual(
    pex.message.added.map((p) => [key(p), p.flags & PEX_SUPPORTS_UTP]),
    [
      ['198.51.100.2:7002', PEX_SUPPORTS_UTP],
      ['198.51.100.3:7003', 0],
      ['198.51.100.4:7004', 0],
    ],
  )
})

test('a peer known by a host name (a simulator world) is never put on the wire, nor thrown on', () => {
  const h = new Harness({ metainfo })
  const initiator = openPeer(h, 'initiator.sim', 7001)
  const target = openPeer(h, '198.51.100.2', 7002)
  sendHolepunch(initiator, { type: 'rendezvous', peer: { host: '198.51.100.2', port: 7002 } })
  assert.deepEqual(holepunchIn(target), [])
  assert.deepEqual(holepunchIn(initiator), [])
  assert.equal(initiator.closed, undefined)
})
