import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { instant } from '../../core/time.js'
import { decodeRelay, encodeRelay, type RelayMessage } from './relay-codec.js'
import { RelayServer } from './relay-server.js'

const CONTROL = 3478
const CLIENT = { host: '10.0.0.5', port: 5000 }
const STRANGER = { host: '192.0.2.7', port: 6000 }
const OTHER = { host: '192.0.2.8', port: 6001 }

const server = (): RelayServer =>
  new RelayServer({
    publicHost: '203.0.113.1',
    controlPort: CONTROL,
    portFirst: 40000,
    portCount: 4,
    knocksPerSecond: 3,
  })

const decodedSends = (relay: RelayServer): { to: string; message: RelayMessage }[] =>
  relay.takeOutputs().flatMap((o) => {
    if (o.type !== 'send') return []
    if (o.fromPort !== CONTROL)
      return [
        {
          to: `${o.to.host}:${o.to.port}`,
          message: { type: 'data', from: o.to, payload: o.bytes } as RelayMessage,
        },
      ]
    const decoded = decodeRelay(o.bytes)
    assert.ok(decoded.ok)
    return [{ to: `${o.to.host}:${o.to.port}`, message: decoded.value }]
  })

test('the new messages round-trip, and no byte string makes the decoder throw', () => {
  const messages: RelayMessage[] = [
    { type: 'reserve', tid: 7 },
    { type: 'identify', tid: 0xffffffff },
    { type: 'identity', tid: 1, record: new Uint8Array([1, 2, 3]) },
    { type: 'identity', tid: 2, record: new Uint8Array(0) },
    { type: 'knock', from: STRANGER, payload: new Uint8Array([9, 9]) },
  ]
  for (const message of messages) {
    assert.deepEqual(decodeRelay(encodeRelay(message)), { ok: true, value: message })
  }
  assert.deepEqual(decodeRelay(new Uint8Array([0xc9, 0, 0, 0, 1, ...new Uint8Array(1201)])), {
    ok: false,
    error: 'too_large',
  })
  fc.assert(
    fc.property(
      fc.integer({ min: 0xc1, max: 0xca }),
      fc.uint8Array({ maxLength: 40 }),
      (tag, rest) => {
        decodeRelay(new Uint8Array([tag, ...rest]))
      },
    ),
  )
})

test('a reservation passes knocks from strangers, within budget; a plain allocation does not', () => {
  const relay = server()
  relay.setIdentity(new Uint8Array([0x64, 0x65]))
  relay.receive(instant(0), CONTROL, CLIENT, encodeRelay({ type: 'identify', tid: 5 }))
  const identity = decodedSends(relay)[0]?.message
  assert.deepEqual(identity, { type: 'identity', tid: 5, record: new Uint8Array([0x64, 0x65]) })

  relay.receive(instant(0), CONTROL, CLIENT, encodeRelay({ type: 'reserve', tid: 1 }))
  const allocated = decodedSends(relay)[0]?.message
  assert.ok(allocated?.type === 'allocated')
  const mailbox = allocated.relayed.port
  assert.equal(relay.reservationCount, 1)

  // four knocks in one second: three pass as KNOCK to the client, the fourth is dropped
  for (let i = 0; i < 4; i++)
    relay.receive(instant(100 + i), mailbox, STRANGER, new Uint8Array([i]))
  const knocks = decodedSends(relay)
  assert.equal(knocks.length, 3)
  for (const knock of knocks) {
    assert.equal(knock.to, '10.0.0.5:5000')
    assert.equal(knock.message.type, 'knock')
  }
  assert.equal(relay.stats.knocksDropped, 1)
  // the next second has a fresh budget
  relay.receive(instant(1100), mailbox, OTHER, new Uint8Array([1]))
  assert.equal(decodedSends(relay)[0]?.message.type, 'knock')

  // the client answers the stranger: its later datagrams are ordinary DATA, not knocks
  const answer = new Uint8Array([0x61])
  relay.receive(
    instant(1200),
    CONTROL,
    CLIENT,
    encodeRelay({ type: 'send', to: STRANGER, payload: answer }),
  )
  const out = relay.takeOutputs()
  assert.ok(
    out.some((o) => o.type === 'send' && o.fromPort === mailbox && o.to.host === STRANGER.host),
  )
  relay.receive(instant(1300), mailbox, STRANGER, new Uint8Array([2]))
  assert.equal(decodedSends(relay)[0]?.message.type, 'data')

  // a plain allocation drops what comes unasked
  const plain = server()
  plain.receive(instant(0), CONTROL, CLIENT, encodeRelay({ type: 'allocate', tid: 1 }))
  const plainAllocated = decodedSends(plain)[0]?.message
  assert.ok(plainAllocated?.type === 'allocated')
  plain.receive(instant(10), plainAllocated.relayed.port, STRANGER, new Uint8Array([1]))
  assert.equal(plain.takeOutputs().length, 0)
  assert.equal(plain.stats.datagramsUnpermitted, 1)
  assert.equal(plain.stats.knocks, 0)
})
